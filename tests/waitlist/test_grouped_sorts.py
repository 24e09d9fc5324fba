"""The sorts by program and by status read a page from a grouped count and the one
or two groups it spans (``queries._groups``): every page, in both directions, is the
slice of the whole list sorted in one statement (``queries.ordered``, the export's)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from intake.auth.scope import EVERYTHING, scope_for
from intake.extensions import db
from intake.models import Application
from intake.waitlist.queries import ALL, Filters, count, find_page, ordered

PROGRAMS = ["introductory", "bipoc-intensive", "reflective-practice-group", "introductory"]
STATUSES = ["waitlisted", "needs_review", "waitlisted", "enrolled", "offered", "declined"]


@pytest.fixture
def mixed(add):
    """Applications over four programs and six statuses, priorities and waits mixed,
    a few not yet on the list (no joined_at) and some joined at the same moment."""
    for n in range(29):
        add(
            program=PROGRAMS[n % len(PROGRAMS)],
            status=STATUSES[n % len(STATUSES)],
            priority=n % 3 == 0,
            joined_days_ago=None if n % 7 == 3 else (n * 5) % 11,
            commit=False,
        )
    db.session.commit()


def whole_list(filters: Filters, scope=EVERYTHING) -> list[int]:
    return list(db.session.scalars(ordered(select(Application.id), filters, scope=scope)))


def paged(filters: Filters, size: int, scope=EVERYTHING) -> list[int]:
    found: list[int] = []
    for number in itertools.count(1):
        page = find_page(
            filters.__class__(**{**vars(filters), "page": number}), size=size, scope=scope
        )
        assert page.total == count(filters, scope=scope)
        if number > 1 and page.number < number:  # past the last page: clamped
            return found
        found += [row.id for row in page.rows]
        if not page.rows:
            return found
    raise AssertionError("unreachable")


@pytest.mark.parametrize("sort", ["program", "status"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("status", ["waiting", ALL, "waitlisted"])
@pytest.mark.parametrize("size", [1, 4, 50])
def test_every_page_is_the_slice_of_the_whole_sorted_list(mixed, sort, direction, status, size):
    filters = Filters(status=status, sort=sort, direction=direction)
    expected = whole_list(filters)
    assert expected, "the fixture should give this filter some rows"
    assert paged(filters, size) == expected


def test_programs_sharing_a_position_and_a_name_sort_as_one(add, programs):
    """Their queues interleave, as a sort of every row by (position, name, queue) has it."""
    twin = programs["bipoc-intensive"]
    twin.position = programs["introductory"].position
    twin.name = programs["introductory"].name
    for n in range(12):
        add(program="bipoc-intensive" if n % 2 else "introductory", joined_days_ago=n, commit=False)
    db.session.commit()
    for direction in ("asc", "desc"):
        filters = Filters(status=ALL, sort="program", direction=direction)
        assert paged(filters, 5) == whole_list(filters)


def test_a_coordinator_sees_the_groups_of_their_own_programs(mixed, make_coordinator):
    scope = scope_for(make_coordinator(programs=["introductory", "bipoc-intensive"]))
    for sort, direction in itertools.product(["program", "status"], ["asc", "desc"]):
        filters = Filters(status=ALL, sort=sort, direction=direction)
        expected = whole_list(filters, scope)
        assert paged(filters, 3, scope) == expected
        assert len(expected) < len(whole_list(filters))
