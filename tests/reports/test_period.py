"""Issue 12: the report's dates filter every figure. For each one, rows a microsecond
(or a day, for figures kept by day) either side of both ends of the period: what is
at the start counts, what is at the end does not. The figures of "the list" are the
list as it was at the period's end, from the status history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Application, Attendance, Offer, Program, ScreenedOutCount, SurveyResponse
from intake.reports import services
from intake.reports.groups import group_report
from intake.reports.services import ReasonCount, Waiting
from intake.status.services import move
from tests.factories import (
    add_application,
    add_cohort,
    add_participant,
    add_sessions,
    submit_waiting,
)
from tests.helpers import SCREENER_ANSWERS
from tests.reports.conftest import PACIFIC, local_period
from tests.reports.page import row

FIRST, LAST = date(2026, 2, 2), date(2026, 2, 8)
START, END = local_period(FIRST, LAST)
US = timedelta(microseconds=1)
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # the clock fixture's: after the period


def person(at: datetime, n: int, *, review: bool = False) -> Application:
    answers = dict(SCREENER_ANSWERS, works_with_young_children="unsure") if review else None
    return submit_waiting(
        at,
        name=f"Person {n}",
        email=f"p{n}@example.org",
        languages=["en"],
        availability=["weekday_evening"],
        answers=answers,
        expect_status="needs_review" if review else "waitlisted",
    )


def moved(application: Application, target: str, at: datetime) -> None:
    move(application, target, actor="coordinator", now=at, reason="test")
    db.session.commit()


@pytest.fixture
def history(ctx):
    """Applications to introductory:

    - A: sent a moment before the start, still waiting;
    - B: sent at the start, offered a moment before the end;
    - C: sent a moment before the end, offered at the end;
    - D: sent at the end; E: sent after the period (both still waiting);
    - F, G: sent at the start to review, declined a moment before the end (F) and at
      the end (G).
    """
    a = person(START - US, 1)
    b = person(START, 2)
    moved(b, "offered", END - US)
    c = person(END - US, 3)
    moved(c, "offered", END)
    d = person(END, 4)
    e = person(END + timedelta(days=1), 5)
    f = person(START, 6, review=True)
    moved(f, "ineligible", END - US)
    g = person(START, 7, review=True)
    moved(g, "ineligible", END)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def test_waiting_is_counted_as_at_the_end_of_the_period(history):
    then = services.waitlist_by_language(None, END)
    intro = then[history["a"].program_id]
    # A and C waited at the end; B was offered a moment before; D came at the end.
    assert intro.total.waitlisted == Waiting(2, 2)
    # In review at the end: G (declined at the end). F was declined a moment before.
    assert intro.total.needs_review == Waiting(1, 1)
    # Now: A, D and E wait, nobody is in review.
    now = services.waitlist_by_language(None)[history["a"].program_id]
    assert (now.total.waitlisted, now.total.needs_review) == (Waiting(3, 3), Waiting(0, 0))


def test_median_days_waiting_is_counted_to_the_end_of_the_period(history):
    # A had waited 7 days and a moment, C a moment: the median is half of it.
    assert services.median_days_waiting(None, NOW, END) == {
        history["a"].program_id: 3.5,
        None: 3.5,
    }


def test_demand_and_free_seats_as_at_the_end_of_the_period(history):
    def cohort(name, start_date, created_at):
        return add_cohort(
            created_at, name=name, start_date=start_date, seats=8, language="en", commit=False
        )

    later = cohort("Later", LAST + timedelta(days=10), START - timedelta(days=30))
    cohort("Started on the last day", LAST, START - timedelta(days=30))
    cohort("Started before", LAST - timedelta(days=1), START - timedelta(days=30))
    cohort("Made at the end", LAST + timedelta(days=10), END)

    def offer(application, created_at, status, answered_at=None):
        db.session.add(
            Offer(
                application=application,
                cohort=later,
                seats=1,
                status=status,
                created_at=created_at,
                expires_at=created_at + timedelta(days=7),
                answered_at=answered_at,
            )
        )

    offer(history["b"], END - US, "open")  # held at the end
    offer(history["c"], END, "open")  # not yet made
    offer(history["a"], START - US, "declined", END - US)  # given back before the end
    offer(history["d"], START - US, "declined", END)  # still held at the end
    db.session.commit()

    demand = services.demand_vs_seats(None, NOW, tz=PACIFIC, at=END)
    (english,) = [d for d in demand if d.language == "en"]
    assert english.seats_wanted == 2  # A and C
    # "Later" less two offers held, and the cohort starting on the last day (not
    # started by then: the same rule as "today" for the list now).
    assert english.free_seats == 6 + 8


def test_the_funnel_counts_steps_reached_by_the_end(history):
    funnel = services.funnel(None, START, END)
    assert funnel["submitted"] == 4  # B, C, F, G
    assert funnel["waitlisted"] == 2  # B, C
    assert funnel["offered"] == 1  # B: C was offered at the end
    assert funnel["needs_review"] == 2
    assert funnel["ineligible"] == 1  # F: G was declined at the end


def test_weeks_and_reasons_count_the_period(history):
    weeks = services.applications_per_week(None, START, END, tz=PACIFIC)
    assert sum(w.applications for w in weeks) == 4
    assert services.ineligibility_reasons(None, START, END) == [
        ReasonCount("prenatal_to_five", "review", "unsure_workforce", 2, 1)
    ]


def test_screened_out_counts_the_days_of_the_period(ctx):
    intro = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
    for day, count in (
        (FIRST - timedelta(days=1), 1),
        (FIRST, 2),
        (LAST, 4),
        (LAST + timedelta(days=1), 8),
    ):
        db.session.add(
            ScreenedOutCount(
                program_id=intro.id,
                rule_key="prenatal_to_five",
                locale="en",
                on_date=day,
                count=count,
            )
        )
    db.session.commit()
    rows = services.screened_out(None, FIRST, LAST)[intro.id]["prenatal_to_five"]
    assert [(r.locale, r.count) for r in rows] == [("en", 6), (None, 6)]


def test_the_groups_figures_count_the_period(ctx):
    created = START - timedelta(days=30)
    cohort = add_cohort(created, name="Edges", start_date=FIRST - timedelta(days=7))
    sessions = [
        session
        for moment in (START - US, START, END - US, END)
        for session in add_sessions(cohort, moment, count=1)
    ]
    people = []
    for n, completed_at in enumerate((START - US, START, END - US, END), start=1):
        application = add_application(created, n, status="enrolled")
        participant = add_participant(application, cohort, created)
        participant.status = "completed"
        participant.completed_at = completed_at
        people.append(participant)
    # Named at the end of the period: not in the group during it.
    late = add_participant(add_application(END, 9, status="enrolled"), cohort, END)
    for session in sessions:
        for participant in people:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    participant_id=participant.id,
                    status="present",
                    recorded_at=session.starts_at,
                )
            )
    for day in (FIRST - timedelta(days=1), FIRST, LAST, LAST + timedelta(days=1)):
        db.session.add(
            SurveyResponse(
                cohort_id=cohort.id, locale="en", ratings={"safe_to_share": 5}, created_on=day
            )
        )
    db.session.commit()
    assert late.status == "active"

    programs = list(db.session.scalars(select(Program)))
    report = group_report(None, programs, START, END, NOW)
    (delivered,) = report.delivery
    figures = delivered.figures
    assert figures.sessions_held == 2  # at the start and a moment before the end
    assert figures.participants == 4  # not the one named at the end
    assert figures.completed == 2  # at the start and a moment before the end
    assert figures.marks == 8  # 4 people at the 2 sessions of the period
    assert figures.credited_minutes == 4 * 2 * 90
    (answers,) = report.survey
    assert answers.figures.responses == 2  # on the first and the last day


def test_the_page_says_the_day_of_the_list(history, sign_in):
    page = (
        sign_in()
        .get(f"/coord/reports?from={FIRST.isoformat()}&to={LAST.isoformat()}")
        .get_data(as_text=True)
    )
    assert "Waiting on 8 Feb 2026, by program and language" in page
    assert "How long people had waited on 8 Feb 2026" in page
    assert "Demand and seats on 8 Feb 2026, by language" in page
    assert "as it\n    was at the end of 8 Feb 2026" in page
    assert row(page, "median-days", program="introductory")[1] == "3.5"
    assert row(page, "funnel", stage="offered")[1] == "1"
    today = sign_in("other@example.org").get("/coord/reports").get_data(as_text=True)
    assert "Waiting on 2 Mar 2026, by program and language" in today
    assert "the list as it is now" in today
