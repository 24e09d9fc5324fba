"""One one-time code sent by several sign-ins at the same moment signs in once
(issue 9, item 9): threads started together at a barrier, many rounds on PostgreSQL,
a few on SQLite. No sleeps: each round moves the clock on to a new time step."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from intake.extensions import db
from intake.models import Coordinator
from tests.conftest import PASSWORD, RACE_ROUNDS
from tests.helpers import at_once, csrf_token

SIGN_INS = 4


def _at_the_code_step(app, user):
    """A client that gave the right password and is asked for a code, and the code
    form's CSRF token."""
    client = app.test_client()
    page = client.get("/coord/login").get_data(as_text=True)
    response = client.post(
        "/coord/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/coord/login/code"
    return client, csrf_token(client.get("/coord/login/code").get_data(as_text=True))


def test_a_code_sent_by_several_sign_ins_at_once_is_accepted_once(
    app, ctx, clock, make_coordinator
):
    user = make_coordinator(totp=True)
    totp = pyotp.TOTP(user.totp_secret)
    for n in range(RACE_ROUNDS):
        clock.advance(seconds=totp.interval)
        code = totp.at(clock())
        waiting = [_at_the_code_step(app, user) for _ in range(SIGN_INS)]

        def post(client, token, code=code):
            def send():
                response = client.post(
                    "/coord/login/code", data={"code": code, "csrf_token": token}
                )
                return response.status_code, client

            return send

        results = at_once([post(client, token) for client, token in waiting])
        statuses = sorted(status for status, _ in results)
        assert statuses == [303] + [422] * (SIGN_INS - 1), (n, statuses)
        # Exactly one of them is signed in; the others are still asked for a code.
        signed_in = [client.get("/coord/waitlist").status_code == 200 for _, client in results]
        assert signed_in.count(True) == 1, (n, signed_in)
        db.session.rollback()
        stored = db.session.scalar(
            select(Coordinator.totp_last_step).where(Coordinator.id == user.id)
        )
        assert stored == int(clock().timestamp() // totp.interval)


def test_the_same_code_is_refused_after_it_was_used(app, ctx, clock, make_coordinator):
    user = make_coordinator(totp=True)
    code = pyotp.TOTP(user.totp_secret).at(clock())
    first, token = _at_the_code_step(app, user)
    assert (
        first.post("/coord/login/code", data={"code": code, "csrf_token": token}).status_code == 303
    )
    second, token = _at_the_code_step(app, user)
    response = second.post("/coord/login/code", data={"code": code, "csrf_token": token})
    assert response.status_code == 422
    assert second.get("/coord/waitlist").status_code == 302
