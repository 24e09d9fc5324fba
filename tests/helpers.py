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
