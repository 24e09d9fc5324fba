"""Participants after enrollment: agency directors name their staff for the seats
they accepted, replace someone until a set session, and the program's coordinators
hear once of seats still unnamed at the deadline. Also what a participant sees of
their group (sessions, attendance, hours, letters).

Functions take ``now``, flush and never commit; the view commits once. "Never more
named than seats" is decided with the accepted offer's row locked (a conditional
UPDATE on it), so two directors' tabs naming the last seat at once name one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from intake.attendance.services import marks_of
from intake.extensions import db
from intake.hours import CreditRules, HeldSession, credited_minutes, hours_text
from intake.links import ParticipantLink
from intake.models import (
    Application,
    Cohort,
    CohortSession,
    Letter,
    Offer,
    OutboxMessage,
    Participant,
    Program,
)
from intake.offers.services import ACCEPTED, notify_coordinators
from intake.outbox.services import enqueue
from intake.participants.records import ACTIVE, COMPLETED, REPLACED
from intake.programs.services import reply_address
from intake.rows import update_guarded
from intake.status import states

# The languages a named person's e-mail and page can be in.
STAFF_LOCALES = ("en", "es", "zh")
SCHEDULED = "scheduled"


class NotNaming(Exception):
    """The application has no accepted seats to name people for (not an agency, not
    enrolled, or it changed a moment ago)."""


class TooManyNamed(Exception):
    """Every seat already has a person named."""


class ReplaceClosed(Exception):
    """The session after which nobody can be replaced has been held."""


class NotReplaceable(Exception):
    """The person was replaced or left already (a second click, another tab)."""


@dataclass(frozen=True)
class StaffDetails:
    name: str
    email: str
    role: str | None
    locale: str
    access_needs: list[str]
    access_needs_other: str | None


# Seats and named staff ---------------------------------------------------------------------


def accepted_offer(application: Application) -> Offer | None:
    """The agency's accepted offer: the seats its director names people for."""
    if application.applicant.kind != "agency" or application.status not in (
        states.ENROLLED,
        states.COMPLETED,
    ):
        return None
    return db.session.scalar(
        select(Offer).where(Offer.application_id == application.id, Offer.status == ACCEPTED)
    )


def named_staff(application_id: int) -> list[Participant]:
    """Everyone an agency named, in the order named (replaced people included)."""
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.application_id == application_id, Participant.applicant_id.is_(None))
            .order_by(Participant.id)
        )
    )


def holding_seats(people: list[Participant]) -> list[Participant]:
    return [p for p in people if p.status in (ACTIVE, COMPLETED)]


def sessions_held(cohort_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CohortSession)
            .where(
                CohortSession.cohort_id == cohort_id,
                CohortSession.status == SCHEDULED,
                CohortSession.starts_at <= now,
            )
        )
        or 0
    )


def can_replace(cohort: Cohort, now: datetime) -> bool:
    """Someone can be replaced until session ``staff_replace_until_session`` is held."""
    return sessions_held(cohort.id, now) < cohort.program.staff_replace_until_session


def naming_deadline(cohort: Cohort) -> datetime | None:
    """The first session's start minus the program's naming days (None: no sessions)."""
    first = first_session(cohort.id)
    if first is None:
        return None
    return first.starts_at - timedelta(days=cohort.program.staff_naming_days)


def _lock(offer: Offer) -> None:
    """Lock the accepted offer's row for the rest of the transaction (the same first
    lock every offer change takes); NotNaming once it is no longer accepted."""
    if not update_guarded(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == ACCEPTED)
        .values(seats=Offer.seats)
    ):
        raise NotNaming(offer.application_id)


def name_staff(application: Application, details: StaffDetails, now: datetime) -> Participant:
    """Name a staff member for one of the agency's seats and e-mail them their link.
    NotNaming when there are no accepted seats, TooManyNamed when all are named."""
    offer = accepted_offer(application)
    if offer is None:
        raise NotNaming(application.id)
    _lock(offer)
    if len(holding_seats(named_staff(application.id))) >= offer.seats:
        raise TooManyNamed(application.id)
    return _add_staff(application, offer.cohort, details, now)


def replace_staff(
    application: Application, participant_id: int, details: StaffDetails, now: datetime
) -> Participant:
    """Put a new person in a named person's seat: the old one becomes "replaced"
    (pointing at the new one), the new one gets their welcome e-mail."""
    offer = accepted_offer(application)
    if offer is None:
        raise NotNaming(application.id)
    _lock(offer)
    old = db.session.get(Participant, participant_id)
    if old is None or old.application_id != application.id or old.applicant_id is not None:
        raise NotReplaceable(participant_id)
    if not can_replace(offer.cohort, now):
        raise ReplaceClosed(offer.cohort_id)
    if not update_guarded(
        update(Participant)
        .where(Participant.id == old.id, Participant.status == ACTIVE)
        .values(status=REPLACED, updated_at=now)
    ):
        raise NotReplaceable(participant_id)
    # A welcome still waiting to leave would only bring a link that no longer works.
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.participant_id == old.id, OutboxMessage.status == "queued")
        .execution_options(synchronize_session=False)
    )
    new = _add_staff(application, offer.cohort, details, now)
    db.session.execute(
        update(Participant)
        .where(Participant.id == old.id)
        .values(replaced_by_id=new.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(old)
    return new


def _add_staff(
    application: Application, cohort: Cohort, details: StaffDetails, now: datetime
) -> Participant:
    participant = Participant(
        application_id=application.id,
        cohort_id=cohort.id,
        applicant_id=None,
        name=details.name,
        email=details.email,
        email_key=details.email.lower(),
        role=details.role,
        locale=details.locale if details.locale in STAFF_LOCALES else "en",
        access_needs=list(details.access_needs),
        access_needs_other=details.access_needs_other,
        status=ACTIVE,
        created_at=now,
        updated_at=now,
    )
    db.session.add(participant)
    db.session.flush()
    _welcome(participant, application, cohort, now)
    return participant


def _welcome(
    participant: Participant, application: Application, cohort: Cohort, now: datetime
) -> None:
    enqueue(
        template="participant_welcome",
        to=participant.email,
        dedup_key=f"participant_welcome:{participant.id}",
        locale=participant.locale,
        now=now,
        reply_to=reply_address(cohort.program),
        application_id=application.id,
        participant_id=participant.id,
        program_id=cohort.program_id,
        links={"participant_url": ParticipantLink()},
        context={
            "participant": participant,
            "agency": application.applicant.organisation or application.applicant.name,
            "cohort": cohort,
            "first_session": first_session(cohort.id),
        },
    )


def first_session(cohort_id: int) -> CohortSession | None:
    return db.session.scalar(
        select(CohortSession)
        .where(CohortSession.cohort_id == cohort_id, CohortSession.status == SCHEDULED)
        .order_by(CohortSession.starts_at)
        .limit(1)
    )


# Seats not named by the deadline -------------------------------------------------------------


@dataclass(frozen=True)
class Unnamed:
    application: Application
    seats: int
    named: int

    @property
    def missing(self) -> int:
        return self.seats - self.named


def unnamed_seats(cohort: Cohort) -> list[Unnamed]:
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.cohort_id == cohort.id, Offer.status == ACCEPTED)
        .order_by(Offer.id)
    )
    short = []
    for offer in offers:
        named = len(holding_seats(named_staff(offer.application_id)))
        if named < offer.seats:
            short.append(Unnamed(offer.application, offer.seats, named))
    return short


def report_unnamed_due(now: datetime) -> int:
    """Once a cohort's naming deadline has passed, tell its program's coordinators of
    the agency seats nobody was named for (once per cohort: a conditional UPDATE on
    ``unnamed_reported_at`` decides which tick does it). Returns the cohorts reported."""
    cohorts = db.session.scalars(
        select(Cohort)
        .join(Program, Program.id == Cohort.program_id)
        .where(
            Program.kind == "agency",
            Cohort.unnamed_reported_at.is_(None),
            Cohort.completed_at.is_(None),
        )
        .order_by(Cohort.id)
    ).all()
    reported = 0
    for cohort in cohorts:
        deadline = naming_deadline(cohort)
        if deadline is None or deadline > now:
            continue
        if not update_guarded(
            update(Cohort)
            .where(Cohort.id == cohort.id, Cohort.unnamed_reported_at.is_(None))
            .values(unnamed_reported_at=now)
        ):
            continue  # another machine's tick
        short = unnamed_seats(cohort)
        if short:
            notify_coordinators(cohort, "unnamed_seats", now, unnamed=short, deadline=deadline)
            reported += 1
    return reported


# What a participant sees of their group --------------------------------------------------------


@dataclass(frozen=True)
class SessionLine:
    session: CohortSession
    held: bool
    # "present", "absent", "excused" or None (not recorded)
    attendance: str | None


@dataclass(frozen=True)
class GroupView:
    participant: Participant
    cohort: Cohort
    sessions: list[SessionLine]
    credited_minutes: int
    letters: list[Letter]

    @property
    def hours(self) -> str:
        return hours_text(self.credited_minutes)

    @property
    def attended(self) -> int:
        return sum(1 for line in self.sessions if line.held and line.attendance == "present")


def group_view(participant: Participant, now: datetime) -> GroupView:
    """The participant's sessions (cancelled ones marked), what they attended, the
    hours credited so far by the program's rules, and their letters."""
    cohort = participant.cohort
    program = cohort.program
    sessions = db.session.scalars(
        select(CohortSession)
        .where(CohortSession.cohort_id == cohort.id)
        .order_by(CohortSession.starts_at, CohortSession.id)
    ).all()
    marks = marks_of(participant.id)
    lines = [
        SessionLine(
            session=s,
            held=s.status == SCHEDULED and s.starts_at <= now,
            attendance=marks.get(s.id),
        )
        for s in sessions
    ]
    rules = CreditRules.of(program)
    credited = credited_minutes(
        rules,
        [
            HeldSession(minutes=line.session.minutes, attended=line.attendance == "present")
            for line in lines
            if line.held
        ],
    )
    letters = list(
        db.session.scalars(
            select(Letter).where(Letter.participant_id == participant.id).order_by(Letter.issued_at)
        )
    )
    return GroupView(participant, cohort, lines, credited, letters)


def participant_of(application: Application) -> Participant | None:
    """An individual's participant row for their enrolled (or completed) application."""
    return db.session.scalar(
        select(Participant)
        .where(
            Participant.application_id == application.id,
            Participant.applicant_id == application.applicant_id,
        )
        .order_by(Participant.id.desc())
        .limit(1)
    )
