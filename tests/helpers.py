"""Helpers for reading pages in tests."""

import importlib.util
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'id="form_token" name="form_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def without_csrf(html: str) -> str:
    """The page with its CSRF tokens blanked: a token carries the second it was signed,
    so two otherwise equal pages differ when made a second apart."""
    html = CSRF_RE.sub('name="csrf_token" type="hidden" value=""', html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)


def form_token(html: str) -> str:
    match = FORM_TOKEN_RE.search(html)
    assert match, "no form token on the page"
    return match.group(1)


SCREENER_ANSWERS = {
    "works_with_young_children": "direct",
    "roles": ["home_visitor"],
    "bipoc": "prefer_not",
    # Asked while the Illinois groups are open: "yes" keeps every program's outcome
    # what the other answers make it.
    "works_in_illinois": "yes",
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


def send_form(client, page_url: str, data: dict, post_url: str | None = None, **kwargs):
    """Open the page for its CSRF token, then post ``data`` to it (or to ``post_url``),
    as a browser does."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    token = csrf_token(page.get_data(as_text=True))
    return client.post(post_url or page_url, data={**data, "csrf_token": token}, **kwargs)


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


AGENCY_SCREENER_ANSWERS = {
    "is_leader": "yes",
    "serves_king_county": "yes",
    "service_zips": "98104, 98118",
    "bsk_consultation": "no",
    "commit_one_year": "yes",
    "commit_attendance": "yes",
    "commit_virtual": "yes",
    "commit_cases": "yes",
}

AGENCY_DETAILS = {
    "programs": ["king-county-consultation"],
    "agency_name": "Little Sprouts Family Center",
    "street": "100 Example Way",
    "city": "Seattle",
    "state": "WA",
    "zip": "98104",
    "service_zips": "98104, 98118",
    "leader_name": "Dana Example",
    "leader_title": "Executive Director",
    "email": "dana@sprouts.example.org",
    "phone": "206 555 0100",
    "seats": "6",
    "staff_roles": ["home_visitor", "ece_teacher"],
    "languages": ["en", "cmn"],
    "availability": ["weekday_morning"],
    "heard_about": "colleague",
    "consent": "y",
}


def complete_agency_screener(client, **answers):
    page = client.get("/screener/agency").get_data(as_text=True)
    data = {**AGENCY_SCREENER_ANSWERS, **answers, "csrf_token": csrf_token(page)}
    response = client.post("/screener/agency", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def submit_agency_application(client, screener=None, **details):
    complete_agency_screener(client, **(screener or {}))
    _, csrf, token = open_application(client, "/apply/agency")
    data = {**AGENCY_DETAILS, **details, "csrf_token": csrf, "form_token": token}
    return client.post("/apply/agency", data=data)


class TableReader(HTMLParser):
    """The body rows of a page's table, each a list of cell texts (spaces squeezed)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def at_once(requests):
    """Run each of ``requests`` (callables, e.g. a client's post) in its own thread, all
    released at the same moment; returns their results in order. An error in one is
    raised here, in the test's thread; a request that hangs fails the test."""
    barrier = threading.Barrier(len(requests), timeout=30)
    results: list = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            results[index] = request()
        except BaseException as exc:  # reported in the test's thread
            barrier.abort()
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    # A request that failed breaks the barrier for the others: report its error first.
    errors = [r for r in results if isinstance(r, BaseException)]
    errors.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
    if errors:
        raise errors[0]
    return results


MIGRATIONS = Path(__file__).parents[1] / "migrations" / "versions"


def migration(filename: str):
    """A migration's module, loaded from its file (the folder is not a package), to
    compare the SQL it keeps a copy of with what the app makes."""
    spec = importlib.util.spec_from_file_location(
        filename.removesuffix(".py"), MIGRATIONS / filename
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
