"""Helpers for reading pages in tests."""

import re

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'id="form_token" name="form_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_token(html: str) -> str:
    match = FORM_TOKEN_RE.search(html)
    assert match, "no form token on the page"
    return match.group(1)


SCREENER_ANSWERS = {
    "works_with_young_children": "direct",
    "roles": ["home_visitor"],
    "bipoc": "prefer_not",
}

APPLICATION_DETAILS = {
    "programs": ["introductory"],
    "name": "Rosa Example",
    "email": "rosa@example.org",
    "phone": "",
    "organisation": "Example Family Services",
    "work_zip": "98104",
    "languages": ["en", "es"],
    "availability": ["weekday_evening"],
    "access_needs_other": "",
    "consent": "y",
}


def complete_screener(client, **answers):
    """Answer the screener as a person would (GET for the token, then POST)."""
    page = client.get("/screener").get_data(as_text=True)
    data = {**SCREENER_ANSWERS, **answers, "csrf_token": csrf_token(page)}
    response = client.post("/screener", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def open_application(client, path="/apply"):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, csrf_token(page), form_token(page)


def submit_application(client, screener=None, **details):
    """Screener, then the application form; returns the response to the submit."""
    complete_screener(client, **(screener or {}))
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, **details, "csrf_token": csrf, "form_token": token}
    return client.post("/apply", data=data)
