import re

import pyotp
import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.links import marker
from intake.models import Coordinator, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.conftest import PASSWORD
from tests.helpers import csrf_token, without_csrf


def _post(client, path, data):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def _sign_in(client, email, password=PASSWORD, path="/coord/login"):
    return _post(client, path, {"email": email, "password": password})


# Signing in -------------------------------------------------------------------------


def test_wrong_password_and_unknown_address_get_the_same_answer(app, make_coordinator):
    make_coordinator()
    client = app.test_client()
    wrong = _sign_in(client, "coordinator@example.org", "not the password")
    unknown = _sign_in(client, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 422
    message = "Those details do not match an active account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get("/coord/waitlist").status_code == 302


def test_an_account_whose_address_mail_cannot_carry_still_signs_in(app, make_coordinator):
    """Forms that send mail refuse letters such as "é" before the @; signing in only
    looks the address up, so an account made with one (from the command line) is not
    locked out."""
    make_coordinator(email="josé@example.org")
    response = _sign_in(app.test_client(), "josé@example.org")
    assert response.status_code == 303


def test_sign_in_starts_a_fresh_session(app, make_coordinator):
    make_coordinator()
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = _sign_in(client, "coordinator@example.org")
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(str(1)) or session["_user_id"]


def test_next_is_followed_only_within_the_site(app, make_coordinator):
    make_coordinator()
    for target, expected in [
        ("/coord/cohorts", "/coord/cohorts"),
        ("//evil.example/x", "/coord/waitlist"),
        ("https://evil.example/x", "/coord/waitlist"),
        ("/\\evil.example", "/coord/waitlist"),
    ]:
        client = app.test_client()
        response = _sign_in(client, "coordinator@example.org", path=f"/coord/login?next={target}")
        assert response.headers["Location"] == expected, target


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/coord/cohorts?program=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/coord/login?next=/coord/cohorts?program%3D1"


def test_logout_ends_the_session_and_needs_a_post(coordinator_client):
    assert coordinator_client.get("/coord/logout").status_code == 405
    page = coordinator_client.get("/coord/waitlist").get_data(as_text=True)
    response = coordinator_client.post("/coord/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert coordinator_client.get("/coord/waitlist").status_code == 302


def test_idle_sessions_end(coordinator_client, clock):
    clock.advance(minutes=29)
    assert coordinator_client.get("/coord/waitlist").status_code == 200
    clock.advance(minutes=29)  # activity resets the timer
    assert coordinator_client.get("/coord/waitlist").status_code == 200
    clock.advance(minutes=31)
    response = coordinator_client.get("/coord/waitlist")
    assert response.status_code == 302
    assert "signed out after a while" in coordinator_client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_password_change_and_deactivation_end_every_session(coordinator_client, ctx):
    from intake.auth.services import set_password

    user = db.session.get(Coordinator, coordinator_client.user.id)
    set_password(user, "another long password")
    db.session.commit()
    assert coordinator_client.get("/coord/waitlist").status_code == 302


def test_deactivated_account_is_signed_out_and_cannot_sign_in(app, coordinator_client, ctx):
    from intake.auth.services import deactivate

    deactivate(db.session.get(Coordinator, coordinator_client.user.id))
    db.session.commit()
    assert coordinator_client.get("/coord/waitlist").status_code == 302
    assert _sign_in(app.test_client(), "coordinator@example.org").status_code == 422


def test_sign_in_is_rate_limited(app_config, request):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = request.getfixturevalue("client")
    statuses = [_sign_in(client, "x@example.org", "wrong").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


# Two-step sign-in -------------------------------------------------------------------


def test_admin_without_a_second_factor_must_set_one_up(app, make_coordinator, clock, ctx):
    make_coordinator(email="boss@example.org", admin=True, totp=False)
    client = app.test_client()
    response = _sign_in(client, "boss@example.org")
    assert response.headers["Location"] == "/coord/account/two-factor"
    for path in ("/coord/waitlist", "/coord/admin/programs", "/coord/reports"):
        assert client.get(path).headers["Location"] == "/coord/account/two-factor"

    page = client.get("/coord/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="reference">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code, no inline script or style
    bad = client.post(
        "/coord/account/two-factor", data={"code": "000000", "csrf_token": csrf_token(page)}
    )
    assert bad.status_code == 422
    good = client.post(
        "/coord/account/two-factor",
        data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf_token(page)},
    )
    assert good.status_code == 303
    assert client.get("/coord/admin/programs").status_code == 200
    user = db.session.scalars(select(Coordinator).where(Coordinator.email == "boss@example.org"))
    assert user.one().totp_secret == secret


def test_code_is_required_and_each_code_works_once(app, make_coordinator, clock):
    user = make_coordinator(email="boss@example.org", admin=True)
    client = app.test_client()
    assert _sign_in(client, "boss@example.org").headers["Location"] == "/coord/login/code"
    assert client.get("/coord/waitlist").status_code == 302  # not signed in yet
    code = pyotp.TOTP(user.totp_secret).at(clock())
    assert _post(client, "/coord/login/code", {"code": "123456"}).status_code == 422
    assert _post(client, "/coord/login/code", {"code": code}).status_code == 303
    assert client.get("/coord/waitlist").status_code == 200

    replay = app.test_client()
    _sign_in(replay, "boss@example.org")
    response = _post(replay, "/coord/login/code", {"code": code})
    assert response.status_code == 422
    assert "That code did not work" in response.get_data(as_text=True)
    clock.advance(seconds=30)
    next_code = pyotp.TOTP(user.totp_secret).at(clock())
    assert _post(replay, "/coord/login/code", {"code": next_code}).status_code == 303


def test_an_unfinished_second_step_expires(app, make_coordinator, clock):
    user = make_coordinator(email="boss@example.org", admin=True)
    client = app.test_client()
    _sign_in(client, "boss@example.org")
    clock.advance(minutes=6)
    page = client.get("/coord/login/code")
    assert page.headers["Location"] == "/coord/login"
    code = pyotp.TOTP(user.totp_secret).at(clock())
    with client.session_transaction() as session:
        assert "coord_pending_2fa" not in session
    assert code  # a fresh code does not help without the password step


def test_coordinators_may_turn_on_two_step_sign_in(coordinator_client, clock):
    page = coordinator_client.get("/coord/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="reference">([A-Z2-7]+)</code>', page).group(1)
    response = coordinator_client.post(
        "/coord/account/two-factor",
        data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    assert "Two-step sign-in is on" in coordinator_client.get("/coord/account/two-factor").get_data(
        as_text=True
    )


# Password reset ---------------------------------------------------------------------


def test_reset_by_email_works_once(smtp, app, make_coordinator, clock, ctx):
    make_coordinator()
    client = app.test_client()
    unknown = _post(client, "/coord/forgot", {"email": "nobody@example.org"})
    known = _post(client, "/coord/forgot", {"email": "Coordinator@Example.org"})
    pages = [without_csrf(answer.get_data(as_text=True)) for answer in (unknown, known)]
    assert pages[0] == pages[1]
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert marker(row.link_nonce, "reset_url") in row.text_body  # no usable link stored

    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    path = re.search(r"https://intake\.example\.org(/coord/reset/\S+)", text).group(1)
    assert path not in row.text_body

    short = _post(client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    new = "a brand new long password"
    assert _post(client, path, {"password": new, "confirm": new}).status_code == 303
    assert _sign_in(app.test_client(), "coordinator@example.org", new).status_code == 303
    assert _sign_in(app.test_client(), "coordinator@example.org").status_code == 422
    # The link worked once.
    again = client.get(path)
    assert again.status_code == 400
    assert "This link does not work" in again.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(smtp, app, make_coordinator, clock):
    make_coordinator()
    client = app.test_client()
    _post(client, "/coord/forgot", {"email": "coordinator@example.org"})
    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    path = re.search(r"https://intake\.example\.org(/coord/reset/\S+)", text).group(1)
    clock.advance(minutes=61)
    assert client.get(path).status_code == 400
    assert client.get("/coord/reset/forged-token").status_code == 400


# Command line -----------------------------------------------------------------------


def test_create_coordinator_from_stdin(runner, ctx):
    result = runner.invoke(
        args=[
            "create-coordinator",
            "Lead@Example.org",
            "--name",
            "Pat Lead",
            "--admin",
            "--program",
            "introductory",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin lead@example.org." in result.output
    user = db.session.scalars(select(Coordinator)).one()
    assert (user.email, user.name, user.role) == ("lead@example.org", "Pat Lead", "admin")
    assert [p.slug for p in user.programs] == ["introductory"]
    assert user.password_hash.startswith("$argon2")


def test_create_coordinator_with_a_hidden_prompt(runner, ctx):
    result = runner.invoke(
        args=["create-coordinator", "c@example.org", "--name", "C"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--name", "C"], "short", "at least 12 characters"),
        (["--name", "C", "--program", "nope"], "a long enough password", "no such program"),
    ],
)
def test_create_coordinator_refuses_bad_input(runner, ctx, args, password, message):
    result = runner.invoke(
        args=["create-coordinator", "c@example.org", *args, "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalars(select(Coordinator)).all() == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("josé@example.org", "letters such as é before the @"),
        ("not an address", "not an e-mail address (An email address must have an @-sign.)"),
        ("c@example.org\x00", "not an e-mail address (The part after the @-sign contains"),
        # What the forms refuse too; email-validator says why.
        ("a@localhost", "not an e-mail address (The part after the @-sign is not valid."),
    ],
)
def test_create_coordinator_refuses_an_address_mail_cannot_reach(runner, ctx, email, message):
    """The forms' rule: the account's password links go to this address. The password is
    not asked for first (the prompt would take the input and ask again)."""
    result = runner.invoke(
        args=["create-coordinator", email, "--name", "C"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Password" not in result.output
    assert db.session.scalars(select(Coordinator)).all() == []


def test_create_coordinator_writes_a_name_in_the_domain_as_the_forms_do(runner, ctx):
    result = runner.invoke(
        args=["create-coordinator", " Rosa@Bücher.Example ", "--name", "Rosa", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Coordinator.email)).one() == "rosa@bücher.example"


def test_demo_admin_only_in_local_mode_and_only_once(runner, ctx):
    assert runner.invoke(args=["demo-admin"]).exit_code != 0
    ctx.config["LOCAL"] = True  # commands run in the test's app context
    first = runner.invoke(args=["demo-admin"])
    assert "admin@example.org" in first.output
    assert "password:" in first.output
    second = runner.invoke(args=["demo-admin"])
    assert second.output == ""
    assert len(db.session.scalars(select(Coordinator)).all()) == 1


def test_a_welcome_link_lasts_a_week_a_reset_link_an_hour(app, make_coordinator, clock, ctx):
    from intake.auth.services import RESET, WELCOME, load_reset_token, make_reset_token

    user = make_coordinator()
    welcome, reset = make_reset_token(user, WELCOME), make_reset_token(user, RESET)
    clock.advance(hours=2)
    assert load_reset_token(welcome).id == user.id
    assert load_reset_token(reset) is None
    clock.advance(days=7)
    assert load_reset_token(welcome) is None
