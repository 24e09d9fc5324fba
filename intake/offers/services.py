"""Seat offers: who is next, holding seats, accepting, declining, expiring.

The last seat is never given twice: a cohort's counters only change through
conditional UPDATEs whose row count is checked (``seats_offered + seats_enrolled
+ n <= seats``), and an offer only leaves "open" through a conditional UPDATE on
its status, so of two racing requests exactly one wins, on SQLite and PostgreSQL.
Functions flush and never commit; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.links import ActionLink, public_url_for
from intake.manage import queue_bits
from intake.models import (
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    Coordinator,
    Offer,
    Program,
    StatusEvent,
)
from intake.offers.ics import enrollment_invite
from intake.outbox.services import enqueue
from intake.participants import records as participants
from intake.programs.services import reply_address
from intake.rows import update_guarded
from intake.status import states
from intake.status.services import claim, move, require_reason

OPEN, ACCEPTED, DECLINED, EXPIRED, RESCINDED = (
    "open",
    "accepted",
    "declined",
    "expired",
    "rescinded",
)
# An accepted offer whose holder later left the group: the seat is free again.
WITHDRAWN = "withdrawn"
REMINDER_BEFORE = timedelta(hours=48)


class SeatsTaken(Exception):
    """Not enough free seats in the cohort (someone else took them first)."""


class OfferClosed(Exception):
    """The offer is no longer open: answered, expired or rescinded already."""

    def __init__(self, offer: Offer):
        super().__init__(f"offer {offer.id} is {offer.status}")
        self.offer = offer


class NotOfferable(Exception):
    """The application is not waiting, or does not fit the cohort."""


# Who is next -------------------------------------------------------------------------


class CohortQueue(Protocol):
    """What a cohort's queue is drawn from: a ``Cohort``, or the same values held
    plainly (the places in line build their statement once from those)."""

    @property
    def id(self) -> int: ...
    @property
    def program_id(self) -> int: ...
    @property
    def language(self) -> str: ...
    @property
    def time_slot(self) -> str | None: ...


def matching_applications(cohort: CohortQueue):
    """A select() of the applications that fit a cohort, in the fair queue order:
    waiting in its program, taking part in its language, free at its time slot, and
    not having already declined or let lapse an offer of this cohort (they deferred
    to a later one).

    Language and slot are the bits of ``applications.match_mask``, which the
    database keeps equal to the applicant's rows (intake.manage.queue_bits); a
    language or slot without a bit is looked up in the rows themselves."""
    wanted = queue_bits.cohort_bits(cohort.language, cohort.time_slot)
    fits = (
        [queue_bits.has_bits(Application.match_mask, wanted)]
        if wanted is not None
        else _fits_by_rows(cohort)
    )
    return (
        select(Application)
        .where(
            Application.program_id == cohort.program_id,
            Application.status == states.WAITLISTED,
            *fits,
            ~exists().where(
                Offer.application_id == Application.id,
                Offer.cohort_id == cohort.id,
                Offer.status.in_((DECLINED, EXPIRED)),
            ),
        )
        .order_by(Application.priority.desc(), Application.joined_at, Application.id)
    )


def _fits_by_rows(cohort: CohortQueue) -> list[ColumnElement[bool]]:
    fits: list[ColumnElement[bool]] = [
        exists().where(
            ApplicantLanguage.applicant_id == Application.applicant_id,
            ApplicantLanguage.code == cohort.language,
        )
    ]
    if cohort.time_slot:
        fits.append(
            exists().where(
                ApplicantAvailability.applicant_id == Application.applicant_id,
                ApplicantAvailability.slot == cohort.time_slot,
            )
        )
    return fits


def next_in_line(cohort: Cohort, free: int, limit: int = 500) -> list[Application]:
    """The applications to offer ``free`` seats to, in queue order. An agency's request
    is offered whole or not at all: one that does not fit the seats left is passed
    over (it keeps its place for a later cohort) and the next that fits is taken."""
    chosen, left = [], free
    for application in db.session.scalars(matching_applications(cohort).limit(limit)):
        if left <= 0:
            break
        if application.seats_requested <= left:
            chosen.append(application)
            left -= application.seats_requested
    return chosen


def fits(cohort: Cohort, application: Application) -> bool:
    query = matching_applications(cohort).where(Application.id == application.id)
    return db.session.scalar(query.with_only_columns(Application.id)) is not None


# Seats ---------------------------------------------------------------------------------


def take_cohort(cohort: Cohort) -> None:
    """Lock the cohort's row for the rest of the transaction, before anything else.

    Offers from the cohort page always take the cohort first and then the
    applications, the same order as answering an offer (offer, cohort, application),
    so two coordinators acting at once wait for each other instead of deadlocking on
    PostgreSQL. On SQLite the write starts the transaction (waiting for the busy
    timeout), so no read inside it can go stale before its first write ("database is
    locked" otherwise, when two coordinators click at once).
    """
    db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id)
        .values(seats=Cohort.seats)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(cohort)


def _hold_seats(cohort_id: int, seats: int) -> None:
    if not update_guarded(
        update(Cohort)
        .where(
            Cohort.id == cohort_id,
            Cohort.seats_offered + Cohort.seats_enrolled + seats <= Cohort.seats,
        )
        .values(seats_offered=Cohort.seats_offered + seats)
    ):
        raise SeatsTaken(cohort_id)


def _release_seats(cohort_id: int, seats: int) -> None:
    db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.seats_offered >= seats)
        .values(seats_offered=Cohort.seats_offered - seats)
        .execution_options(synchronize_session=False)
    )


def _fill_seats(cohort_id: int, seats: int) -> None:
    # Refused when the counters disagree with the offers: never guess.
    if not update_guarded(
        update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.seats_offered >= seats)
        .values(
            seats_offered=Cohort.seats_offered - seats,
            seats_enrolled=Cohort.seats_enrolled + seats,
        )
    ):
        raise SeatsTaken(cohort_id)


def _close_offer(offer: Offer, status: str, now: datetime, *, before: datetime | None = None):
    """Move an open offer to ``status``; OfferClosed if someone else closed it first."""
    conditions = [Offer.id == offer.id, Offer.status == OPEN]
    if before is not None:
        conditions.append(Offer.expires_at > before)
    changed = update_guarded(
        update(Offer).where(*conditions).values(status=status, answered_at=now)
    )
    db.session.refresh(offer)
    if not changed:
        raise OfferClosed(offer)


# Making offers ---------------------------------------------------------------------------


def make_offer(
    cohort: Cohort,
    application: Application,
    *,
    now: datetime,
    actor: Coordinator | None = None,
    out_of_order_reason: str | None = None,
) -> Offer:
    """Hold the application's seats in the cohort and e-mail the offer.

    Raises SeatsTaken if the seats are gone, NotOfferable if the application does
    not fit the cohort or is not waiting any more.
    """
    if application.program_id != cohort.program_id or not fits(cohort, application):
        raise NotOfferable(application.id)
    # The cohort before the application: the order every offer change takes its row
    # locks in (offer, cohort, application), so two at once wait instead of deadlocking.
    seats = application.seats_requested
    _hold_seats(cohort.id, seats)
    claim(application, states.WAITLISTED, states.OFFERED, now)
    # A coordinator may have split the request a moment ago (intake.casefile.split):
    # the claim holds the application's row now, so this read is current. An offer is
    # for the whole request as it stands, never for what it was.
    db.session.refresh(application, ["seats_requested"])
    if application.seats_requested != seats:
        raise NotOfferable(application.id)
    offer = Offer(
        application=application,
        cohort=cohort,
        seats=seats,
        status=OPEN,
        created_at=now,
        expires_at=now + timedelta(days=cohort.program.offer_window_days),
        created_by_id=actor.id if actor else None,
        out_of_order_reason=out_of_order_reason,
    )
    db.session.add(offer)
    event = move(
        application,
        states.OFFERED,
        actor="coordinator" if actor else "system",
        now=now,
        reason=out_of_order_reason or f"Seat offered in {cohort.name}.",
    )
    event.actor_id = actor.id if actor else None
    db.session.flush()
    _email_applicant(offer, "offer_made", now)
    return offer


def offer_next(cohort: Cohort, *, now: datetime, actor: Coordinator | None = None) -> list[Offer]:
    """Offer every free seat of the cohort to the next matching people, in order
    ("offer the free seats" on the cohort page, and the automatic offer when seats
    free)."""
    # The cohort first: on PostgreSQL two batches for one cohort then run one after
    # the other; on SQLite the reads in the savepoints below cannot go stale.
    take_cohort(cohort)
    offers = []
    for application in next_in_line(cohort, cohort.seats_free):
        try:
            # A savepoint each: a seat taken meanwhile undoes only this one offer.
            with db.session.begin_nested():
                offers.append(make_offer(cohort, application, now=now, actor=actor))
        except (SeatsTaken, NotOfferable, states.TransitionNotAllowed):
            continue
    return offers


def offer_to(
    cohort: Cohort,
    application: Application,
    *,
    now: datetime,
    actor: Coordinator,
    reason: str | None,
) -> Offer:
    """Offer a seat to one chosen person. Out of queue order needs a reason."""
    db.session.refresh(cohort)
    first = next_in_line(cohort, cohort.seats_free, limit=50)
    in_order = bool(first) and first[0].id == application.id
    if not in_order:
        reason = require_reason(reason, "an offer out of queue order needs a reason")
    return make_offer(
        cohort,
        application,
        now=now,
        actor=actor,
        out_of_order_reason=None if in_order else reason,
    )


def offer_one(
    cohort: Cohort,
    application: Application,
    *,
    now: datetime,
    actor: Coordinator,
    reason: str | None,
) -> Offer:
    """Offer a seat to one chosen person from the cohort page: the cohort first, then
    ``offer_to``. Whether they can have one is said before whether a reason is
    needed: NotOfferable when they no longer wait or match, SeatsTaken when their
    seats are not free, then ReasonRequired."""
    take_cohort(cohort)
    if application.program_id != cohort.program_id or not fits(cohort, application):
        raise NotOfferable(application.id)
    if application.seats_requested > cohort.seats_free:
        raise SeatsTaken(cohort.id)
    return offer_to(cohort, application, now=now, actor=actor, reason=reason)


# Answers ------------------------------------------------------------------------------------


def accept(offer: Offer, *, now: datetime) -> Offer:
    """Accept an open, unexpired offer: the seats become enrolled seats."""
    _close_offer(offer, ACCEPTED, now, before=now)
    _fill_seats(offer.cohort_id, offer.seats)
    application = offer.application
    claim(application, states.OFFERED, states.ENROLLED, now)
    move(application, states.ENROLLED, actor="applicant", now=now, reason="Accepted the offer.")
    participants.enroll_individual(offer, now)
    _email_applicant(offer, "enrolled", now)
    db.session.refresh(offer.cohort)
    if offer.cohort.seats_enrolled >= offer.cohort.seats:
        notify_coordinators(offer.cohort, "cohort_full", now, offer=offer)
    return offer


def decline(offer: Offer, *, now: datetime, defer: bool) -> Offer:
    """Decline an open offer. ``defer`` keeps the person's place for a later cohort;
    otherwise they leave the list."""
    _close_offer(offer, DECLINED, now)
    _release_seats(offer.cohort_id, offer.seats)
    application = offer.application
    claim(application, states.OFFERED, states.DECLINED, now)
    move(application, states.DECLINED, actor="applicant", now=now, reason="Declined the offer.")
    if defer:
        move(
            application,
            states.WAITLISTED,
            actor="applicant",
            now=now,
            reason="Deferred to a later cohort, keeping their place.",
        )
    else:
        move(application, states.CLOSED, actor="applicant", now=now, reason="Left the list.")
    _email_applicant(offer, "offer_declined", now, defer=defer)
    _seats_freed(offer, now, why="declined")
    return offer


def rescind(offer: Offer, *, now: datetime, actor: Coordinator, reason: str) -> Offer:
    """A coordinator takes an offer back; the person keeps their place. Links in the
    offer e-mail then show that the offer was withdrawn and change nothing."""
    require_reason(reason, "taking an offer back needs a reason")
    _close_offer(offer, RESCINDED, now)
    _release_seats(offer.cohort_id, offer.seats)
    application = offer.application
    claim(application, states.OFFERED, states.WAITLISTED, now)
    event = move(application, states.WAITLISTED, actor="coordinator", now=now, reason=reason)
    event.actor_id = actor.id
    _email_applicant(offer, "offer_rescinded", now)
    return offer


# Withdrawing -----------------------------------------------------------------------------------


def withdraw_application(
    application: Application,
    *,
    actor: Coordinator | None,
    reason: str | None,
    now: datetime,
) -> tuple[StatusEvent, Offer | None]:
    """Withdraw an open application: by a coordinator (``actor``), or by the applicant
    (``actor`` None). An offered or enrolled application's offer ends first and its
    seats free (the program's coordinators are told); then the status moves to
    withdrawn. Returns the status event and the offer that ended, if any; the callers
    e-mail the applicant.

    Raises TransitionNotAllowed when the status does not allow it (closed, or changed
    a moment ago), and OfferClosed when the offer was answered, expired or taken back
    at the same moment.
    """
    current = application.status
    if not states.can_transition(current, states.WITHDRAWN):
        raise states.TransitionNotAllowed(current, states.WITHDRAWN)
    released = None
    if current in (states.OFFERED, states.ENROLLED):
        # The offer and cohort before the application: the order every offer change
        # takes its row locks in.
        released = _release_for_withdrawal(application, now)
    if current == states.ENROLLED:
        participants.end_for_withdrawal(application, now)
    claim(application, current, states.WITHDRAWN, now)
    event = move(
        application,
        states.WITHDRAWN,
        actor="coordinator" if actor else "applicant",
        now=now,
        reason=reason or None,
    )
    if actor is not None:
        event.actor_id = actor.id
    return event, released


def _release_for_withdrawal(application: Application, now: datetime) -> Offer | None:
    """When an offered or enrolled application is withdrawn, its seats free: an open
    offer is rescinded; an accepted one becomes "withdrawn". Call before moving the
    application to withdrawn."""
    offer = open_offer(application)
    if offer is not None:
        _close_offer(offer, RESCINDED, now)
        _release_seats(offer.cohort_id, offer.seats)
    elif application.status == states.ENROLLED:
        offer = db.session.scalar(
            select(Offer).where(Offer.application_id == application.id, Offer.status == ACCEPTED)
        )
        if offer is None:
            return None
        if not update_guarded(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status == ACCEPTED)
            .values(status=WITHDRAWN, answered_at=now)
        ):
            raise OfferClosed(offer)
        db.session.execute(
            update(Cohort)
            .where(Cohort.id == offer.cohort_id, Cohort.seats_enrolled >= offer.seats)
            .values(seats_enrolled=Cohort.seats_enrolled - offer.seats)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(offer)
    else:
        return None
    _seats_freed(offer, now, why="withdrawn")
    return offer


def open_offer(application: Application) -> Offer | None:
    return db.session.scalar(
        select(Offer).where(Offer.application_id == application.id, Offer.status == OPEN)
    )


# The clock: reminders and expiries ----------------------------------------------------------


def remind_due(now: datetime) -> int:
    """E-mail a reminder for every open offer within 48 hours of expiring (once)."""
    sent = 0
    due = db.session.scalars(
        select(Offer)
        .where(
            Offer.status == OPEN,
            Offer.reminded_at.is_(None),
            Offer.expires_at <= now + REMINDER_BEFORE,
            Offer.expires_at > now,
        )
        .order_by(Offer.id)  # the same lock order on every machine running the tick
    ).all()
    for offer in due:
        if update_guarded(
            update(Offer)
            .where(Offer.id == offer.id, Offer.reminded_at.is_(None), Offer.status == OPEN)
            .values(reminded_at=now)
        ):
            _email_applicant(offer, "offer_reminder", now)
            sent += 1
    return sent


def expire_due(now: datetime) -> list[Offer]:
    """Expire every open offer past its time: seats free, the person keeps their
    place, both sides are told, and the next person is offered where the program
    says so."""
    expired = []
    due = db.session.scalars(
        select(Offer).where(Offer.status == OPEN, Offer.expires_at <= now).order_by(Offer.id)
    ).all()
    for offer in due:
        try:
            _close_offer(offer, EXPIRED, now)
        except OfferClosed:
            continue  # another machine's tick, or the person answered just now
        _release_seats(offer.cohort_id, offer.seats)
        application = offer.application
        claim(application, states.OFFERED, states.EXPIRED, now)
        move(application, states.EXPIRED, actor="system", now=now, reason="No answer in time.")
        move(
            application,
            states.WAITLISTED,
            actor="system",
            now=now,
            reason="Back on the waitlist, keeping their place.",
        )
        _email_applicant(offer, "offer_expired", now)
        _seats_freed(offer, now, why="expired")
        expired.append(offer)
    return expired


def _seats_freed(offer: Offer, now: datetime, why: str) -> None:
    notify_coordinators(offer.cohort, "seats_freed", now, offer=offer, why=why)
    if offer.cohort.program.auto_offer:
        offer_next(offer.cohort, now=now)


# E-mail ---------------------------------------------------------------------------------------


def _email_applicant(offer: Offer, template: str, now: datetime, **extra) -> None:
    application = offer.application
    applicant = application.applicant
    links = {
        "accept_url": ActionLink("offer_accept", offer.expires_at, offer_id=offer.id),
        "decline_url": ActionLink("offer_decline", offer.expires_at, offer_id=offer.id),
    }
    # The enrolled e-mail carries the first session as a calendar invitation.
    ics = (
        enrollment_invite(offer, now=now, locale=applicant.locale)
        if template == "enrolled"
        else None
    )
    enqueue(
        template=template,
        to=applicant.email,
        dedup_key=f"{template}:{offer.id}",
        locale=applicant.locale,
        now=now,
        reply_to=reply_address(offer.cohort.program),
        applicant_id=applicant.id,
        application_id=application.id,
        links=links,
        ics=ics,
        context={
            "applicant": applicant,
            "application": application,
            "offer": offer,
            "cohort": offer.cohort,
            **extra,
        },
    )


def coordinator_addresses(program: Program) -> list[str]:
    addresses = db.session.scalars(
        select(Coordinator.email)
        .join(Coordinator.programs)
        .where(Program.id == program.id, Coordinator.active.is_(True))
        .order_by(Coordinator.email)
    ).all()
    return list(addresses) or [reply_address(program)]


def notify_coordinators(cohort: Cohort, template: str, now: datetime, **context) -> None:
    offer = context.get("offer")
    # The seat counters moved by UPDATEs the session did not see: read them again.
    db.session.refresh(cohort)
    cohort_url = public_url_for("cohorts.show", cohort_id=cohort.id)
    for address in coordinator_addresses(cohort.program):
        enqueue(
            template=f"coordinator_{template}",
            to=address,
            dedup_key=f"coordinator_{template}:{offer.id if offer else cohort.id}:{address}",
            locale="en",
            now=now,
            program_id=cohort.program_id,
            context={"cohort": cohort, "cohort_url": cohort_url, **context},
        )


def offers_for_cohort(cohort_id: int) -> Sequence[Offer]:
    return db.session.scalars(
        select(Offer)
        .where(Offer.cohort_id == cohort_id, Offer.status.in_((OPEN, ACCEPTED)))
        .options(selectinload(Offer.application).selectinload(Application.applicant))
        .order_by(Offer.created_at)
    ).all()
