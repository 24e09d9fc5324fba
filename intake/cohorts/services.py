"""Cohorts: creating and editing them, listing them by program, who holds their seats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from intake.extensions import db
from intake.models import Application, Cohort, Program

SEATS_MIN = 2
SEATS_MAX = 12
SEATS_DEFAULT = 8


class CohortError(Exception):
    """A change to a cohort that its state does not allow; the message says why."""


class SeatsBelowTaken(CohortError):
    def __init__(self, taken: int):
        self.taken = taken
        super().__init__(
            f"{taken} seats are offered or taken in this cohort, so it needs at least "
            f"{taken} seats. Lower the seats after offers end, or keep {taken} or more."
        )


class StartDateInPast(CohortError):
    def __init__(self, today: date):
        self.today = today
        super().__init__(
            f"The start date cannot be in the past (today is {today.day} {today:%B %Y})."
        )


class ProgramLocked(CohortError):
    def __init__(self):
        super().__init__("Seats of this cohort are offered or taken, so it stays in its program.")


def create_cohort(
    *,
    program: Program,
    name: str,
    language: str,
    facilitator: str,
    schedule: str,
    time_slot: str | None,
    start_date: date,
    seats: int = SEATS_DEFAULT,
    today: date,
    now: datetime,
) -> Cohort:
    """A new cohort. ``today`` is the date where the programs run (not UTC's)."""
    if start_date < today:
        raise StartDateInPast(today)
    cohort = Cohort(
        program=program,
        name=name,
        language=language,
        facilitator=facilitator,
        schedule=schedule,
        time_slot=time_slot,
        start_date=start_date,
        seats=seats,
        seats_offered=0,
        seats_enrolled=0,
        created_at=now,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


def update_cohort(
    cohort: Cohort,
    *,
    program: Program,
    name: str,
    language: str,
    facilitator: str,
    schedule: str,
    time_slot: str | None,
    start_date: date,
    seats: int,
    today: date,
) -> Cohort:
    """Change a cohort. Seats never go below those offered or taken: the database
    decides, with a conditional UPDATE, so an offer made a moment ago counts.

    A start date already in the past may stay (the cohort has begun); a changed one
    may not be in the past.
    """
    if start_date != cohort.start_date and start_date < today:
        raise StartDateInPast(today)
    if program.id != cohort.program_id and cohort.seats_offered + cohort.seats_enrolled > 0:
        raise ProgramLocked()
    result = db.session.execute(
        update(Cohort)
        .where(
            Cohort.id == cohort.id,
            Cohort.seats_offered + Cohort.seats_enrolled <= seats,
        )
        .values(seats=seats)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        taken = db.session.scalar(
            select(Cohort.seats_offered + Cohort.seats_enrolled).where(Cohort.id == cohort.id)
        )
        raise SeatsBelowTaken(taken)
    db.session.expire(cohort, ["seats", "seats_offered", "seats_enrolled"])
    cohort.program = program
    cohort.name = name
    cohort.language = language
    cohort.facilitator = facilitator
    cohort.schedule = schedule
    cohort.time_slot = time_slot
    cohort.start_date = start_date
    db.session.flush()
    return cohort


def all_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.position, Program.id)))


def cohorts_by_program(
    programs: list[Program], language: str | None = None
) -> list[tuple[Program, list[Cohort]]]:
    """Each of ``programs`` with its cohorts (soonest first), in two queries whatever
    the number of cohorts."""
    query = (
        select(Cohort)
        .join(Cohort.program)
        .options(contains_eager(Cohort.program))
        .where(Cohort.program_id.in_([p.id for p in programs]))
        .order_by(Cohort.program_id, Cohort.start_date, Cohort.id)
    )
    if language:
        query = query.where(Cohort.language == language)
    by_program = {
        program_id: list(cohorts)
        for program_id, cohorts in groupby(db.session.scalars(query), lambda c: c.program_id)
    }
    return [(program, by_program.get(program.id, [])) for program in programs]


@dataclass(frozen=True)
class SeatHolder:
    """Someone holding seats of a cohort: an enrolled person or an open offer."""

    application: Application
    seats: int
    since: datetime
    # An offer's expiry; None for the enrolled.
    until: datetime | None = None


@dataclass(frozen=True)
class SeatHolders:
    enrolled: list[SeatHolder] = field(default_factory=list)
    offered: list[SeatHolder] = field(default_factory=list)


def seat_holders(cohort: Cohort) -> SeatHolders:
    """The people in each of a cohort's seats, enrolled and offered.

    Offers are not recorded yet (the Offer model comes with the offers work), so
    nobody can be listed: the cohort page already shows these lists and their empty
    states, and this is the one function to fill in.
    """
    return SeatHolders()
