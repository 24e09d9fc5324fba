"""A form sent with an expired (or missing, or forged) CSRF token comes back with the
answers typed, a fresh token and a message; nothing is stored; sending it again works."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Applicant
from intake.screener import drafts
from tests.helpers import (
    APPLICATION_DETAILS,
    SCREENER_ANSWERS,
    complete_screener,
    csrf_token,
    form_token,
    open_application,
)

MESSAGE = "This form was open for a long time"


class _NineHoursAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 9 * 3600


def expired_token(client, app) -> str:
    """The session's CSRF token as a page signed it nine hours ago (the limit is 8)."""
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=_NineHoursAgo)
    return serializer.dumps(raw)


def applicants() -> int:
    return db.session.scalar(select(func.count()).select_from(Applicant))


def assert_shown_again(response, old_token: str) -> str:
    """The form is back (400 or 422) with the message and a fresh token; returns it."""
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422), page
    assert MESSAGE in page
    fresh = csrf_token(page)
    assert fresh != old_token
    return fresh


@pytest.mark.parametrize("bad", ["expired", "missing", "forged"])
def test_screener_keeps_the_answers(client, app, ctx, clock, bad):
    client.get("/screener")
    token = {
        "expired": expired_token(client, app),
        "missing": "",
        "forged": "IjEyMyI.forged.signature",
    }[bad]
    data = {**SCREENER_ANSWERS, "roles": ["home_visitor", "other"], "role_other": "Doula"}
    response = client.post("/screener", data={**data, "csrf_token": token})
    fresh = assert_shown_again(response, token)
    page = response.get_data(as_text=True)
    assert 'value="direct" checked' in page
    assert 'value="home_visitor" checked' in page
    assert 'value="Doula"' in page
    with client.session_transaction() as session:
        assert "screener" not in session  # not stored as a completed screener

    again = client.post("/screener", data={**data, "csrf_token": fresh})
    assert again.status_code == 200
    with client.session_transaction() as session:
        key = session["screener"]
    # The session holds only the key; the answers wait on the server.
    assert drafts.load(key, "individual", clock())["role_other"] == "Doula"


def test_screener_with_htmx_gets_a_fresh_token_out_of_band(htmx, app):
    htmx.get("/screener")
    old = expired_token(htmx, app)
    response = htmx.post("/screener", data={**SCREENER_ANSWERS, "csrf_token": old})
    page = response.get_data(as_text=True)
    assert "<html" not in page
    assert 'hx-swap-oob="true" id="csrf_token"' in page
    fresh = csrf_token(page)
    assert fresh != old
    assert htmx.post("/screener", data={**SCREENER_ANSWERS, "csrf_token": fresh}).status_code == 200


def test_application_keeps_the_answers_and_stores_nothing(client, app, ctx):
    complete_screener(client)
    _, _, token = open_application(client)
    old = expired_token(client, app)
    data = {**APPLICATION_DETAILS, "form_token": token}
    response = client.post("/apply", data={**data, "csrf_token": old})
    fresh = assert_shown_again(response, old)
    page = response.get_data(as_text=True)
    assert 'value="Rosa Example"' in page
    assert 'value="rosa@example.org"' in page
    assert 'value="98104"' in page
    assert 'value="weekday_evening" checked' in page
    assert form_token(page) == token  # still the same form: a resend is one application
    assert applicants() == 0

    again = client.post("/apply", data={**data, "csrf_token": fresh})
    assert again.status_code == 303
    assert again.headers["Location"] == "/apply/received"
    db.session.expire_all()
    assert applicants() == 1


def test_application_with_htmx_swaps_the_form(htmx, app, ctx):
    complete_screener(htmx)
    _, _, token = open_application(htmx)
    old = expired_token(htmx, app)
    data = {**APPLICATION_DETAILS, "form_token": token}
    response = htmx.post("/apply", data={**data, "csrf_token": old})
    fresh = assert_shown_again(response, old)
    page = response.get_data(as_text=True)
    assert "<html" not in page  # the form fragment, for htmx to swap
    assert 'value="Rosa Example"' in page
    assert applicants() == 0

    again = htmx.post("/apply", data={**data, "csrf_token": fresh})
    assert again.headers["HX-Redirect"] == "/apply/received"
    db.session.expire_all()
    assert applicants() == 1


def test_sign_in_keeps_the_address(client, app, make_coordinator):
    from tests.conftest import PASSWORD

    make_coordinator(totp=False)
    client.get("/coord/login")
    old = expired_token(client, app)
    data = {"email": "coordinator@example.org", "password": PASSWORD}
    response = client.post("/coord/login", data={**data, "csrf_token": old})
    fresh = assert_shown_again(response, old)
    assert 'value="coordinator@example.org"' in response.get_data(as_text=True)
    assert client.get("/coord/waitlist").status_code == 302  # not signed in

    again = client.post("/coord/login", data={**data, "csrf_token": fresh})
    assert again.status_code == 303
    assert client.get("/coord/waitlist").status_code == 200


def test_a_view_not_made_to_show_its_form_again_still_refuses(coordinator_client, app):
    """Everything else keeps the plain CSRF refusal (and acts on nothing)."""
    coordinator_client.get("/coord/waitlist")
    old = expired_token(coordinator_client, app)
    response = coordinator_client.post("/coord/logout", data={"csrf_token": old})
    assert response.status_code == 400
    assert coordinator_client.get("/coord/waitlist").status_code == 200  # still signed in


@pytest.fixture
def strict_referrer(app_config):
    app_config["WTF_CSRF_SSL_STRICT"] = True


def test_a_valid_token_without_a_same_origin_referrer_is_refused_by_the_form(
    strict_referrer, client, app, ctx
):
    """The CSRF check can fail with a valid token (HTTPS and no Referer): the form must
    refuse it too, not only a bad token."""
    complete_screener(client)
    _page, token, ftoken = open_application(client)
    data = {**APPLICATION_DETAILS, "form_token": ftoken, "csrf_token": token}
    response = client.post("/apply", data=data, base_url="https://localhost")
    assert response.status_code in (400, 422)
    # It says what happened: not a form open too long, a form not shown to be ours.
    assert "We could not confirm that this form was sent from this website" in (
        response.get_data(as_text=True)
    )
    assert applicants() == 0
