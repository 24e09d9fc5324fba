"""Waitlist fixtures: applications made straight through the models (fast, for
volume), a statement counter on the app's engine, and a reader for the table."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    Program,
    SelfIdentification,
)
from tests.helpers import TableReader


@pytest.fixture
def programs(ctx):
    """The seeded programs by slug."""
    return {p.slug: p for p in db.session.scalars(select(Program))}


@pytest.fixture
def add(ctx, clock, programs):
    """Insert one application (and its applicant) through the models; commits.

    ``joined_days_ago`` sets ``joined_at`` relative to the clock (None: not joined).
    """
    counter = itertools.count(1)

    def add_one(
        name: str | None = None,
        *,
        program: str = "introductory",
        status: str = "waitlisted",
        email: str | None = None,
        languages=("en",),
        availability=("weekday_evening",),
        priority: int = 0,
        joined_days_ago: float | None = 0,
        agency_name: str | None = None,
        seats: int = 1,
        phone: str | None = None,
        organisation: str | None = None,
        access_needs=(),
        access_needs_other: str | None = None,
        bipoc: str | None = None,
        reference: str | None = None,
        duplicate_of: Application | None = None,
        commit: bool = True,
    ) -> Application:
        n = next(counter)
        name = name or f"Person {n:04d}"
        now = clock()
        applicant = Applicant(
            kind="agency" if agency_name else "individual",
            name=name,
            email=email or f"person{n:04d}@example.org",
            email_key=(email or f"person{n:04d}@example.org").lower(),
            phone=phone,
            organisation=organisation,
            access_needs=list(access_needs),
            access_needs_other=access_needs_other,
            form_token=uuid.uuid4().hex,
            created_at=now - timedelta(days=(joined_days_ago or 0) + 1),
            languages=[ApplicantLanguage(code=code) for code in languages],
            availability_slots=[ApplicantAvailability(slot=slot) for slot in availability],
        )
        if agency_name:
            applicant.agency = AgencyDetails(
                agency_name=agency_name,
                agency_key=agency_name.lower(),
                street="1 Example Way",
                city="Seattle",
                state="WA",
                zip="98104",
                leader_title="Director",
            )
        if bipoc:
            applicant.self_identification = SelfIdentification(bipoc=bipoc)
        application = Application(
            applicant=applicant,
            program=programs[program],
            reference=reference or f"T{n:03d}-{uuid.uuid4().hex[:4].upper()}",
            status=status,
            decision={"outcome": "pass", "rules": []},
            priority=priority,
            seats_requested=seats,
            joined_at=None if joined_days_ago is None else now - timedelta(days=joined_days_ago),
            duplicate_of=duplicate_of,
            duplicate_reason="same_email" if duplicate_of else None,
            created_at=applicant.created_at,
            updated_at=now,
        )
        db.session.add(application)
        if commit:
            db.session.commit()
        return application

    return add_one


@pytest.fixture
def add_many(ctx, add):
    """``n`` applications in one transaction: "Person 0001", … joined a minute apart,
    the first the earliest."""

    def add_many(n: int, **kwargs) -> None:
        for i in range(n):
            add(joined_days_ago=(n - i) / 1440, commit=False, **kwargs)
        db.session.commit()

    return add_many


@pytest.fixture
def make_cohort(ctx, clock, programs):
    def make(program="introductory", language="es", time_slot="weekday_evening", name=None):
        cohort = Cohort(
            program=programs[program],
            name=name or f"{language} {time_slot or 'any time'}",
            language=language,
            facilitator="Facilitator",
            schedule="First Tuesday, 6-8 pm",
            time_slot=time_slot,
            start_date=date(2026, 4, 7),
            seats=8,
            created_at=clock(),
        )
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return make


COLUMNS = [
    "reference",
    "name",
    "program",
    "status",
    "languages",
    "times",
    "priority",
    "joined",
    "waiting",
    "flags",
    "link",
]


def table_rows(html: str) -> list[dict[str, str]]:
    """The table's rows as dicts by column ("No applications match" gives [])."""
    reader = TableReader()
    reader.feed(html)
    return [dict(zip(COLUMNS, row, strict=True)) for row in reader.rows if len(row) > 1]


def names(html: str) -> list[str]:
    return [row["name"] for row in table_rows(html)]


def summary(html: str) -> str:
    match = re.search(r'<p class="results-summary" role="status">(.*?)</p>', html, re.S)
    assert match, "no results summary"
    return " ".join(match.group(1).split())
