"""Cohorts: creating and editing them, listing them by program, who holds their
seats, and what the cohort page needs to offer them (who is next, who matches).

Offers themselves are made, answered and taken back in intake.offers.services; the
functions here only read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from intake.auth.scope import Scope
from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    Application,
    Cohort,
    Offer,
    Program,
)
from intake.offers import services as offers
from intake.rows import update_guarded
from intake.waitlist.queries import normalise_reference

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


DELIVERIES = ("online", "in_person", "hybrid")


def _delivery(delivery: str | None) -> str | None:
    """How a cohort meets: one of DELIVERIES, or None while not decided."""
    if delivery is not None and delivery not in DELIVERIES:
        raise ValueError(f"unknown delivery {delivery!r}")
    return delivery


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
    facilitator_credential: str | None = None,
    delivery: str | None = None,
    schedule_translations: dict[str, str] | None = None,
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
        facilitator_credential=facilitator_credential,
        schedule=schedule,
        schedule_translations=dict(schedule_translations or {}),
        delivery=_delivery(delivery),
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
    facilitator_credential: str | None = None,
    delivery: str | None = None,
    schedule_translations: dict[str, str] | None = None,
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
    if not update_guarded(
        update(Cohort)
        .where(
            Cohort.id == cohort.id,
            Cohort.seats_offered + Cohort.seats_enrolled <= seats,
        )
        .values(seats=seats)
    ):
        taken = db.session.scalars(
            select(Cohort.seats_offered + Cohort.seats_enrolled).where(Cohort.id == cohort.id)
        ).one()
        raise SeatsBelowTaken(taken)
    db.session.expire(cohort, ["seats", "seats_offered", "seats_enrolled"])
    cohort.program = program
    cohort.name = name
    cohort.language = language
    cohort.facilitator = facilitator
    cohort.facilitator_credential = facilitator_credential
    cohort.schedule = schedule
    cohort.schedule_translations = dict(schedule_translations or {})
    cohort.delivery = _delivery(delivery)
    cohort.time_slot = time_slot
    cohort.start_date = start_date
    db.session.flush()
    return cohort


def all_programs(scope: Scope) -> list[Program]:
    """The programs ``scope`` sees (every one, for an admin)."""
    return list(
        db.session.scalars(
            select(Program).where(scope.programs(Program.id)).order_by(Program.position, Program.id)
        )
    )


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


# Who holds the seats ------------------------------------------------------------------


@dataclass(frozen=True)
class SeatHolder:
    """Someone holding seats of a cohort: an enrolled person or an open offer."""

    application: Application
    seats: int
    since: datetime
    # An offer's expiry; None for the enrolled.
    until: datetime | None = None
    offer: Offer | None = None


@dataclass(frozen=True)
class SeatHolders:
    enrolled: list[SeatHolder] = field(default_factory=list)
    offered: list[SeatHolder] = field(default_factory=list)


def seat_holders(cohort: Cohort) -> SeatHolders:
    """The people in each of a cohort's seats: accepted offers (enrolled, since they
    answered) and open offers (since made, until they expire)."""
    found = offers.offers_for_cohort(cohort.id)
    # offers_for_cohort loads the applicants but not their agency's name, shown here.
    load_people(offer.application_id for offer in found)
    holders = SeatHolders()
    for offer in found:
        if offer.status == offers.ACCEPTED:
            holders.enrolled.append(
                # An accepted offer has been answered: answered_at is set with the status.
                SeatHolder(
                    offer.application,
                    offer.seats,
                    offer.answered_at or offer.created_at,
                    offer=offer,
                )
            )
        else:
            holders.offered.append(
                SeatHolder(
                    offer.application, offer.seats, offer.created_at, offer.expires_at, offer
                )
            )
    return holders


def load_people(application_ids) -> dict[int, Application]:
    """The applications by id, with everything the cohort page shows of them
    (applicant, agency, languages, days/times), in a fixed number of queries whatever
    their number. Rows already in the session (from next_in_line) are loaded again
    with these parts: only a read-only page calls this."""
    ids = list(set(application_ids))
    if not ids:
        return {}
    loaded = db.session.scalars(
        select(Application)
        .where(Application.id.in_(ids))
        .execution_options(populate_existing=True)
        .options(
            joinedload(Application.applicant).options(
                joinedload(Applicant.agency),
                selectinload(Applicant.languages),
                selectinload(Applicant.availability_slots),
            )
        )
    ).unique()
    return {application.id: application for application in loaded}


# Who is next ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    application: Application
    # Place in this cohort's queue (1 is next), among the people it matches.
    position: int

    @property
    def passed_over(self) -> bool:
        return False


@dataclass(frozen=True)
class PassedOver(QueueEntry):
    """An agency whose seat request is larger than the seats left: it is not offered
    part of its request, and keeps its place for a later cohort."""

    seats_left: int = 0

    @property
    def passed_over(self) -> bool:
        return True


@dataclass(frozen=True)
class Preview:
    free: int
    chosen: list[QueueEntry]
    passed_over: list[PassedOver]

    @property
    def considered(self) -> list[QueueEntry]:
        """Everyone the fair order looked at, in queue order."""
        return sorted([*self.chosen, *self.passed_over], key=lambda entry: entry.position)

    @property
    def seats(self) -> int:
        return sum(entry.application.seats_requested for entry in self.chosen)

    @property
    def ids(self) -> list[int]:
        return [entry.application.id for entry in self.chosen]


def queue(cohort: Cohort) -> list[tuple[int, int]]:
    """(application id, seats requested) of everyone the cohort matches, in queue order."""
    query = offers.matching_applications(cohort).with_only_columns(
        Application.id, Application.seats_requested
    )
    return [(row.id, row.seats_requested) for row in db.session.execute(query)]


def offer_preview(cohort: Cohort, in_queue: list[tuple[int, int]] | None = None) -> Preview:
    """Who "offer the free seats" would offer now: ``next_in_line`` decides; walking the
    same queue shows who it passes over (an agency asking for more seats than are
    left) on the way."""
    free = max(cohort.seats_free, 0)
    chosen = offers.next_in_line(cohort, free) if free else []
    chosen_ids = {application.id for application in chosen}
    in_queue = queue(cohort) if in_queue is None else in_queue
    positions = {application_id: n for n, (application_id, _) in enumerate(in_queue, 1)}
    passed, left = [], free
    for application_id, seats in in_queue:
        if left <= 0:
            break
        if application_id in chosen_ids:
            left -= seats
        elif seats > left:
            passed.append((application_id, left))
        else:
            break  # beyond where next_in_line looked
    people = load_people([*chosen_ids, *(application_id for application_id, _ in passed)])
    return Preview(
        free=free,
        chosen=[QueueEntry(people[a.id], positions.get(a.id, 0)) for a in chosen],
        passed_over=[
            PassedOver(people[application_id], positions[application_id], left)
            for application_id, left in passed
        ],
    )


CANDIDATES_SHOWN = 50


@dataclass(frozen=True)
class Candidates:
    """The matching applications a coordinator can choose one from."""

    rows: list[QueueEntry]
    # How many the cohort matches, and how many of those the search found.
    total: int
    found: int
    q: str = ""


def _search(q: str):
    reference = normalise_reference(q)
    conditions = [
        Applicant.name.icontains(q, autoescape=True),
        AgencyDetails.agency_name.icontains(q, autoescape=True),
    ]
    if reference is not None:
        conditions.append(Application.reference == reference[0])
    return or_(*conditions)


def candidates(
    cohort: Cohort,
    q: str = "",
    *,
    keep: int | None = None,
    in_queue: list[tuple[int, int]] | None = None,
    limit: int = CANDIDATES_SHOWN,
) -> Candidates:
    """The applications the cohort matches, in queue order with their place, narrowed
    to a reference or (part of) a name by ``q``. ``keep`` (a chosen application) is
    listed even beyond the first ``limit``, so a refused form keeps its choice."""
    in_queue = queue(cohort) if in_queue is None else in_queue
    positions = {application_id: n for n, (application_id, _) in enumerate(in_queue, 1)}
    q = " ".join(q.replace("\x00", "").split())[:200]
    if q:
        found_ids = set(
            db.session.scalars(
                select(Application.id)
                .join(Application.applicant)
                .outerjoin(AgencyDetails, AgencyDetails.applicant_id == Applicant.id)
                .where(
                    Application.id.in_(
                        offers.matching_applications(cohort)
                        .with_only_columns(Application.id)
                        .order_by(None)
                        .scalar_subquery()
                    ),
                    _search(q),
                )
            )
        )
        ordered = [i for i, _ in in_queue if i in found_ids]
    else:
        ordered = [i for i, _ in in_queue]
    shown = ordered[:limit]
    if keep in positions and keep not in shown:
        shown.append(keep)
    people = load_people(shown)
    rows = [QueueEntry(people[i], positions[i]) for i in shown]
    return Candidates(rows=rows, total=len(in_queue), found=len(ordered), q=q)
