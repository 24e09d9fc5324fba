"""HTTPS-safe defaults: the referrer policy and strict CSRF checking work together,
HSTS over HTTPS, secure cookies outside local mode, a strong SECRET_KEY, and no page
but the static files kept in any cache."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from intake import create_app, secret_key_problem
from intake.cohorts.services import create_cohort
from intake.extensions import db
from intake.models import Application, OutboxMessage, Program
from intake.outbox.delivery import deliver_due
from tests.factories import add_sessions
from tests.helpers import SCREENER_ANSWERS, csrf_token, submit_application

STRONG_KEY = "4f9c2b7e81d0a6c35e9f17b2d48a0c6e5b3f9d2a7c1e8b40"
HTTPS = {"X-Forwarded-Proto": "https"}


# Referrer policy and CSRF over HTTPS ---------------------------------------------


def test_the_referrer_goes_to_this_site_only(client):
    # Same-origin posts carry the Referer strict CSRF checking needs; other sites get
    # nothing, so a manage or action token in a path never leaves the site.
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    [
        "/manage/some-token",
        "/manage/some-token/details",
        "/respond/decline/some-token",
        "/coord/reset/some-token",
    ],
)
def test_pages_with_a_secret_in_their_path_send_only_the_origin(client, path):
    # Even to this site: the secret never reaches a Referer, nor this site's logs.
    assert client.get(path).headers["Referrer-Policy"] == "strict-origin"


@pytest.fixture
def behind_proxy(app_config):
    app_config["PROXY_FIX_X_PROTO"] = 1


def _screener_post(client, **headers):
    page = client.get("/screener", headers=HTTPS).get_data(as_text=True)
    return client.post(
        "/screener",
        headers={**HTTPS, **headers},
        data={**SCREENER_ANSWERS, "csrf_token": csrf_token(page)},
    )


def test_over_https_a_form_from_this_site_is_accepted(behind_proxy, client):
    response = _screener_post(client, Referer="https://localhost/screener")
    assert response.status_code == 200


def test_over_https_the_origin_alone_is_enough(behind_proxy, client):
    # What a browser sends from a page whose path holds a token (strict-origin).
    assert _screener_post(client, Referer="https://localhost/").status_code == 200


@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/screener", "http://localhost/screener"],
    ids=["none", "other-site", "plain-http"],
)
def test_over_https_csrf_checking_stays_strict(behind_proxy, client, referer):
    headers = {"Referer": referer} if referer else {}
    response = _screener_post(client, **headers)
    # Refused: the form comes back with its answers and says why (issue 9, item 8);
    # nothing is kept as a finished screener.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "We could not confirm that this form was sent from this website" in page
    assert 'value="direct" checked' in page
    with client.session_transaction() as session:
        assert "screener" not in session


# HSTS ------------------------------------------------------------------------------


def test_hsts_over_https(behind_proxy, client):
    response = client.get("/", headers=HTTPS)
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_no_hsts_over_plain_http(client):
    # Over http:// the header means nothing, and `make run` on a laptop is plain http.
    assert "Strict-Transport-Security" not in client.get("/").headers


# Secure cookies --------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch, _schema):
    """Settings as on a server: no TESTING, no LOCAL, a strong key."""
    for name in ("INTAKE_LOCAL", "INTAKE_SESSION_COOKIE_SECURE", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return {"SQLALCHEMY_DATABASE_URI": _schema, "SECRET_KEY": STRONG_KEY}


def test_cookies_are_https_only_outside_local_mode(production):
    app = create_app(production)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/coord/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "mode", [{"LOCAL": True}, {"TESTING": True}, {"DEBUG": True}], ids=["local", "tests", "debug"]
)
def test_cookies_work_over_plain_http_on_a_laptop(production, mode):
    assert create_app({**production, **mode}).config["SESSION_COOKIE_SECURE"] is False


def test_debug_from_the_environment_counts_too(production, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(production).config["SESSION_COOKIE_SECURE"] is False


def test_an_explicit_cookie_setting_wins(production, monkeypatch):
    monkeypatch.setenv("INTAKE_SESSION_COOKIE_SECURE", "false")
    assert create_app(production).config["SESSION_COOKIE_SECURE"] is False
    assert create_app({**production, "LOCAL": True, "SESSION_COOKIE_SECURE": True}).config[
        "SESSION_COOKIE_SECURE"
    ]


# SECRET_KEY strength ---------------------------------------------------------------

WEAK_KEYS = [
    "dev",
    "secret",
    "change-me",
    "…",
    "x" * 31,
    "a" * 64,
    "abababababababababababababababababababab",
    "please-change-me-before-going-to-production",
    "this-is-not-secret-replace-me-in-production",
    "your-secret-key-goes-here-0123456789abcdef",
    "django-insecure-0123456789abcdefghijklmnop",
    12345678901234567890123456789012345678901234567890,
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_refuses_to_start_with_a_weak_secret_key(production, key):
    with pytest.raises(RuntimeError, match="INTAKE_SECRET_KEY") as error:
        create_app({**production, "SECRET_KEY": key})
    if len(str(key)) >= 8:  # the message never shows the key (it may be the real one)
        assert str(key) not in str(error.value)


def test_a_weak_key_from_the_environment_is_refused_too(production, monkeypatch):
    monkeypatch.setenv("INTAKE_SECRET_KEY", "change-me")
    del production["SECRET_KEY"]
    with pytest.raises(RuntimeError, match="shorter than 32 characters"):
        create_app(production)


@pytest.mark.parametrize(
    "key",
    [STRONG_KEY, "Zt3-uQ8_kL1vX9pR2mN7bW4yH6jC0fD5gA", STRONG_KEY.encode()],
    ids=["hex", "urlsafe", "bytes"],
)
def test_starts_with_a_strong_secret_key(production, key):
    assert secret_key_problem(key) is None
    assert create_app({**production, "SECRET_KEY": key}).config["SECRET_KEY"] == key


@pytest.mark.parametrize("mode", [{"LOCAL": True}, {"TESTING": True}], ids=["local", "tests"])
def test_a_laptop_or_the_tests_may_use_a_simple_key(production, mode):
    assert create_app({**production, **mode, "SECRET_KEY": "dev"}).config["SECRET_KEY"] == "dev"


# No page in any cache ----------------------------------------------------------------


def _manage_token(smtp, clock) -> str:
    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    return re.search(r"/manage/([A-Za-z0-9_-]+)", text).group(1)


def _url_values(smtp, clock, admin) -> dict[str, str]:
    """A real value for every URL argument, so that most pages answer 200."""
    application = db.session.scalars(select(Application)).one()
    program = db.session.get(Program, application.program_id)
    cohort = create_cohort(
        program=program,
        name="Spring group",
        language="en",
        facilitator="Maria",
        schedule="Tuesdays",
        time_slot=None,
        start_date=date(2026, 4, 7),
        today=date(2026, 3, 2),
        now=clock(),
    )
    [session] = add_sessions(cohort, datetime(2026, 4, 7, 17, tzinfo=UTC), count=1, commit=False)
    db.session.commit()
    return {
        "application_id": str(application.id),
        "cohort_id": str(cohort.id),
        "session_id": str(session.id),
        "coordinator_id": str(admin.id),
        "program_id": str(program.id),
        "message_id": str(db.session.scalars(select(OutboxMessage.id)).first()),
        "slug": program.slug,
        "token": _manage_token(smtp, clock),
        "reference": application.reference,
        "purpose": "decline",
        "table": "funnel",
        "participant_id": "1",
        # An application window (none here: the admin's page answers 404).
        "window_id": "1",
        # A letter's verification code (none issued here: the page answers 404).
        "code": "ABCD-EFGH-JKMN",
    }


def _get_paths(app, values: dict[str, str]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{argument}>", values[argument], path)
        paths.append(path)
    return paths


def test_every_page_says_no_store(smtp, app, client, admin_client, ctx, clock):
    """Every GET route, as the applicant who just applied and as an admin, as a full
    page and as an htmx fragment: whatever the answer (200, redirect, 404), no cache
    may keep it."""
    assert submit_application(client).status_code == 303
    values = _url_values(smtp, clock, admin_client.user)
    paths = _get_paths(app, values)
    assert "/apply/received" in paths
    assert f"/manage/{values['token']}" in paths

    answered = {}
    for who, web in (("applicant", client), ("admin", admin_client)):
        for htmx in (False, True):
            for path in paths:
                response = web.get(path, headers={"HX-Request": "true"} if htmx else {})
                answered[(who, htmx, path)] = response.status_code
                assert response.headers.get("Cache-Control") == "no-store", (who, htmx, path)

    ok = {path for (who, htmx, path), status in answered.items() if status == 200}
    # The pages with personal data were really shown, not only redirects or 404s.
    for path in [
        "/apply/received",
        f"/manage/{values['token']}",
        f"/manage/{values['token']}/data.json",
        f"/coord/applications/{values['application_id']}",
        f"/coord/outbox/{values['message_id']}",
        f"/coord/cohorts/{values['cohort_id']}",
        "/coord/waitlist",
        "/coord/waitlist/export.csv",
        "/coord/reports/funnel.csv",
        "/coord/review",
        "/coord/login",
    ]:
        assert path in ok, (path, {k: v for k, v in answered.items() if k[2] == path})


def test_errors_say_no_store_too(client):
    response = client.get("/coord/applications/99999")
    assert response.status_code in (302, 404)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/no/such/page").headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(app, client):
    static = Path(app.static_folder)
    for name in ("css/app.css", "js/htmx.min.js", "favicon.svg"):
        assert (static / name).exists(), name
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            assert "no-store" not in response.headers.get("Cache-Control", "")
            assert response.headers["ETag"]


def test_a_header_the_response_set_itself_is_kept_and_the_rest_added_once():
    from werkzeug.datastructures import Headers

    from intake.security import add_missing

    headers = Headers([("Content-Type", "text/html"), ("x-frame-options", "SAMEORIGIN")])
    wanted = [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff")]

    add_missing(headers, wanted)
    add_missing(headers, wanted)

    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert len(headers) == 3


def test_every_security_header_is_on_a_page_once(client):
    response = client.get("/")
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
        "Cross-Origin-Opener-Policy",
    ):
        assert len(response.headers.getlist(name)) == 1, name
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
