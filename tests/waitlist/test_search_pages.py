"""A search's pages come the same whichever way the page is read (PostgreSQL walks the
sort's index for a broad search; a search with few matches, or a page deep into them,
reads its matching ids first: ``queries.FEW_MATCHES``): every page, every sort, both
directions, is the slice of the whole list sorted in one statement (the export's)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.models import Application
from intake.waitlist import queries
from intake.waitlist.queries import ALL, SORTS, Filters, ordered
from tests.waitlist.test_grouped_sorts import PROGRAMS, STATUSES, paged


@pytest.fixture
def searchable(add):
    """Chens and others over four programs and six statuses, priorities and waits mixed."""
    for n in range(31):
        name = f"Chen {n:02d}" if n % 3 else f"Other {n:02d}"
        add(
            name,
            program=PROGRAMS[n % len(PROGRAMS)],
            status=STATUSES[n % len(STATUSES)],
            priority=n % 4 == 0,
            joined_days_ago=None if n % 7 == 3 else (n * 5) % 11,
            agency_name="Chenango Center" if n == 3 else None,
            commit=False,
        )
    db.session.commit()


@pytest.fixture(params=["walked", "read first"])
def page_reading(request, monkeypatch):
    """Each way of reading a search's page, on both databases (SQLite's one-statement
    search page set aside, so that its general path is the one read)."""
    monkeypatch.setattr(queries, "_searched_page", lambda *args, **kwargs: None)
    read_first = request.param == "read first"
    monkeypatch.setattr(queries, "_reads_matches_first", lambda *args: read_first)
    return request.param


@pytest.mark.parametrize(
    ("sort", "direction"), [(sort, d) for sort in SORTS for d in ("asc", "desc")]
)
@pytest.mark.parametrize("status", ["waiting", ALL])
def test_every_page_of_a_search_is_the_slice_of_the_whole_sorted_list(
    searchable, page_reading, sort, direction, status
):
    filters = Filters(q="chen", status=status, sort=sort, direction=direction)
    expected = list(db.session.scalars(ordered(select(Application.id), filters, scope=EVERYTHING)))
    assert len(expected) > 4, "the fixture should give this search some rows"
    for size in (4, 50):
        assert paged(filters, size) == expected, size


def test_few_matches_or_a_deep_page_read_the_matches_first():
    few, deep = queries.FEW_MATCHES, queries.FEW_MATCHES + 1
    assert queries._reads_matches_first(few, 0, 50)
    assert not queries._reads_matches_first(deep, 0, 50)
    assert not queries._reads_matches_first(10 * few, few - 50, 50)
    assert queries._reads_matches_first(10 * few, few, 50)
