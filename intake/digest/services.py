"""The daily digest e-mail to coordinators: what goes in one, and sending it.

Each active account gets at most one a day (its dedup key names the account and the
day in the programs' time zone), from the first tick at or after DIGEST_HOUR that
finds something to say, and only then:

- applications the rules sent to review since the last digest, still in review;
- e-mails that failed and are still failed (the account may read them: the E-mail
  page's own rule, ``Scope.messages``);
- open offers that end within DIGEST_OFFER_HOURS;
- participants who missed the last two sessions held in a row, marked since the
  last digest (``intake.attendance.services.absence_streak``).

Everything is read through the account's scope: a coordinator hears only of their
programs, an admin of every one. A facilitator sees no program, so only the
absences in the cohorts they lead. An account that turned the digest off
(``Coordinator.digest_enabled``) gets none. Functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from intake.attendance.services import ABSENT, STREAK, absence_streak
from intake.auth.scope import Scope, scope_for
from intake.extensions import db
from intake.links import public_url_for
from intake.models import (
    Application,
    Attendance,
    Cohort,
    CohortSession,
    Coordinator,
    Offer,
    OutboxMessage,
    Participant,
    StatusEvent,
)
from intake.outbox.services import enqueue
from intake.status import states

TEMPLATE = "coordinator_digest"
# The first digest of an account covers the day before it.
FIRST_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Absence:
    participant: Participant
    cohort: Cohort
    # The sessions missed in a row, oldest first (two or more).
    missed: list[CohortSession]


@dataclass
class Digest:
    in_review: list[Application] = field(default_factory=list)
    failed: int = 0
    expiring: list[Offer] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.in_review or self.failed or self.expiring or self.absences)


# What goes in one ------------------------------------------------------------------


def new_in_review(scope: Scope, since: datetime) -> list[Application]:
    """Applications in review now that were sent there after ``since``, oldest first."""
    if scope.facilitator:
        return []
    sent_there = (
        select(StatusEvent.application_id)
        .where(StatusEvent.to_status == states.NEEDS_REVIEW, StatusEvent.created_at > since)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            scope.applications(
                select(Application)
                .options(joinedload(Application.program))
                .where(Application.status == states.NEEDS_REVIEW, Application.id.in_(sent_there))
                .order_by(Application.created_at, Application.id)
            )
        )
    )


def failed_messages(scope: Scope) -> int:
    """E-mails still failed that ``scope`` may read on the E-mail page."""
    return db.session.scalars(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == "failed", scope.messages())
    ).one()


def expiring_offers(scope: Scope, now: datetime, hours: int) -> list[Offer]:
    """Open offers of ``scope``'s programs that end within ``hours``, soonest first."""
    if scope.facilitator:
        return []
    return list(
        db.session.scalars(
            scope.applications(
                select(Offer)
                .join(Application, Application.id == Offer.application_id)
                .options(joinedload(Offer.application), joinedload(Offer.cohort))
                .where(
                    Offer.status == "open",
                    Offer.expires_at > now,
                    Offer.expires_at <= now + timedelta(hours=hours),
                )
                .order_by(Offer.expires_at, Offer.id)
            )
        )
    )


def repeated_absences(scope: Scope, since: datetime, now: datetime) -> list[Absence]:
    """Active participants of ``scope``'s cohorts whose absence marked after ``since``
    made (or lengthened) a run of two or more missed sessions that lasts to the last
    session held."""
    marked = scope.cohorts(
        select(Attendance.participant_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(
            Attendance.status == ABSENT,
            Attendance.recorded_at > since,
            Participant.status == "active",
        )
        .distinct()
    )
    ids = list(db.session.scalars(marked))
    if not ids:
        return []
    people = db.session.scalars(
        select(Participant)
        .options(joinedload(Participant.cohort).joinedload(Cohort.program))
        .where(Participant.id.in_(ids))
        .order_by(Participant.cohort_id, func.lower(Participant.name), Participant.id)
    )
    found = []
    for participant in people:
        streak = absence_streak(participant, now)
        if len(streak) >= STREAK:
            found.append(Absence(participant, participant.cohort, streak))
    return found


def contents(coordinator: Coordinator, now: datetime) -> Digest:
    """What ``coordinator``'s digest would say at ``now`` (empty: nothing to send)."""
    scope = scope_for(coordinator)
    if scope.nothing:
        return Digest()
    since = coordinator.digest_sent_at or now - FIRST_WINDOW
    return Digest(
        in_review=new_in_review(scope, since),
        failed=failed_messages(scope),
        expiring=expiring_offers(scope, now, current_app.config["DIGEST_OFFER_HOURS"]),
        absences=repeated_absences(scope, since, now),
    )


# Sending ----------------------------------------------------------------------------


def local_day(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def send_moment(day: date) -> datetime:
    """When the digests of ``day`` are due: DIGEST_HOUR that day, local time."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(current_app.config["DIGEST_HOUR"]), tzinfo=tz)


def due_accounts(now: datetime) -> Sequence[Coordinator]:
    """Active accounts with the digest on that have not had today's yet; none before
    today's DIGEST_HOUR."""
    moment = send_moment(local_day(now))
    if now < moment:
        return []
    return db.session.scalars(
        select(Coordinator)
        .where(
            Coordinator.active.is_(True),
            Coordinator.digest_enabled.is_(True),
            or_(Coordinator.digest_sent_at.is_(None), Coordinator.digest_sent_at < moment),
        )
        .order_by(Coordinator.id)
    ).all()


def send(coordinator: Coordinator, digest: Digest, now: datetime) -> OutboxMessage:
    """Queue ``digest`` to ``coordinator`` (once a day: the dedup key) and note it."""
    day = local_day(now)
    message = enqueue(
        template=TEMPLATE,
        to=coordinator.email,
        dedup_key=f"digest:{coordinator.id}:{day.isoformat()}",
        locale="en",
        now=now,
        coordinator_id=coordinator.id,
        context={
            "coordinator": coordinator,
            "digest": digest,
            "day": day,
            "since": coordinator.digest_sent_at,
            "review_url": public_url_for("review.queue"),
            "outbox_url": public_url_for("outbox.index", status="failed"),
            "cohort_url": lambda cohort_id: public_url_for("cohorts.show", cohort_id=cohort_id),
            "session_url": lambda session_id: public_url_for(
                "attendance.session", session_id=session_id
            ),
            "account_url": public_url_for("auth.account"),
            "offer_hours": current_app.config["DIGEST_OFFER_HOURS"],
        },
    )
    db.session.execute(
        update(Coordinator)
        .where(Coordinator.id == coordinator.id)
        .values(digest_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return message


def send_due(now: datetime) -> int:
    """The tick's step: queue today's digest to every account due one that has
    something to say; how many were queued."""
    sent = 0
    for coordinator in due_accounts(now):
        digest = contents(coordinator, now)
        if digest.empty:
            continue
        send(coordinator, digest, now)
        sent += 1
    db.session.flush()
    return sent
