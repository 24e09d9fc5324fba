"""How many seats a program can offer one agency, and whether a request can ever be
offered whole.

A group (cohort) holds 2 to 12 people (the cohorts' CHECK constraint), and an offer is
for an application's whole request. So a request larger than every group a program
plans can never be offered as it stands: a coordinator splits it into parts
(intake.casefile.split), each its own application offered whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Cohort

# The most seats one group holds: Cohort's CHECK (seats between 2 and 12).
GROUP_SEATS_MAX = 12
# The most seats the agency form ever accepts, whatever the program plans.
REQUEST_SEATS_MAX = 50


def _upcoming(program_ids: Iterable[int], today: date, measure):
    """``measure`` of the cohorts that have not started yet, per program id."""
    ids = list(program_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Cohort.program_id, measure)
        .where(Cohort.program_id.in_(ids), Cohort.start_date >= today)
        .group_by(Cohort.program_id)
    )
    return {program_id: int(value or 0) for program_id, value in rows}


def request_limits(program_ids: Iterable[int], today: date) -> dict[int, int]:
    """The most seats an agency may ask of each program: the seats of the program's
    groups that have not started yet, but never fewer than one group's most
    (GROUP_SEATS_MAX, so an agency can ask before any group is planned) nor more than
    REQUEST_SEATS_MAX. One query."""
    ids = list(program_ids)
    planned = _upcoming(ids, today, func.sum(Cohort.seats))
    return {
        program_id: min(REQUEST_SEATS_MAX, max(GROUP_SEATS_MAX, planned.get(program_id, 0)))
        for program_id in ids
    }


def largest_groups(program_ids: Iterable[int], today: date) -> dict[int, int]:
    """The seats of each program's largest group that has not started yet; programs
    with none planned are left out. One query."""
    return _upcoming(program_ids, today, func.max(Cohort.seats))


def fits_no_group(seats_requested: int, largest_group: int | None) -> bool:
    """Can a request never be offered whole? When it is larger than every planned
    group of its program, or (none planned) than any group can be."""
    limit = GROUP_SEATS_MAX if largest_group is None else largest_group
    return seats_requested > limit
