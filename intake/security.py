"""Security headers on every response.

Hand-written rather than Flask-Talisman: Talisman also forces HTTPS redirects and
session cookie settings, which fight `make run` on a laptop; the headers are a few
lines and the policy below is what the templates are built for (no inline script or
style anywhere).
"""

from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.datastructures import Headers

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

# Over HTTPS, Flask-WTF accepts a form only with a same-origin Referer
# (WTF_CSRF_SSL_STRICT), so the browser must send one to us; manage and action
# tokens sit in URL paths, so it must never send one anywhere else. "same-origin"
# is exactly that: the full referrer to this site, nothing at all to others.
REFERRER_POLICY = "same-origin"
# Manage, action and password-reset pages have a secret in their own path (the view
# argument ``token``): from them, the browser sends the origin alone, even to this site,
# so the secret never reaches a Referer, not even in this site's access logs. The
# origin is all the CSRF check compares.
TOKEN_PAGE_REFERRER_POLICY = "strict-origin"  # noqa: S105 - a header value, not a secret

# Two years, the HSTS preload list's minimum; sent only on responses served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def register(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        wanted = [
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", referrer_policy()),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if request.is_secure:
            wanted.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
        add_missing(headers, wanted)
        if not is_static(request.endpoint):
            # Pages carry personal data and the session's CSRF token, so no browser,
            # proxy or shared computer may keep a copy; only the static files are
            # cacheable. This replaces send_file's "no-cache" on downloads too.
            headers["Cache-Control"] = "no-store"
        return response


def add_missing(headers: Headers, wanted: Iterable[tuple[str, str]]) -> None:
    """Each header the response did not set itself, as ``Headers.setdefault`` would add
    it. That finds a missing name by raising and catching a KeyError, and a response
    usually lacks all of these: six or seven raised on every response, about 16 µs
    (measured apart); here the names present are read once."""
    present = {name.lower() for name, _ in headers.items()}
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)


def referrer_policy() -> str:
    if "token" in (request.view_args or {}):
        return TOKEN_PAGE_REFERRER_POLICY
    return REFERRER_POLICY


def is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))
