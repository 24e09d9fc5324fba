"""Fixtures for the reports tests: applicants through the real forms, status moves and
cohorts through services and rows, a statement counter, and a late sign-in."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from intake.extensions import db
from intake.models import Applicant, Application
from intake.status.services import move
from tests.factories import add_cohort, submit_waiting
from tests.helpers import submit_agency_application, submit_application

PACIFIC = ZoneInfo("America/Los_Angeles")


def local_period(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """A report period as the view builds it: local midnights, the last day included."""
    return (
        datetime.combine(first_day, time.min, tzinfo=PACIFIC),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=PACIFIC),
    )


def applications_of(email: str) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .join(Applicant)
            .where(Applicant.email == email)
            .order_by(Application.id)
        )
    )


def advance(email: str, *targets: str, now: datetime) -> Application:
    """Move the person's (only) application through ``targets``, as coordinators would."""
    (application,) = applications_of(email)
    for target in targets:
        move(application, target, actor="coordinator", now=now, reason="test")
    db.session.commit()
    return application


def make_waitlist(apply, apply_agency):
    """Introductory: 6 waiting in English (one also Spanish, one also Mandarin) and one
    ASL speaker in review; the 10-session group: 5 in English; one agency asking for 6
    seats in English and Mandarin."""
    apply(programs=["introductory"], languages=["en", "es"])
    apply(programs=["introductory"], languages=["en", "cmn"])
    for _ in range(4):
        apply(programs=["introductory"], languages=["en"])
    apply(
        programs=["introductory"],
        languages=["asl"],
        screener={"works_with_young_children": "unsure"},
    )
    for _ in range(5):
        apply(programs=["reflective-practice-group"], languages=["en"])
    apply_agency(seats="6", languages=["en", "cmn"])


def make_cohorts(now: datetime) -> None:
    """Upcoming cohorts: introductory in English in 20 days (8 seats, 1 offered, 2
    taken) and in Spanish in 40 days (6 seats); the agency program in English today
    (10 seats)."""
    today = date(2026, 3, 2)
    add_cohort(
        now,
        program="introductory",
        language="en",
        start_date=today + timedelta(days=20),
        seats=8,
        offered=1,
        enrolled=2,
    )
    add_cohort(now, program="king-county-consultation", language="en", start_date=today, seats=10)
    add_cohort(
        now, program="introductory", language="es", start_date=today + timedelta(days=40), seats=6
    )


def make_waiting_times(apply, clock):
    """Introductory: waits of 30, 20 and 10 days (and one person offered a seat, who is
    not waiting); the 10-session group: 30 and 25 days."""
    apply(programs=["introductory"])
    apply(programs=["reflective-practice-group"])
    clock.advance(days=5)
    apply(programs=["reflective-practice-group"])
    clock.advance(days=5)
    apply(programs=["introductory"])
    clock.advance(days=10)
    apply(programs=["introductory"])
    offered = apply(programs=["introductory"])
    advance(offered, "offered", now=clock())
    clock.advance(days=10)


@pytest.fixture
def apply(app):
    """Send an individual application through the real screener and form, each from
    its own browser; returns the e-mail address it was sent with."""
    numbers = itertools.count(1)

    def send(screener=None, **details) -> str:
        number = next(numbers)
        details.setdefault("email", f"person{number}@example.org")
        details.setdefault("name", f"Person {number}")
        response = submit_application(app.test_client(), screener=screener, **details)
        assert response.status_code == 303, response.get_data(as_text=True)
        return details["email"]

    return send


@pytest.fixture
def apply_agency(app):
    numbers = itertools.count(1)

    def send(screener=None, **details) -> str:
        number = next(numbers)
        details.setdefault("email", f"director{number}@agency{number}.example.org")
        details.setdefault("agency_name", f"Agency number {number}")
        response = submit_agency_application(app.test_client(), screener=screener, **details)
        assert response.status_code == 303, response.get_data(as_text=True)
        return details["email"]

    return send


@pytest.fixture
def add_applications(ctx, clock):
    """Many applications at once through the submit service (the forms would be slow),
    spread over programs, languages and statuses, created before the clock's now
    without moving it (a signed-in session would time out)."""
    serial = itertools.count(1)
    languages = [["en"], ["es"], ["en", "cmn"], ["asl"], ["en", "es"]]
    slugs = ["introductory", "reflective-practice-group"]

    def add(count: int) -> None:
        for _ in range(count):
            n = next(serial)
            now = clock() - timedelta(days=n % 300, hours=n % 24)
            application = submit_waiting(
                now,
                program=slugs[n % 2],
                answers={
                    "works_with_young_children": "unsure" if n % 6 == 0 else "direct",
                    "roles": ["home_visitor"],
                },
                name=f"Bulk {n}",
                email=f"bulk{n}@example.org",
                languages=languages[n % len(languages)],
                availability=["weekday_evening"],
                expect_status=None,
                commit=False,
            )
            if n % 6 and n % 4 == 0:
                move(application, "offered", actor="coordinator", now=now)
                if n % 8 == 0:
                    move(application, "enrolled", actor="applicant", now=now)
        db.session.commit()

    return add


@pytest.fixture
def sign_in(app, make_coordinator, login):
    """Sign a coordinator in when asked: after the data is built, since moving the clock
    by days would end an earlier session."""

    def sign_in(email="lead@example.org", programs=None):
        return login(app.test_client(), make_coordinator(email=email, programs=programs))

    return sign_in


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def count_during(self, action) -> int:
        self.statements.clear()
        action()
        return len(self.statements)


@pytest.fixture
def statements(app):
    """Every SQL statement the app sends (count them around a request)."""
    with app.app_context():
        engine = db.engine
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)
