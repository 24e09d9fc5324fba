"""An agency's request split into parts is one request in the reports: its seats are
counted (the parts add up to them) and the agency once."""

from __future__ import annotations

from datetime import timedelta

from intake.casefile import split as splitting
from intake.extensions import db
from intake.models import StatusEvent
from intake.offers.services import make_offer
from intake.reports import services as reports
from tests.factories import AGENCY_PROGRAM, add_agency_request, add_cohort, program


def _split_agency(clock, make_coordinator, joined_days_ago=10):
    application = add_agency_request(clock(), 1, 30, joined_days_ago=joined_days_ago)
    db.session.add(
        StatusEvent(
            application_id=application.id,
            from_status="eligible",
            to_status="waitlisted",
            actor="system",
            created_at=application.created_at,
        )
    )
    parts = splitting.split_request(
        application,
        actor=make_coordinator(),
        parts=[12, 12, 6],
        seen_seats=30,
        reason="R",
        now=clock(),
    )
    db.session.commit()
    return parts


def test_the_waitlist_counts_the_agency_once_and_all_its_seats(ctx, clock, make_coordinator):
    original, _, six = _split_agency(clock, make_coordinator)
    pid = program(AGENCY_PROGRAM).id
    waiting = reports.waitlist_by_language(None)[pid]
    assert waiting.total.waitlisted == reports.Waiting(applications=1, seats=30)
    [english] = [row for row in waiting.languages if row.language == "en"]
    assert english.waitlisted == reports.Waiting(applications=1, seats=30)

    # One part offered: the agency still waits, for the seats of the other parts.
    make_offer(add_cohort(clock(), program=AGENCY_PROGRAM, seats=12), original, now=clock())
    db.session.commit()
    waiting = reports.waitlist_by_language(None)[pid]
    assert waiting.total.waitlisted == reports.Waiting(applications=1, seats=18)
    assert six.seats_requested == 6


def test_the_period_reports_count_the_request_once(ctx, clock, make_coordinator):
    _split_agency(clock, make_coordinator)
    pid = program(AGENCY_PROGRAM).id
    start, end = clock() - timedelta(days=30), clock() + timedelta(days=1)
    assert sum(week.applications for week in reports.applications_per_week(pid, start, end)) == 1
    assert reports.funnel(pid, start, end)["waitlisted"] == 1


def test_the_median_wait_counts_each_request_once(ctx, clock, make_coordinator):
    _split_agency(clock, make_coordinator, joined_days_ago=10)
    add_agency_request(clock(), 2, 6, joined_days_ago=2)
    pid = program(AGENCY_PROGRAM).id
    # Two requests, waiting 10 and 2 days (not 10, 10, 10 and 2).
    assert reports.median_days_waiting(pid, clock()) == {pid: 6.0, None: 6.0}
