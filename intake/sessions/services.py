"""A cohort's sessions: generating them from a pattern, changing or cancelling one,
telling the participants, and reminding them before each session.

Times are typed and shown in the programs' time zone (``BABEL_DEFAULT_TIMEZONE``)
and stored in UTC: a weekly 6 pm group stays at 6 pm across a change to or from
daylight saving time. Every move, change or cancellation raises the session's
``sequence`` (the calendar's SEQUENCE) through a conditional UPDATE on the sequence
the coordinator saw, so of two coordinators changing one session at once the second
is told instead of silently undoing the first.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from intake.extensions import db
from intake.models import Cohort, CohortSession, OutboxMessage, Participant
from intake.outbox.services import enqueue
from intake.programs.services import reply_address
from intake.rows import update_guarded
from intake.sessions.calendar import cohort_calendar, session_update

PATTERNS = {
    "weekly": "Every week",
    "biweekly": "Every two weeks",
    "monthly": "Every month",
}
LOCATIONS = {"online": "Video meeting", "in_person": "In person"}
COUNT = (1, 52)
MINUTES = (15, 720)
SCHEDULED, CANCELLED = "scheduled", "cancelled"


class SessionError(Exception):
    """A change that cannot be made; the message says why."""


class StaleSession(SessionError):
    """Someone changed or cancelled the session since the form was shown."""

    def __init__(self):
        super().__init__("Someone changed or cancelled this session since you opened it.")


class SessionCancelled(SessionError):
    """A cancelled session stays cancelled."""


# Dates and times ---------------------------------------------------------------------


def programs_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _add_months(first: date, months: int) -> date:
    """The same day of the month ``months`` later; the month's last day when that
    month is shorter (31 January → 28 or 29 February → 31 March)."""
    month_index = first.month - 1 + months
    year, month = first.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


def session_dates(first: date, pattern: str, count: int) -> list[date]:
    """The dates of ``count`` sessions from ``first``, spaced by ``pattern``."""
    if pattern == "monthly":
        return [_add_months(first, n) for n in range(count)]
    step = {"weekly": 7, "biweekly": 14}[pattern]
    return [first + timedelta(days=step * n) for n in range(count)]


def to_utc(day: date, at: time) -> datetime:
    """A wall-clock time in the programs' time zone, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=programs_zone()).astimezone(UTC)


def local(moment: datetime) -> datetime:
    return moment.astimezone(programs_zone())


# Generating and changing -------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where a session meets: ``kind`` "online" (``meeting_url``) or "in_person"
    (``place``)."""

    kind: str
    meeting_url: str | None = None
    place: str | None = None

    def values(self) -> dict:
        online = self.kind == "online"
        return {
            "location_kind": self.kind,
            "meeting_url": (self.meeting_url or None) if online else None,
            "place": None if online else (self.place or None),
        }


def generate(
    cohort: Cohort,
    *,
    first: date,
    pattern: str,
    count: int,
    start: time,
    minutes: int,
    where: Where,
    now: datetime,
) -> list[CohortSession]:
    """Add ``count`` scheduled sessions to ``cohort`` from a pattern. People already
    in the group get the new dates with the cohort's whole calendar."""
    if pattern not in PATTERNS:
        raise SessionError(f"Unknown pattern {pattern!r}.")
    if not COUNT[0] <= count <= COUNT[1] or not MINUTES[0] <= minutes <= MINUTES[1]:
        raise SessionError("Count or length out of range.")
    sessions = [
        CohortSession(
            cohort_id=cohort.id,
            starts_at=to_utc(day, start),
            minutes=minutes,
            status=SCHEDULED,
            sequence=0,
            created_at=now,
            updated_at=now,
            **where.values(),
        )
        for day in session_dates(first, pattern, count)
    ]
    db.session.add_all(sessions)
    db.session.flush()
    db.session.expire(cohort, ["sessions"])
    _send_calendar(cohort, sessions, now)
    return sessions


def _send_calendar(cohort: Cohort, added: list[CohortSession], now: datetime) -> None:
    for participant in active_participants(cohort.id):
        ics = cohort_calendar(
            cohort,
            cohort.sessions,
            now=now,
            locale=participant.locale,
            name=participant.name,
            email=participant.email,
        )
        _email(
            participant,
            added[0],
            "sessions_added",
            f"sessions_added:{added[0].id}:{participant.id}",
            now,
            ics=ics,
            added=added,
        )


@dataclass(frozen=True)
class Before:
    """A session as participants last heard of it, for the e-mail saying what changed."""

    starts_at: datetime
    minutes: int
    location_kind: str
    meeting_url: str | None
    place: str | None


def change(
    session: CohortSession,
    *,
    starts_at: datetime,
    minutes: int,
    where: Where,
    seen_sequence: int,
    now: datetime,
) -> bool:
    """Move a session or change its length or place. False when nothing differs.

    Raises ``SessionCancelled`` for a cancelled session and ``StaleSession`` when its
    sequence is no longer ``seen_sequence``. The active participants are e-mailed
    what changed, with the calendar update."""
    if session.status == CANCELLED:
        raise SessionCancelled("This session was cancelled; it cannot be changed.")
    values = {"starts_at": starts_at, "minutes": minutes, **where.values()}
    if session.sequence != seen_sequence:
        raise StaleSession()
    if all(getattr(session, name) == value for name, value in values.items()):
        return False
    before = Before(
        session.starts_at,
        session.minutes,
        session.location_kind,
        session.meeting_url,
        session.place,
    )
    _bump(session, seen_sequence, now, **values)
    _tell_participants(session, "session_changed", now, before=before)
    return True


def cancel(session: CohortSession, *, seen_sequence: int, now: datetime) -> None:
    """Cancel one session and tell the active participants, with a calendar
    cancellation. Raises like ``change``."""
    if session.status == CANCELLED:
        raise SessionCancelled("This session was already cancelled.")
    _bump(session, seen_sequence, now, status=CANCELLED)
    _tell_participants(session, "session_cancelled", now)


def _bump(session: CohortSession, seen_sequence: int, now: datetime, **values) -> None:
    changed = update_guarded(
        update(CohortSession)
        .where(
            CohortSession.id == session.id,
            CohortSession.sequence == seen_sequence,
            CohortSession.status == SCHEDULED,
        )
        .values(**values, sequence=seen_sequence + 1, updated_at=now)
    )
    if not changed:
        raise StaleSession()
    db.session.refresh(session)


# E-mail ------------------------------------------------------------------------------


def active_participants(cohort_id: int) -> list[Participant]:
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.cohort_id == cohort_id, Participant.status == "active")
            .order_by(Participant.id)
        )
    )


def _email(
    participant: Participant,
    session: CohortSession,
    template: str,
    dedup_key: str,
    now: datetime,
    *,
    ics: str | None = None,
    **context,
) -> OutboxMessage:
    cohort = session.cohort
    return enqueue(
        template=template,
        to=participant.email,
        dedup_key=dedup_key,
        locale=participant.locale,
        now=now,
        reply_to=reply_address(cohort.program),
        # An individual's own manage link comes with applicant_id; named staff get
        # theirs through participant_id.
        applicant_id=participant.applicant_id,
        participant_id=participant.id,
        program_id=cohort.program_id,
        ics=ics,
        context={"participant": participant, "session": session, "cohort": cohort, **context},
    )


def _tell_participants(session: CohortSession, template: str, now: datetime, **context) -> None:
    for participant in active_participants(session.cohort_id):
        ics = session_update(
            session,
            now=now,
            locale=participant.locale,
            name=participant.name,
            email=participant.email,
        )
        _email(
            participant,
            session,
            template,
            f"{template}:{session.id}:{session.sequence}:{participant.id}",
            now,
            ics=ics,
            **context,
        )


def send_reminders(now: datetime) -> int:
    """Remind each active participant of every scheduled session starting within
    ``SESSION_REMINDER_HOURS``, once per session and sequence (a moved session is
    reminded of again). Returns the number of reminders queued."""
    window = timedelta(hours=current_app.config["SESSION_REMINDER_HOURS"])
    rows = db.session.execute(
        select(CohortSession, Participant)
        .join(Participant, Participant.cohort_id == CohortSession.cohort_id)
        .where(
            CohortSession.status == SCHEDULED,
            CohortSession.starts_at > now,
            CohortSession.starts_at <= now + window,
            Participant.status == "active",
        )
        .options(joinedload(CohortSession.cohort).joinedload(Cohort.program))
        .order_by(CohortSession.starts_at, Participant.id)
    ).all()
    keys = {
        (session.id, participant.id): (
            f"session_reminder:{participant.id}:{session.id}:{session.sequence}"
        )
        for session, participant in rows
    }
    sent = (
        set(
            db.session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.in_(sorted(keys.values()))
                )
            )
        )
        if keys
        else set()
    )
    queued = 0
    for session, participant in rows:
        key = keys[(session.id, participant.id)]
        if key in sent:
            continue
        _email(participant, session, "session_reminder", key, now)
        queued += 1
    return queued
