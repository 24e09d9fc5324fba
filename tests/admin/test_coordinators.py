import re

from sqlalchemy import select

from intake.extensions import db
from intake.links import marker
from intake.models import Coordinator, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.conftest import PASSWORD
from tests.factories import program
from tests.helpers import csrf_token, send_form

RESET_LINK = re.compile(r"https://intake\.example\.org(/coord/reset/\S+)")


def person(email: str) -> Coordinator:
    db.session.expire_all()
    return db.session.scalars(select(Coordinator).where(Coordinator.email == email)).one()


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/coord/login").get_data(as_text=True)
    return client.post(
        "/coord/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page)},
    )


def edit_url(user) -> str:
    return f"/coord/admin/coordinators/{user.id}/edit"


def action(client, user, name: str):
    """Press one of the account buttons on the person's page."""
    post_url = f"/coord/admin/coordinators/{user.id}/{name}"
    return send_form(client, edit_url(user), {}, post_url=post_url)


def test_list_shows_each_account(admin_client, make_coordinator, ctx):
    make_coordinator(email="rosa@example.org", programs=["introductory"], totp=True)
    gone = make_coordinator(email="gone@example.org")
    gone.active = False
    gone.programs = []
    db.session.commit()

    page = admin_client.get("/coord/admin/coordinators").get_data(as_text=True)
    rows = {
        email: row
        for row in re.findall(r"<tr.*?</tr>", page, re.S)
        for email in ("admin@example.org", "rosa@example.org", "gone@example.org")
        if f"<td>{email}</td>" in row
    }
    assert "<caption>Everyone who can sign in to the workspace</caption>" in page
    assert re.findall(r"<td>(.*?)</td>", rows["rosa@example.org"], re.S)[:5] == [
        "rosa@example.org",
        "Coordinator",
        "Active",
        "On",
        "Introductory reflective practice",
    ]
    assert "Never" in rows["rosa@example.org"]
    assert "<strong>Deactivated</strong>" in rows["gone@example.org"]
    assert "None" in rows["gone@example.org"]
    admin_row = rows["admin@example.org"]
    assert "<td>Admin</td>" in admin_row
    assert "(you)" in admin_row
    assert "Mar 2, 2026" in admin_row  # signed in by the fixture, at the test clock


def test_new_coordinator_gets_an_email_to_choose_a_password(smtp, admin_client, ctx, clock):
    data = {
        "email": "New.Person@Example.org",
        "name": "New Person",
        "role": "coordinator",
        "programs": [str(program("introductory").id), str(program("bipoc-intensive").id)],
    }
    response = send_form(admin_client, "/coord/admin/coordinators/new", data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/coord/admin/coordinators"

    user = person("new.person@example.org")
    assert (user.name, user.role, user.active, user.has_totp) == (
        "New Person",
        "coordinator",
        True,
        False,
    )
    assert sorted(p.slug for p in user.programs) == ["bipoc-intensive", "introductory"]
    # Nobody knows the random password.
    assert sign_in(admin_client.application.test_client(), user.email).status_code == 422

    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert row.coordinator_id == user.id
    assert marker(row.link_nonce, "reset_url") in row.text_body  # no usable link stored
    assert deliver_due(clock()).sent == 1
    [message] = smtp.messages
    assert message["To"] == "new.person@example.org"
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Your coordinator account for reflective practice groups"
    assert "It works once, for seven days" in text
    path = RESET_LINK.search(text).group(1)
    clock.advance(days=2)  # a welcome link outlives a password-reset link's hour

    newcomer = admin_client.application.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200
    new_password = "a long password of my own"
    response = newcomer.post(
        path,
        data={
            "password": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(form.get_data(as_text=True)),
        },
    )
    assert response.status_code == 303
    signed_in = sign_in(newcomer, user.email, new_password)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/coord/waitlist"
    assert newcomer.get("/coord/cohorts").status_code == 200


def test_new_admin_must_set_up_two_step_sign_in(smtp, admin_client, ctx, clock):
    data = {"email": "boss@example.org", "name": "Boss", "role": "admin"}
    assert send_form(admin_client, "/coord/admin/coordinators/new", data).status_code == 303
    user = person("boss@example.org")
    assert user.role == "admin"
    assert user.programs == []
    deliver_due(clock())
    path = RESET_LINK.search(smtp.messages[0].get_body(("plain",)).get_content()).group(1)
    client = admin_client.application.test_client()
    token = csrf_token(client.get(path).get_data(as_text=True))
    password = "the boss's own long password"
    client.post(path, data={"password": password, "confirm": password, "csrf_token": token})
    response = sign_in(client, user.email, password)
    assert response.headers["Location"] == "/coord/account/two-factor"


def test_an_address_with_an_account_is_refused(admin_client, make_coordinator, ctx):
    make_coordinator(email="rosa@example.org")
    data = {"email": "ROSA@example.org", "name": "Rosa Again", "role": "coordinator"}
    response = send_form(admin_client, "/coord/admin/coordinators/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "An account with this e-mail address already exists." in page
    assert 'value="Rosa Again"' in page
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_invalid_new_coordinator_keeps_answers(admin_client, ctx):
    intro = program("introductory").id
    data = {"email": "not-an-address", "name": "", "programs": [str(intro)]}
    response = send_form(admin_client, "/coord/admin/coordinators/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an e-mail address like name@example.org." in page
    assert "Enter the person&#39;s name." in page
    assert "Choose a role." in page
    assert 'value="not-an-address"' in page
    assert re.search(rf'name="programs"\s+value="{intro}" checked', page)
    assert db.session.scalars(select(Coordinator).where(Coordinator.name == "")).all() == []


def test_edit_role_and_programs(admin_client, make_coordinator, ctx):
    user = make_coordinator(email="rosa@example.org", programs=["introductory"])
    data = {
        "name": "Rosa Renamed",
        "role": "admin",
        "programs": [str(program("king-county-consultation").id)],
    }
    response = send_form(admin_client, edit_url(user), data)
    assert response.status_code == 303
    assert response.headers["Location"] == edit_url(user)
    user = person("rosa@example.org")
    assert (user.name, user.role) == ("Rosa Renamed", "admin")
    assert [p.slug for p in user.programs] == ["king-county-consultation"]

    data = {"name": "Rosa Renamed", "role": "coordinator"}  # no programs ticked
    assert send_form(admin_client, edit_url(user), data).status_code == 303
    user = person("rosa@example.org")
    assert (user.role, user.programs) == ("coordinator", [])


def test_an_admin_cannot_remove_their_own_admin_role(admin_client, ctx):
    me = admin_client.user
    response = send_form(admin_client, edit_url(me), {"name": "Admin", "role": "coordinator"})
    assert response.status_code == 422
    assert "You cannot remove your own admin role." in response.get_data(as_text=True)
    assert person("admin@example.org").role == "admin"


def test_an_admin_cannot_deactivate_themself(admin_client, ctx):
    me = admin_client.user
    page = admin_client.get(edit_url(me)).get_data(as_text=True)
    assert "/deactivate" not in page  # no button for it
    response = action(admin_client, me, "deactivate")
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert person("admin@example.org").active is True
    assert admin_client.get("/coord/admin/programs").status_code == 200


def test_deactivation_ends_the_other_persons_session_at_once(
    admin_client, make_coordinator, login, app, ctx
):
    user = make_coordinator(email="rosa@example.org")
    rosa = login(app.test_client(), user)
    assert rosa.get("/coord/cohorts").status_code == 200

    response = action(admin_client, user, "deactivate")
    assert response.status_code == 303
    assert response.headers["Location"] == edit_url(user)
    assert "Rosa is deactivated and signed out everywhere." in admin_client.get(
        edit_url(user)
    ).get_data(as_text=True)
    assert person("rosa@example.org").active is False

    # Her very next request finds her signed out, and she cannot sign in again.
    response = rosa.get("/coord/cohorts")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login")
    assert sign_in(app.test_client(), user.email).status_code == 422

    assert action(admin_client, user, "reactivate").status_code == 303
    assert person("rosa@example.org").active is True
    assert sign_in(app.test_client(), user.email).status_code == 303
    # Sessions ended by the deactivation stay ended.
    assert rosa.get("/coord/cohorts").status_code == 302


def test_htmx_account_buttons_swap_the_account_box(admin_client, make_coordinator, ctx):
    user = make_coordinator(email="rosa@example.org")
    admin_client.environ_base["HTTP_HX_REQUEST"] = "true"
    response = action(admin_client, user, "deactivate")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<section id="account"')
    assert "Rosa is deactivated and signed out everywhere." in page
    assert "Reactivate" in page
    assert person("rosa@example.org").active is False

    me = admin_client.user
    refused = action(admin_client, me, "deactivate")
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).lstrip().startswith('<section id="account"')


def test_reset_two_step_sign_in(admin_client, make_coordinator, login, app, ctx, clock):
    user = make_coordinator(email="rosa@example.org", totp=True)
    rosa = login(app.test_client(), user)
    assert "Reset two-step sign-in" in admin_client.get(edit_url(user)).get_data(as_text=True)

    assert action(admin_client, user, "reset-two-step").status_code == 303
    user = person("rosa@example.org")
    assert (user.totp_secret, user.totp_confirmed_at, user.totp_last_step) == (None, None, None)
    assert rosa.get("/coord/cohorts").status_code == 302  # signed out
    # She signs in with her password alone now, and may set up a new app.
    response = sign_in(app.test_client(), user.email)
    assert response.headers["Location"] == "/coord/waitlist"


def test_an_admin_resetting_their_own_two_step_sets_it_up_again(admin_client, ctx):
    me = admin_client.user
    response = action(admin_client, me, "reset-two-step")
    assert response.headers["Location"] == "/coord/account/two-factor"
    assert person("admin@example.org").has_totp is False
    # Still signed in, but nothing else until a new app is set up.
    assert admin_client.get("/coord/admin/programs").headers["Location"] == (
        "/coord/account/two-factor"
    )
    page = admin_client.get("/coord/account/two-factor")
    assert page.status_code == 200
    assert "Your two-step sign-in is reset. Set it up again now." in page.get_data(as_text=True)


def test_list_query_count_does_not_grow_with_accounts(admin_client, make_coordinator, statements):
    def count_for_list():
        statements.clear()
        assert admin_client.get("/coord/admin/coordinators").status_code == 200
        return len(statements)

    few = count_for_list()
    for n in range(8):
        make_coordinator(email=f"person{n}@example.org")
    assert count_for_list() == few
