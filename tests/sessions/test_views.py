"""The sessions pages: add sessions from the program's defaults, change, move and
cancel one; plain forms and htmx; only the program's coordinators."""

from datetime import UTC, datetime

from sqlalchemy import select

from intake.extensions import db
from intake.models import CohortSession, OutboxMessage
from tests.factories import add_cohort, add_participant, add_sessions
from tests.helpers import csrf_token, send_form
from tests.respond.support import apply

GENERATE = {
    "first_date": "2026-04-07",
    "pattern": "biweekly",
    "count": "4",
    "start_time": "18:30",
    "minutes": "120",
    "location_kind": "online",
    "meeting_url": "https://meet.example.org/spring",
    "place": "",
}


def _sessions(cohort_id):
    db.session.expire_all()
    return db.session.scalars(
        select(CohortSession)
        .where(CohortSession.cohort_id == cohort_id)
        .order_by(CohortSession.starts_at)
    ).all()


def test_the_form_starts_from_the_programs_defaults(coordinator_client, ctx, clock):
    cohort = add_cohort(clock(), program="reflective-practice-group")
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "No sessions yet." in page
    assert f'href="/coord/cohorts/{cohort.id}/sessions/new"' in page
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}/sessions/new").get_data(as_text=True)
    assert 'value="2026-04-07"' in page  # the cohort's start date
    assert 'value="18:00"' in page  # the schedule's "6–8 pm"
    assert 'name="count" type="text" value="10"' in page or 'value="10"' in page
    assert 'value="monthly" checked' in page or 'checked value="monthly"' in page


def test_generate_without_javascript(coordinator_client, ctx, clock):
    cohort = add_cohort(clock())
    url = f"/coord/cohorts/{cohort.id}/sessions/new"
    response = send_form(coordinator_client, url, GENERATE)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coord/cohorts/{cohort.id}#sessions"
    sessions = _sessions(cohort.id)
    assert [s.starts_at for s in sessions] == [
        datetime(2026, 4, 8, 1, 30, tzinfo=UTC),
        datetime(2026, 4, 22, 1, 30, tzinfo=UTC),
        datetime(2026, 5, 6, 1, 30, tzinfo=UTC),
        datetime(2026, 5, 20, 1, 30, tzinfo=UTC),
    ]
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "4 sessions added, from Tuesday, April 7, 2026, 6:30\u202fPM." in page
    assert "Tuesday, April 7, 2026" in page
    assert "https://meet.example.org/spring" in page


def test_generate_refuses_bad_input_and_keeps_it(coordinator_client, htmx, ctx, clock, login):
    cohort = add_cohort(clock())
    url = f"/coord/cohorts/{cohort.id}/sessions/new"
    bad = {**GENERATE, "count": "99", "meeting_url": "", "minutes": "5"}
    response = send_form(coordinator_client, url, bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a number from 1 to 52." in page
    assert "Enter the meeting link." in page
    assert "Enter a number of minutes from 15 to 720." in page
    assert 'value="99"' in page
    in_person = {**GENERATE, "location_kind": "in_person", "meeting_url": "", "place": ""}
    response = send_form(coordinator_client, url, in_person)
    assert "Enter where the session takes place." in response.get_data(as_text=True)
    assert _sessions(cohort.id) == []


def test_generate_with_htmx(app, make_coordinator, login, ctx, clock):
    cohort = add_cohort(clock())
    client = login(app.test_client(), make_coordinator())
    url = f"/coord/cohorts/{cohort.id}/sessions/new"
    token = csrf_token(client.get(url).get_data(as_text=True))
    headers = {"HX-Request": "true"}
    response = client.post(
        url, data={**GENERATE, "count": "0", "csrf_token": token}, headers=headers
    )
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<form")
    assert 'id="generate-form"' in fragment
    response = client.post(url, data={**GENERATE, "csrf_token": token}, headers=headers)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/coord/cohorts/{cohort.id}#sessions"
    assert len(_sessions(cohort.id)) == 4


def _one_session(cohort, clock):
    """Tuesday 7 April 2026, 6 pm Pacific daylight time, 90 minutes."""
    [session] = add_sessions(
        cohort,
        datetime(2026, 4, 8, 1, 0, tzinfo=UTC),
        count=1,
        meeting_url="https://meet.example.org/a",
    )
    return session


def _edit_data(**changes):
    return {
        "day": "2026-04-07",
        "start_time": "18:00",
        "minutes": "90",
        "location_kind": "online",
        "meeting_url": "https://meet.example.org/a",
        "place": "",
        "sequence": "0",
        **changes,
    }


def test_move_change_place_and_cancel(coordinator_client, app, ctx, clock):
    cohort = add_cohort(clock())
    session = _one_session(cohort, clock)
    rosa = add_participant(apply(app), cohort, clock())
    url = f"/coord/cohorts/{cohort.id}/sessions/{session.id}"

    page = coordinator_client.get(url).get_data(as_text=True)
    assert "The 1 active participant will be e-mailed any change" in page
    response = send_form(coordinator_client, url, _edit_data())
    assert response.status_code == 303
    assert "Nothing was changed" in coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(
        as_text=True
    )

    response = send_form(coordinator_client, url, _edit_data(day="2026-04-09", start_time="17:00"))
    assert response.status_code == 303
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Session changed: now Thursday, April 9, 2026, 5:00\u202fPM." in page
    assert "1 participant is e-mailed the change, with a calendar update." in page
    [moved] = _sessions(cohort.id)
    assert (moved.starts_at, moved.sequence) == (datetime(2026, 4, 10, 0, 0, tzinfo=UTC), 1)

    # A form opened before the move is out of date: refused, nothing changed.
    response = send_form(
        coordinator_client, url, _edit_data(location_kind="in_person", place="Room 1")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Someone changed or cancelled this session since you opened it." in page
    assert 'value="2026-04-09"' in page  # the form shows the session as it is now
    assert _sessions(cohort.id)[0].location_kind == "online"

    response = send_form(
        coordinator_client,
        url,
        _edit_data(
            day="2026-04-09",
            start_time="17:00",
            sequence="1",
            location_kind="in_person",
            meeting_url="",
            place="Room 1, 1 Example St",
        ),
    )
    assert response.status_code == 303
    [changed] = _sessions(cohort.id)
    assert (changed.location_kind, changed.place, changed.meeting_url, changed.sequence) == (
        "in_person",
        "Room 1, 1 Example St",
        None,
        2,
    )

    response = send_form(coordinator_client, url, {"sequence": "2"}, post_url=f"{url}/cancel")
    assert response.status_code == 303
    [cancelled] = _sessions(cohort.id)
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 3)
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Session of Thursday, April 9, 2026, 5:00\u202fPM cancelled." in page
    assert "Cancelled" in page

    # Cancelling again changes nothing.
    response = send_form(coordinator_client, url, {"sequence": "3"}, post_url=f"{url}/cancel")
    assert response.status_code == 422
    assert "already cancelled" in response.get_data(as_text=True)
    keys = sorted(
        db.session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.participant_id == rosa.id)
        )
    )
    assert keys == [
        f"session_cancelled:{session.id}:3:{rosa.id}",
        f"session_changed:{session.id}:1:{rosa.id}",
        f"session_changed:{session.id}:2:{rosa.id}",
    ]


def test_cancel_with_htmx_swaps_the_forms(app, make_coordinator, login, ctx, clock):
    cohort = add_cohort(clock())
    session = _one_session(cohort, clock)
    client = login(app.test_client(), make_coordinator())
    url = f"/coord/cohorts/{cohort.id}/sessions/{session.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    headers = {"HX-Request": "true"}
    response = client.post(
        f"{url}/cancel", data={"sequence": "7", "csrf_token": token}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<div id="session-forms">')
    response = client.post(
        f"{url}/cancel", data={"sequence": "0", "csrf_token": token}, headers=headers
    )
    assert response.headers["HX-Redirect"] == f"/coord/cohorts/{cohort.id}#sessions"
    assert _sessions(cohort.id)[0].status == "cancelled"


def test_another_programs_coordinator_gets_404(app, make_coordinator, login, ctx, clock):
    cohort = add_cohort(clock(), program="bipoc-intensive")
    session = _one_session(cohort, clock)
    outsider = login(
        app.test_client(), make_coordinator(email="intro@example.org", programs=["introductory"])
    )
    base = f"/coord/cohorts/{cohort.id}/sessions"
    token = csrf_token(outsider.get("/coord/cohorts").get_data(as_text=True))
    assert outsider.get(f"{base}/new").status_code == 404
    assert outsider.get(f"{base}/{session.id}").status_code == 404
    assert outsider.post(f"{base}/new", data={**GENERATE, "csrf_token": token}).status_code == 404
    edit = {**_edit_data(day="2026-05-01"), "csrf_token": token}
    assert outsider.post(f"{base}/{session.id}", data=edit).status_code == 404
    cancel = {"sequence": "0", "csrf_token": token}
    assert outsider.post(f"{base}/{session.id}/cancel", data=cancel).status_code == 404
    [unchanged] = _sessions(cohort.id)
    assert (unchanged.status, unchanged.sequence) == ("scheduled", 0)

    # A session of one cohort is not reachable through another cohort's address.
    other = add_cohort(clock(), program="introductory", name="Other group")
    assert outsider.get(f"/coord/cohorts/{other.id}/sessions/{session.id}").status_code == 404


def test_a_version_that_is_not_a_number_is_an_out_of_date_form():
    """str.isdigit says yes to "²³"; the form's version still reads as none."""
    from wtforms import Form as PlainForm
    from wtforms import HiddenField

    from intake.sessions.forms import seen_sequence

    class Sample(PlainForm):
        sequence = HiddenField()

    for typed, seen in [("3", 3), ("²³", None), ("-1", None), ("99999999999", None)]:
        assert seen_sequence(Sample(data={"sequence": typed}).sequence) == seen, typed
