"""Attendance (issue 11): facilitators see only their groups, mark attendance with a
tap (htmx or a plain form), everyone present at once, concurrent taps leave one row,
two absences in a row go to the coordinators' digest, and the roster file."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.attendance import services
from intake.digest.services import send_due
from intake.extensions import db
from intake.models import Attendance, CohortFacilitator, CohortSession, Coordinator
from tests.cohorts.test_races import race
from tests.conftest import RACE_ROUNDS
from tests.factories import add_cohort, add_participant, add_sessions, application_maker
from tests.helpers import csrf_token
from tests.respond.support import deliver, text

SELF_ID = "Identifies as Black, Indigenous, or a Person of Color"


@pytest.fixture
def group(ctx, clock):
    """A BIPOC intensive cohort with three people (one asks for captions), six weekly
    sessions, the first two weeks ago; and another program's cohort."""
    now = clock()
    add = application_maker(clock)
    cohort = add_cohort(now, program="bipoc-intensive", name="Circle of care", commit=False)
    other = add_cohort(now, program="introductory", name="Other program's group", commit=False)
    people = [
        add_participant(
            add("Ana Present", program="bipoc-intensive", status="enrolled", bipoc="yes"),
            cohort,
            now,
            role="home_visitor",
            access_needs=["captions"],
            commit=False,
        ),
        add_participant(
            add("Ben Absent", program="bipoc-intensive", status="enrolled", bipoc="yes"),
            cohort,
            now,
            locale="es",
            commit=False,
        ),
        add_participant(
            add("=HYPERLINK(1)", program="bipoc-intensive", status="enrolled", bipoc="yes"),
            cohort,
            now,
            commit=False,
        ),
    ]
    stranger = add_participant(
        add("Olga Otherprogram", program="introductory", status="enrolled"),
        other,
        now,
        commit=False,
    )
    sessions = add_sessions(cohort, now - timedelta(weeks=2), count=6, commit=False)
    other_sessions = add_sessions(other, now - timedelta(weeks=1), count=2, commit=False)
    db.session.commit()
    return {
        "cohort": cohort,
        "other": other,
        "people": people,
        "stranger": stranger,
        "sessions": sessions,
        "other_sessions": other_sessions,
    }


@pytest.fixture
def facilitator(app, group, make_coordinator, login):
    client = app.test_client()
    client.user = make_coordinator(email="fran@example.org", role="facilitator")
    db.session.add(CohortFacilitator(cohort_id=group["cohort"].id, coordinator_id=client.user.id))
    db.session.commit()
    return login(client, client.user)


def _token(client, path):
    return csrf_token(client.get(path).get_data(as_text=True))


def _marks(session_id):
    db.session.rollback()
    return dict(
        db.session.execute(
            select(Attendance.participant_id, Attendance.status).where(
                Attendance.session_id == session_id
            )
        ).all()
    )


def test_facilitator_lands_on_my_groups_and_sees_only_its_own(app, group, facilitator, login):
    user = facilitator.user
    fresh = login(app.test_client(), user)
    landing = fresh.get("/coord/login")  # signed in already: the login page
    assert landing.status_code in (200, 302, 303)
    page = facilitator.get("/coord/groups").get_data(as_text=True)
    assert "My groups" in page
    assert "Circle of care" in page
    assert "Other program's group" not in page
    other, theirs = group["other_sessions"][0], group["sessions"][0]
    assert facilitator.get(f"/coord/sessions/{other.id}/attendance").status_code == 404
    assert facilitator.get(f"/coord/groups/{group['other'].id}/roster.csv").status_code == 404
    roster = facilitator.get(f"/coord/sessions/{theirs.id}/attendance").get_data(as_text=True)
    assert "Ana Present" in roster
    assert "Olga Otherprogram" not in roster
    assert SELF_ID not in roster
    # The rest of the workspace is not theirs.
    for path in (
        "/coord/waitlist",
        "/coord/review",
        "/coord/cohorts",
        "/coord/reports",
        "/coord/outbox",
        f"/coord/cohorts/{group['cohort'].id}",
        "/coord/admin/programs",
    ):
        assert facilitator.get(path).status_code == 403, path


def test_sign_in_lands_on_my_groups(app, group, make_coordinator, clock):
    from tests.conftest import PASSWORD

    user = make_coordinator(email="fay@example.org", role="facilitator")
    client = app.test_client()
    page = client.get("/coord/login").get_data(as_text=True)
    response = client.post(
        "/coord/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/coord/groups"
    assert "You do not lead any group yet" in client.get("/coord/groups").get_data(as_text=True)


def test_a_tap_with_htmx_swaps_the_row_and_a_plain_form_comes_back(group, facilitator):
    session = group["sessions"][0]
    ana, ben, _ = group["people"]
    path = f"/coord/sessions/{session.id}/attendance"
    token = _token(facilitator, path)
    response = facilitator.post(
        path,
        data={"csrf_token": token, "participant": ana.id, "status": "present"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.strip().startswith(f'<li id="person-{ana.id}"')
    assert f'id="mark-{ana.id}-present"' in row
    assert 'aria-pressed="true"' in row
    assert row.count('aria-pressed="true"') == 1
    assert "<html" not in row
    response = facilitator.post(
        path, data={"csrf_token": token, "participant": ben.id, "status": "excused"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{path}#person-{ben.id}")
    page = facilitator.get(path).get_data(as_text=True)
    assert "Ben Absent: Excused." in page
    assert _marks(session.id) == {ana.id: "present", ben.id: "excused"}
    # A change of mind changes the row, still one.
    facilitator.post(path, data={"csrf_token": token, "participant": ana.id, "status": "absent"})
    assert _marks(session.id) == {ana.id: "absent", ben.id: "excused"}


def test_refused_taps_change_nothing(group, facilitator):
    session = group["sessions"][0]
    path = f"/coord/sessions/{session.id}/attendance"
    token = _token(facilitator, path)
    for data in (
        {"participant": group["stranger"].id, "status": "present"},  # not in this group
        {"participant": group["people"][0].id, "status": "asleep"},
        {"participant": "x", "status": "present"},
    ):
        response = facilitator.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 422, data
    assert _marks(session.id) == {}
    other = group["other_sessions"][0]
    response = facilitator.post(
        f"/coord/sessions/{other.id}/attendance",
        data={"csrf_token": token, "participant": group["stranger"].id, "status": "present"},
    )
    assert response.status_code == 404
    assert _marks(other.id) == {}


def test_everyone_present_with_and_without_htmx(group, facilitator):
    first, second = group["sessions"][:2]
    for session, headers in ((first, {"HX-Request": "true"}), (second, {})):
        path = f"/coord/sessions/{session.id}/attendance"
        token = _token(facilitator, path)
        facilitator.post(
            path,
            data={"csrf_token": token, "participant": group["people"][1].id, "status": "absent"},
        )
        response = facilitator.post(
            f"{path}/everyone-present", data={"csrf_token": token}, headers=headers
        )
        body = response.get_data(as_text=True)
        if headers:
            assert response.status_code == 200
            assert body.strip().startswith('<section id="roster"')
            assert "Everyone is marked present (3 people)." in body
        else:
            assert response.status_code == 303
            assert "Everyone is marked present" in facilitator.get(path).get_data(as_text=True)
        assert set(_marks(session.id).values()) == {"present"}
        assert len(_marks(session.id)) == 3


def test_coordinators_and_admins_mark_too_others_do_not(
    app, group, make_coordinator, login, admin_client
):
    session = group["sessions"][0]
    path = f"/coord/sessions/{session.id}/attendance"
    theirs = login(
        app.test_client(), make_coordinator("c@example.org", programs=["bipoc-intensive"])
    )
    outsider = login(
        app.test_client(), make_coordinator("o@example.org", programs=["introductory"])
    )
    assert outsider.get(path).status_code == 404
    assert "Circle of care" not in outsider.get("/coord/groups").get_data(as_text=True)
    for client, status in ((theirs, "present"), (admin_client, "excused")):
        response = client.post(
            path,
            data={
                "csrf_token": _token(client, path),
                "participant": group["people"][0].id,
                "status": status,
            },
        )
        assert response.status_code == 303
        assert _marks(session.id) == {group["people"][0].id: status}


def test_concurrent_taps_leave_one_row(app, group, clock):
    """Two people tapping the same person at once (one says present, the other
    excused, then both absent): one row, holding one of the taps; no error."""
    session_id = group["sessions"][0].id
    person_id = group["people"][0].id

    def tap(status):
        def job(go):
            session = db.session.get(CohortSession, session_id)
            go()
            return services.mark(session, person_id, status, by=None, now=clock()).status

        return job

    for round_number in range(RACE_ROUNDS):
        results = race(app, tap("present"), tap("excused"))
        assert sorted(results) == ["excused", "present"] or set(results) <= {
            "present",
            "excused",
        }, (round_number, results)
        db.session.rollback()
        rows = db.session.execute(
            select(Attendance.status).where(
                Attendance.session_id == session_id, Attendance.participant_id == person_id
            )
        ).all()
        assert len(rows) == 1, (round_number, rows)
        assert rows[0][0] in ("present", "excused")
    results = race(app, tap("absent"), tap("absent"))
    assert results == ["absent", "absent"]
    assert _marks(session_id)[person_id] == "absent"


def test_two_absences_in_a_row_are_no_longer_emailed_at_once_but_in_the_digest(
    smtp, app, group, facilitator, make_coordinator, clock, login
):
    """Issue 12 moved the two-absences alert from an e-mail at the moment of marking
    into the coordinators' daily digest (intake.digest; tests/digest has the rest)."""
    make_coordinator("lead@example.org", programs=["bipoc-intensive"])
    make_coordinator("intro@example.org", programs=["introductory"])
    first, second = group["sessions"][:2]
    ben = group["people"][1]

    def tap(session, status):
        login(facilitator, facilitator.user)  # time moved past the idle sign-out
        path = f"/coord/sessions/{session.id}/attendance"
        response = facilitator.post(
            path,
            data={"csrf_token": _token(facilitator, path), "participant": ben.id, "status": status},
        )
        assert response.status_code == 303

    tap(first, "absent")
    clock.current = second.starts_at + timedelta(hours=2)
    tap(second, "absent")  # held: two in a row
    assert services.absence_streak(ben, clock()) == [first, second]
    assert deliver(smtp, clock()) == []  # nothing at the moment of marking
    # The roster flags the person, on the page and in the row htmx gets back.
    page = facilitator.get(f"/coord/sessions/{second.id}/attendance").get_data(as_text=True)
    assert f'id="person-{ben.id}-missed">Missed the last 2 sessions<' in page
    assert page.count("Missed the last") == 1
    login(facilitator, facilitator.user)
    path = f"/coord/sessions/{second.id}/attendance"
    fragment = facilitator.post(
        path,
        data={"csrf_token": _token(facilitator, path), "participant": ben.id, "status": "absent"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "Missed the last 2 sessions" in fragment

    clock.current = second.starts_at + timedelta(days=1)  # 9:00 in Seattle, after DIGEST_HOUR
    assert send_due(clock()) == 2  # the program's coordinator and the group's facilitator
    db.session.commit()
    messages = deliver(smtp, clock())
    assert sorted(m["To"] for m in messages) == ["fran@example.org", "lead@example.org"]
    for message in messages:
        assert "Ben Absent, Circle of care" in text(message)
        assert "missed the last 2 sessions" in text(message)
    assert "Olga" not in text(messages[0]) + text(messages[1])


def test_roster_csv_has_access_needs_and_no_self_identification(app, group, facilitator):
    response = facilitator.get(f"/coord/groups/{group['cohort'].id}/roster.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["Name", "E-mail", "Language", "Role", "Access needs", "Status"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Ana Present", "Ben Absent", "'=HYPERLINK(1)"}
    ana = by_name["Ana Present"]
    assert ana[1].endswith("@example.org")
    assert ana[2] == "English"
    assert ana[3] == "Home visitor (including nurse home visitor)"
    assert ana[4] == "Live captions (CART)"
    assert by_name["Ben Absent"][2] == "Español"
    assert "BIPOC" not in body
    assert "bipoc" not in body.lower()
    assert "yes" not in body.lower()
    assert "Olga" not in body


def test_admin_creates_a_facilitator_and_assigns_a_cohort(app, group, admin_client):
    token = _token(admin_client, "/coord/admin/coordinators/new")
    response = admin_client.post(
        "/coord/admin/coordinators/new",
        data={
            "csrf_token": token,
            "name": "Fia Leader",
            "email": "fia@example.org",
            "role": "facilitator",
            "programs": [],
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    fia = db.session.scalars(
        select(Coordinator).where(Coordinator.email == "fia@example.org")
    ).one()
    assert fia.role == "facilitator"
    assert fia.programs == []
    cohort = group["cohort"]
    path = f"/coord/admin/cohorts/{cohort.id}/edit"
    page = admin_client.get(path).get_data(as_text=True)
    assert "Fia Leader (fia@example.org)" in page
    response = admin_client.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            "program": cohort.program_id,
            "name": cohort.name,
            "language": cohort.language,
            "facilitator": cohort.facilitator,
            "schedule": cohort.schedule,
            "time_slot": cohort.time_slot,
            "start_date": cohort.start_date.isoformat(),
            "seats": cohort.seats,
            "facilitator_accounts": [fia.id],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(
        select(CohortFacilitator.coordinator_id).where(CohortFacilitator.cohort_id == cohort.id)
    ).all() == [fia.id]


def test_create_coordinator_command_makes_a_facilitator(app, ctx):
    result = app.test_cli_runner().invoke(
        args=[
            "create-coordinator",
            "fred@example.org",
            "--name",
            "Fred",
            "--role",
            "facilitator",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created facilitator fred@example.org." in result.output
    db.session.rollback()
    fred = db.session.scalars(
        select(Coordinator).where(Coordinator.email == "fred@example.org")
    ).one()
    assert fred.role == "facilitator"


def test_a_cancelled_session_has_nothing_to_mark(group, facilitator):
    session = group["sessions"][2]
    session.status = "cancelled"
    db.session.commit()
    path = f"/coord/sessions/{session.id}/attendance"
    page = facilitator.get(path).get_data(as_text=True)
    assert "This session is cancelled" in page
    assert "Mark everyone present" not in page
    token = _token(facilitator, "/coord/groups")
    for url, data in (
        (path, {"participant": group["people"][0].id, "status": "present"}),
        (f"{path}/everyone-present", {}),
    ):
        response = facilitator.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 422
    assert _marks(session.id) == {}


def test_a_facilitator_with_two_step_sign_in_lands_on_my_groups(
    app, group, make_coordinator, login
):
    user = make_coordinator(email="tess@example.org", role="facilitator", totp=True)
    client = login(app.test_client(), user)
    page = client.get("/coord/groups").get_data(as_text=True)
    assert "My groups" in page
    assert client.get("/coord/account/two-factor").status_code == 200


def test_changing_the_role_keeps_the_rule(app, group, admin_client, make_coordinator):
    """A coordinator made facilitator loses their programs; a facilitator made
    coordinator stops leading their groups."""
    person = make_coordinator(email="pat@example.org", programs=["bipoc-intensive"])
    path = f"/coord/admin/coordinators/{person.id}/edit"

    def change(role, programs):
        response = admin_client.post(
            path,
            data={
                "csrf_token": _token(admin_client, path),
                "name": "Pat",
                "role": role,
                "programs": programs,
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        db.session.rollback()
        return db.session.get(Coordinator, person.id)

    pat = change("facilitator", [group["cohort"].program_id])
    assert pat.role == "facilitator"
    assert pat.programs == []
    db.session.add(CohortFacilitator(cohort_id=group["cohort"].id, coordinator_id=pat.id))
    db.session.commit()
    pat = change("coordinator", [group["cohort"].program_id])
    assert pat.role == "coordinator"
    assert [p.id for p in pat.programs] == [group["cohort"].program_id]
    assert db.session.scalars(select(CohortFacilitator)).all() == []


def test_the_roster_and_groups_pages_query_count_does_not_grow(
    app, group, facilitator, statements, clock
):
    session = group["sessions"][0]
    paths = (f"/coord/sessions/{session.id}/attendance", "/coord/groups")

    def count(path):
        statements.clear()
        assert facilitator.get(path).status_code == 200
        return len(statements)

    before = [count(path) for path in paths]
    add = application_maker(clock)
    for number in range(6):
        add_participant(
            add(f"More Person {number}", program="bipoc-intensive", status="enrolled"),
            group["cohort"],
            clock(),
            commit=False,
        )
    add_sessions(group["cohort"], clock() + timedelta(weeks=8), count=4, commit=False)
    db.session.commit()
    assert [count(path) for path in paths] == before
