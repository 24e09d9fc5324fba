"""Signing out ends the session on the server: a copy of the cookie taken before
sign-out is worthless after it (issue 9, item 3)."""

from intake.extensions import db
from intake.models import Coordinator
from tests.helpers import csrf_token


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief, thief.get("/coord/waitlist")


def _sign_out(client):
    page = client.get("/coord/waitlist").get_data(as_text=True)
    response = client.post("/coord/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app, coordinator_client, ctx):
    captured = _cookie(coordinator_client)
    # The copy works while the session lasts (the test would prove nothing otherwise).
    _, response = _replay(app, captured)
    assert response.status_code == 200

    token_before = db.session.get(Coordinator, coordinator_client.user.id).session_token
    _sign_out(coordinator_client)

    thief, response = _replay(app, captured)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login")
    # Nor does it refresh itself into a working one.
    assert thief.get("/coord/waitlist").status_code == 302
    db.session.expire_all()
    assert db.session.get(Coordinator, coordinator_client.user.id).session_token != token_before


def test_signing_out_ends_every_session_of_the_account(
    app, make_coordinator, login, coordinator_client
):
    laptop = coordinator_client
    phone = login(app.test_client(), laptop.user)
    assert phone.get("/coord/waitlist").status_code == 200

    _sign_out(laptop)

    assert phone.get("/coord/waitlist").status_code == 302
    # Signing in again works, and starts a new session.
    again = login(app.test_client(), laptop.user)
    assert again.get("/coord/waitlist").status_code == 200


def test_signing_out_without_a_session_is_harmless(app, client):
    page = client.get("/coord/login").get_data(as_text=True)
    response = client.post("/coord/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/coord/login"
