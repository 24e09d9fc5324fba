"""Waitlist fixtures: applications made straight through the models (fast, for
volume), a statement counter on the app's engine, and a reader for the table."""

from __future__ import annotations

import re

import pytest

from intake.extensions import db
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
