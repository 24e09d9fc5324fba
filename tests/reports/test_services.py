"""The report numbers from the services, on data made through the real forms."""

import secrets
from datetime import UTC, date, datetime, timedelta

from intake.applications.services import submit_application as submit_service
from intake.extensions import db
from intake.reports import services
from intake.reports.services import ReasonCount, Waiting, WeekCount
from tests.factories import add_cohort, program
from tests.reports.conftest import (
    PACIFIC,
    advance,
    applications_of,
    local_period,
    make_cohorts,
    make_waiting_times,
    make_waitlist,
)

YEAR = local_period(date(2025, 3, 3), date(2026, 3, 2))


def by_language(program_waiting):
    return {row.language: row for row in program_waiting.languages}


def test_waitlist_by_program_and_language(ctx, clock, apply, apply_agency):
    make_waitlist(apply, apply_agency)
    waitlist = services.waitlist_by_language(None)

    intro = waitlist[program("introductory").id]
    rows = by_language(intro)
    assert list(rows) == ["en", "es", "cmn", "asl"]
    assert rows["en"].waitlisted == Waiting(6, 6)
    assert rows["es"].waitlisted == Waiting(1, 1)
    assert rows["cmn"].waitlisted == Waiting(1, 1)
    assert rows["asl"].waitlisted == Waiting(0, 0)
    assert rows["asl"].needs_review == Waiting(1, 1)
    # Each application once: the bilingual people are not counted twice.
    assert intro.total.waitlisted == Waiting(6, 6)
    # ... but 6 minus 6 English would not give Spanish away, 6 with a Spanish "1" would.
    assert intro.total_shown("waitlisted", "applications") is None
    # One language in review: the total is that same hidden count.
    assert intro.total_shown("needs_review", "applications") == 1

    group = waitlist[program("reflective-practice-group").id]
    assert by_language(group)["en"].waitlisted == Waiting(5, 5)
    assert group.total_shown("waitlisted", "applications") == 5

    agency = by_language(waitlist[program("king-county-consultation").id])
    assert agency["en"].waitlisted == Waiting(1, 6)
    assert agency["cmn"].waitlisted == Waiting(1, 6)
    assert waitlist[program("king-county-consultation").id].total_shown("waitlisted", "seats") == 6

    assert program("bipoc-intensive").id not in waitlist
    only_group = services.waitlist_by_language(program("reflective-practice-group").id)
    assert list(only_group) == [program("reflective-practice-group").id]
    db.session.rollback()


def test_demand_against_free_seats_per_language(ctx, clock, apply, apply_agency):
    make_waitlist(apply, apply_agency)
    today = date(2026, 3, 2)
    make_cohorts(clock())
    # Started yesterday: its free seat is not one people waiting can take.
    add_cohort(
        clock(),
        program="introductory",
        language="en",
        start_date=today - timedelta(days=1),
        seats=8,
        enrolled=7,
    )

    demand = {d.language: d for d in services.demand_vs_seats(None, clock(), tz=PACIFIC)}
    assert list(demand) == ["en", "es", "cmn", "asl"]
    # English: 6 + 5 + 6 (agency seats) wanted, 5 + 10 free.
    assert (demand["en"].seats_wanted, demand["en"].free_seats, demand["en"].gap) == (17, 15, -2)
    # Spanish: one program's 1, shown as "fewer than 5"; the gap would tell it.
    assert (demand["es"].seats_wanted, demand["es"].free_seats, demand["es"].gap) == (1, 6, None)
    # Mandarin: 1 (introductory, hidden) + 6 (agency): the sum would give the 1 away.
    assert (demand["cmn"].seats_wanted, demand["cmn"].gap) == (None, None)
    # ASL: the one person is in review, not waiting.
    assert (demand["asl"].seats_wanted, demand["asl"].free_seats, demand["asl"].gap) == (0, 0, 0)

    agency_id = program("king-county-consultation").id
    agency = {d.language: d for d in services.demand_vs_seats(agency_id, clock())}
    assert (agency["en"].seats_wanted, agency["en"].free_seats, agency["en"].gap) == (6, 10, 4)
    assert (agency["cmn"].seats_wanted, agency["cmn"].gap) == (6, -6)
    db.session.rollback()


def test_median_days_waiting(ctx, clock, apply):
    make_waiting_times(apply, clock)
    medians = services.median_days_waiting(None, clock())
    assert medians == {
        program("introductory").id: 20.0,
        program("reflective-practice-group").id: 27.5,
        # 10, 20, 25, 30, 30
        None: 25.0,
    }
    group = program("reflective-practice-group").id
    assert services.median_days_waiting(group, clock()) == {group: 27.5, None: 27.5}
    db.session.rollback()


def test_median_counts_parts_of_days(ctx, clock, apply):
    apply()
    clock.advance(hours=20)
    apply()
    clock.advance(hours=16)
    # Waits of a day and a half and of 16 hours: the median of two is their mean.
    assert services.median_days_waiting(None, clock())[None] == 1.1
    db.session.rollback()


def test_funnel_counts_every_stage_reached_once(ctx, clock, apply):
    early = apply()  # 13 months ago: before the period
    clock.advance(days=395)
    enrolled = apply()
    came_back = apply()
    approved = apply(screener={"works_with_young_children": "unsure"})
    declined = apply(screener={"works_with_young_children": "unsure"})
    withdrew = apply()
    clock.advance(days=30)
    now = clock()
    advance(early, "offered", "enrolled", now=now)
    advance(enrolled, "offered", "enrolled", now=now)
    advance(came_back, "offered", "declined", "waitlisted", "offered", now=now)
    advance(approved, "eligible", "waitlisted", now=now)
    advance(declined, "ineligible", now=now)
    advance(withdrew, "withdrawn", now=now)

    period = local_period(date(2026, 5, 2), date(2027, 5, 1))
    assert services.funnel(None, *period) == {
        "submitted": 5,
        "needs_review": 2,
        "eligible": 4,
        "waitlisted": 4,
        "offered": 2,
        "enrolled": 1,
        "ineligible": 1,
        "withdrawn": 1,
    }
    group = program("reflective-practice-group").id
    assert services.funnel(group, *period)["submitted"] == 0
    db.session.rollback()


def test_applications_per_week_in_local_time_across_the_new_year(ctx, clock, apply):
    def at(*args):
        clock.current = datetime(*args, tzinfo=UTC)

    at(2025, 12, 29, 4, 0)  # Sunday 28 December, 8 pm in Seattle
    apply()
    at(2025, 12, 29, 9, 0)  # Monday 29 December, 1 am
    apply()
    apply()
    at(2026, 1, 5, 7, 59)  # Sunday 4 January, 11:59 pm
    apply()
    at(2026, 1, 5, 8, 0)  # Monday 5 January, midnight
    apply()
    at(2026, 3, 2, 17, 0)

    weeks = services.applications_per_week(
        None, *local_period(date(2025, 12, 22), date(2026, 1, 11)), tz=PACIFIC
    )
    assert weeks == [
        WeekCount(date(2025, 12, 22), 1),
        WeekCount(date(2025, 12, 29), 3),
        WeekCount(date(2026, 1, 5), 1),
    ]
    assert [w.iso_week for w in weeks] == ["2025-W52", "2026-W01", "2026-W02"]

    # From Monday 29 December: Sunday evening's application is outside, though its UTC
    # date is the 29th; the period ends mid-week.
    weeks = services.applications_per_week(
        None, *local_period(date(2025, 12, 29), date(2026, 1, 6)), tz=PACIFIC
    )
    assert weeks == [WeekCount(date(2025, 12, 29), 3), WeekCount(date(2026, 1, 5), 1)]
    db.session.rollback()


def test_the_period_reports_count_only_applications_created_in_the_period(ctx, clock, apply):
    """The funnel, the weekly counts and the reasons count the applications created from
    ``start`` (included) to ``end`` (excluded): one a moment before the period and one
    at its end are left out."""
    start, end = local_period(date(2026, 2, 2), date(2026, 2, 8))  # Monday to Sunday
    moment = timedelta(microseconds=1)
    for created in (start - moment, start, end - moment, end):
        clock.current = created.astimezone(UTC)
        apply(screener={"works_with_young_children": "unsure"})
    clock.current = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    wider = local_period(date(2026, 2, 1), date(2026, 2, 9))

    # All four are there to count, in a period around them.
    assert services.funnel(None, *wider)["submitted"] == 4
    assert sum(w.applications for w in services.applications_per_week(None, *wider)) == 4
    assert services.ineligibility_reasons(None, *wider) == [
        ReasonCount("prenatal_to_five", "review", "unsure_workforce", 4, 0)
    ]

    funnel = services.funnel(None, start, end)
    assert (funnel["submitted"], funnel["needs_review"]) == (2, 2)
    assert services.applications_per_week(None, start, end, tz=PACIFIC) == [
        WeekCount(date(2026, 2, 2), 2)
    ]
    assert services.ineligibility_reasons(None, start, end) == [
        ReasonCount("prenatal_to_five", "review", "unsure_workforce", 2, 0)
    ]
    db.session.rollback()


def test_why_people_were_not_eligible(ctx, clock, apply, apply_agency):
    apply(screener={"works_with_young_children": "unsure"})
    declined = apply(screener={"works_with_young_children": "unsure"})
    apply()  # passed every rule
    apply_agency(screener={"service_zips": "98104, 97201"}, service_zips="98104, 97201")
    sensitive = apply(screener={"works_with_young_children": "unsure"})
    advance(declined, "ineligible", now=clock())
    # A result of the self-identification rule (an override, say) is never reported.
    (application,) = applications_of(sensitive)
    application.decision = {
        "outcome": "fail",
        "rules": [
            {"key": "prenatal_to_five", "outcome": "pass", "reason": None},
            {"key": "bipoc_self_identification", "outcome": "fail", "reason": "not_bipoc"},
        ],
    }
    db.session.commit()

    assert services.ineligibility_reasons(None, *YEAR) == [
        ReasonCount("prenatal_to_five", "review", "unsure_workforce", 2, 1),
        ReasonCount("king_county", "review", "zip_outside_king_county", 1, 0),
    ]
    assert services.SELF_IDENTIFICATION_RULES == {"bipoc_self_identification"}
    agency = program("king-county-consultation").id
    assert services.ineligibility_reasons(agency, *YEAR) == [
        ReasonCount("king_county", "review", "zip_outside_king_county", 1, 0),
    ]
    db.session.rollback()


def test_an_application_without_a_language_is_counted_as_not_given(ctx, clock):
    submit_service(
        kind="individual",
        programs=[program("introductory")],
        answers={"works_with_young_children": "direct", "roles": ["nurse"]},
        details={"name": "No Language", "email": "none@example.org", "languages": []},
        locale="en",
        form_token=secrets.token_hex(16),
        now=clock(),
    )
    db.session.commit()
    intro = services.waitlist_by_language(None)[program("introductory").id]
    assert [row.language for row in intro.languages] == ["en", "es", "cmn", "asl", None]
    assert by_language(intro)[None].waitlisted == Waiting(1, 1)
    demand = services.demand_vs_seats(None, clock())
    assert (demand[-1].language, demand[-1].seats_wanted) == (None, 1)
    db.session.rollback()
