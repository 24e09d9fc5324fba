"""Waitlist fixtures: applications made straight through the models (fast, for
volume), a statement counter on the app's engine, and a reader for the table."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import or_, select

from intake.extensions import db
from intake.models import AgencyDetails, Applicant, Application
from intake.waitlist.queries import normalise_reference
from tests import factories
from tests.helpers import TableReader


@pytest.fixture
def programs(ctx):
    """The seeded programs by slug."""
    return factories.programs()


@pytest.fixture
def add(ctx, clock):
    """Insert one application (and its applicant) through the models; commits.

    ``joined_days_ago`` sets ``joined_at`` relative to the clock (None: not joined).
    """
    return factories.application_maker(clock)


@pytest.fixture
def add_many(ctx, add):
    """``n`` applications in one transaction: "Person 0001", … joined a minute apart,
    the first the earliest."""

    def add_many(n: int, **kwargs) -> None:
        for i in range(n):
            add(joined_days_ago=(n - i) / 1440, commit=False, **kwargs)
        db.session.commit()

    return add_many


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


def scanned(q: str) -> set[int]:
    """The search as it was before the indexes (an OR over the joined tables), run on
    the same database: the reference the indexed search must equal."""
    reference = normalise_reference(q)
    stmt = select(Application.id).join(Application.applicant).outerjoin(AgencyDetails)
    if reference is not None and reference[1]:
        return set(db.session.scalars(stmt.where(Application.reference == reference[0])))
    email = Applicant.email_key.startswith(q.lower(), autoescape=True)
    if "@" in q:
        return set(db.session.scalars(stmt.where(email)))
    conditions = [
        Applicant.name.icontains(q, autoescape=True),
        AgencyDetails.agency_name.icontains(q, autoescape=True),
        email,
    ]
    if reference is not None:
        conditions.append(Application.reference == reference[0])
    return set(db.session.scalars(stmt.where(or_(*conditions))))
