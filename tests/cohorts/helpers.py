"""Cohort rows for tests, and a way to send a workspace form as a browser does."""

from datetime import date, datetime

from sqlalchemy import select

from intake.extensions import db
from intake.models import Cohort, Program
from tests.helpers import csrf_token


def program(slug: str) -> Program:
    return db.session.scalars(select(Program).where(Program.slug == slug)).one()


def add_cohort(
    now: datetime,
    program_slug: str = "introductory",
    name: str = "Spring evening group",
    language: str = "en",
    seats: int = 8,
    offered: int = 0,
    enrolled: int = 0,
    start_date: date = date(2026, 4, 7),
    time_slot: str = "weekday_evening",
) -> Cohort:
    """A cohort written straight to the database (counters set by hand, as offers
    would, until offers exist)."""
    cohort = Cohort(
        program=program(program_slug),
        name=name,
        language=language,
        facilitator="Mai Facilitator",
        schedule="First Tuesday of the month, 6–8 pm",
        time_slot=time_slot,
        start_date=start_date,
        seats=seats,
        seats_offered=offered,
        seats_enrolled=enrolled,
        created_at=now,
    )
    db.session.add(cohort)
    db.session.commit()
    return cohort


def send_form(client, page_url: str, data: dict, post_url: str | None = None, **kwargs):
    """Open the page for its CSRF token, then post ``data`` to it (or to ``post_url``)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    token = csrf_token(page.get_data(as_text=True))
    return client.post(post_url or page_url, data={**data, "csrf_token": token}, **kwargs)
