"""A coordinator adds a cohort's sessions from the program's defaults and moves one,
in a real browser, with and without JavaScript, accessibility checked on each page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Cohort, CohortSession, Program
from tests.browser.test_workspace import _sign_in

pytestmark = pytest.mark.browser


def _cohort(app, clock) -> int:
    with app.app_context():
        program = db.session.scalars(
            select(Program).where(Program.slug == "reflective-practice-group")
        ).one()
        cohort = Cohort(
            program=program,
            name="Thursday evening group",
            language="en",
            facilitator="F. Example",
            schedule="Thursdays, 6-7:30 pm",
            time_slot="weekday_evening",
            start_date=(clock() + timedelta(days=30)).date(),
            seats=8,
            created_at=clock(),
        )
        db.session.add(cohort)
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    return cohort_id


def _sessions(app, cohort_id):
    with app.app_context():
        rows = db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort_id)
            .order_by(CohortSession.starts_at)
        ).all()
        found = [(s.starts_at.astimezone(UTC), s.sequence, s.meeting_url) for s in rows]
        db.session.remove()
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_generate_sessions_and_move_one(
    request, javascript, live_server, app, make_coordinator, clock, check_a11y
):
    cohort_id = _cohort(app, clock)
    user = make_coordinator(
        email="lead@example.org", programs=["reflective-practice-group"], totp=True
    )
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    _sign_in(page, user, clock)

    page.goto(f"/coord/cohorts/{cohort_id}")
    expect(page.get_by_text("No sessions yet.")).to_be_visible()
    page.get_by_role("link", name="Add sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Add sessions to Thursday evening group"
    )
    page.wait_for_load_state("load")
    # The program's defaults: 10 sessions, monthly, 90 minutes; 6 pm from the schedule.
    expect(page.get_by_label("Number of sessions")).to_have_value("10")
    expect(page.get_by_label("Every month")).to_be_checked()
    expect(page.get_by_label("Start time")).to_have_value("18:00")
    check_a11y(page, "add sessions form")

    # A mistake first: the link is missing; the answers stay and the error is named.
    page.get_by_label("Number of sessions").fill("3")
    page.get_by_role("button", name="Add the sessions").click()
    expect(page.get_by_text("Enter the meeting link.").first).to_be_visible()
    expect(page.get_by_label("Number of sessions")).to_have_value("3")
    check_a11y(page, "add sessions form with an error")

    page.get_by_label("Meeting link").fill("https://meet.example.org/thursday")
    page.get_by_role("button", name="Add the sessions").click()
    expect(page.get_by_text("3 sessions added")).to_be_visible()
    check_a11y(page, "cohort page with sessions")
    first, second, third = _sessions(app, cohort_id)
    assert [s[1] for s in (first, second, third)] == [0, 0, 0]

    page.get_by_role("link", name="Change or cancel").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session of")
    page.wait_for_load_state("load")
    check_a11y(page, "session form")
    page.get_by_label("Start time").fill("17:30")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("Session changed: now")).to_be_visible()
    moved = _sessions(app, cohort_id)[1]
    assert moved[0] == second[0] - timedelta(minutes=30)
    assert moved[1] == 1
    assert isinstance(moved[0], datetime)
    page.watchdog.assert_clean()
