"""Attendance: who was at each session of a group, marked by its facilitator (or the
program's coordinators), and who missed two sessions in a row (the coordinators'
daily digest, intake.digest, reports them).

One row per (session, participant), written with an INSERT … ON CONFLICT DO UPDATE
(the primary key decides): two people tapping at once leave one row, the last write
wins. Services take ``now`` and flush; the views commit.

Only attendance is stored, never anything about what was discussed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from intake.auth.scope import Scope
from intake.extensions import db
from intake.models import Attendance, Cohort, CohortSession, Coordinator, Participant

PRESENT, ABSENT, EXCUSED = "present", "absent", "excused"
STATUSES = {PRESENT: "Present", ABSENT: "Absent", EXCUSED: "Excused"}
# Two absences in a row, in the last sessions held, are reported in the digest.
STREAK = 2


class AttendanceError(Exception):
    """A mark the rules do not allow; the message says why."""


class NotOnRoster(AttendanceError):
    def __init__(self) -> None:
        super().__init__("This person is not on the group's roster.")


class SessionCancelled(AttendanceError):
    def __init__(self) -> None:
        super().__init__("This session is cancelled: there is no attendance to mark.")


@dataclass(frozen=True)
class RosterRow:
    participant: Participant
    status: str | None
    # Sessions missed in a row up to the last one held: the roster flags STREAK or
    # more (the coordinators' daily digest reports them too).
    missed_in_a_row: int = 0


# Reading -----------------------------------------------------------------------------


def groups(scope: Scope) -> Sequence[Cohort]:
    """The cohorts ``scope`` sees (a facilitator's own), with their sessions: the
    newest group first."""
    return (
        db.session.scalars(
            scope.cohorts(select(Cohort))
            .options(joinedload(Cohort.program), selectinload(Cohort.sessions))
            .order_by(Cohort.start_date.desc(), Cohort.id)
        )
        .unique()
        .all()
    )


def active_counts(cohort_ids: list[int]) -> dict[int, int]:
    """How many active participants each cohort has (one query)."""
    if not cohort_ids:
        return {}
    rows = db.session.execute(
        select(Participant.cohort_id, func.count())
        .where(Participant.cohort_id.in_(cohort_ids), Participant.status == "active")
        .group_by(Participant.cohort_id)
    )
    return dict(rows.all())


def marked_counts(session_ids: list[int]) -> dict[int, int]:
    """How many people have a mark, per session (one query)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.session_id, func.count())
        .where(Attendance.session_id.in_(session_ids))
        .group_by(Attendance.session_id)
    )
    return dict(rows.all())


def visible_session(session_id: int, scope: Scope) -> CohortSession | None:
    """The session if ``scope`` sees its cohort, else None (the view answers 404)."""
    return db.session.scalar(
        scope.cohorts(
            select(CohortSession)
            .join(Cohort, CohortSession.cohort_id == Cohort.id)
            .where(CohortSession.id == session_id)
        ).options(joinedload(CohortSession.cohort).joinedload(Cohort.program))
    )


def roster(session: CohortSession, now: datetime | None = None) -> list[RosterRow]:
    """The cohort's active participants by name, each with their mark for ``session``
    (None: not marked yet), and with ``now`` how many sessions each missed in a row.
    One query (three with ``now``)."""
    missed = missed_in_a_row(session.cohort_id, now) if now is not None else {}
    rows = db.session.execute(
        select(Participant, Attendance.status)
        .outerjoin(
            Attendance,
            (Attendance.participant_id == Participant.id) & (Attendance.session_id == session.id),
        )
        .where(Participant.cohort_id == session.cohort_id, Participant.status == "active")
        .order_by(func.lower(Participant.name), Participant.id)
    )
    return [
        RosterRow(participant, status, missed.get(participant.id, 0))
        for participant, status in rows
    ]


def roster_row(session: CohortSession, participant_id: int, missed: int = 0) -> RosterRow:
    row = db.session.execute(
        select(Participant, Attendance.status)
        .outerjoin(
            Attendance,
            (Attendance.participant_id == Participant.id) & (Attendance.session_id == session.id),
        )
        .where(Participant.id == participant_id)
    ).one()
    return RosterRow(row[0], row[1], missed)


# Marking -----------------------------------------------------------------------------


def _upsert(rows: list[dict]) -> None:
    """INSERT … ON CONFLICT (session_id, participant_id) DO UPDATE, in the dialect
    of the database at hand: one row per pair, the last write wins."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Attendance).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Attendance.session_id, Attendance.participant_id],
        set_={
            "status": stmt.excluded.status,
            "recorded_by_id": stmt.excluded.recorded_by_id,
            "recorded_at": stmt.excluded.recorded_at,
        },
    )
    db.session.execute(stmt)


def _on_roster(session: CohortSession, participant_id: int) -> Participant:
    participant = db.session.scalar(
        select(Participant).where(
            Participant.id == participant_id,
            Participant.cohort_id == session.cohort_id,
            Participant.status == "active",
        )
    )
    if participant is None:
        raise NotOnRoster()
    return participant


def mark(
    session: CohortSession,
    participant_id: int,
    status: str,
    *,
    by: Coordinator | None,
    now: datetime,
) -> RosterRow:
    """Mark one person present, absent or excused at ``session``. (A second absence
    in a row is reported in the coordinators' next daily digest, not at once.)"""
    if status not in STATUSES:
        raise AttendanceError("Choose present, absent or excused.")
    if session.status == "cancelled":
        raise SessionCancelled()
    participant = _on_roster(session, participant_id)
    _upsert(
        [
            {
                "session_id": session.id,
                "participant_id": participant.id,
                "status": status,
                "recorded_by_id": by.id if by else None,
                "recorded_at": now,
            }
        ]
    )
    db.session.flush()
    return roster_row(session, participant.id, len(absence_streak(participant, now)))


def mark_everyone_present(session: CohortSession, *, by: Coordinator | None, now: datetime) -> int:
    """Mark every active participant present at ``session`` (a mark made before is
    replaced); how many."""
    if session.status == "cancelled":
        raise SessionCancelled()
    ids = list(
        db.session.scalars(
            select(Participant.id).where(
                Participant.cohort_id == session.cohort_id, Participant.status == "active"
            )
        )
    )
    if ids:
        _upsert(
            [
                {
                    "session_id": session.id,
                    "participant_id": participant_id,
                    "status": PRESENT,
                    "recorded_by_id": by.id if by else None,
                    "recorded_at": now,
                }
                for participant_id in ids
            ]
        )
    db.session.flush()
    return len(ids)


# Two absences in a row ------------------------------------------------------------------


def absence_streak(participant: Participant, now: datetime) -> list[CohortSession]:
    """The sessions held so far (not cancelled, started by ``now``) that the person
    missed in a row up to the last one held, oldest first; empty when they were at
    the last one held (or it is not marked)."""
    held = db.session.scalars(
        select(CohortSession)
        .where(
            CohortSession.cohort_id == participant.cohort_id,
            CohortSession.status == "scheduled",
            CohortSession.starts_at <= now,
        )
        .order_by(CohortSession.starts_at.desc(), CohortSession.id.desc())
    ).all()
    marks = marks_of(participant.id)
    streak: list[CohortSession] = []
    for session in held:
        if marks.get(session.id) != ABSENT:
            break
        streak.append(session)
    return list(reversed(streak))


def missed_in_a_row(cohort_id: int, now: datetime) -> dict[int, int]:
    """For each participant of the cohort with a mark, how many of the sessions held
    by ``now`` they missed in a row up to the last one (as ``absence_streak``, for a
    whole roster in two queries)."""
    held = db.session.scalars(
        select(CohortSession.id)
        .where(
            CohortSession.cohort_id == cohort_id,
            CohortSession.status == "scheduled",
            CohortSession.starts_at <= now,
        )
        .order_by(CohortSession.starts_at.desc(), CohortSession.id.desc())
    ).all()
    if not held:
        return {}
    marks: dict[int, dict[int, str]] = {}
    for participant_id, session_id, status in db.session.execute(
        select(Attendance.participant_id, Attendance.session_id, Attendance.status).where(
            Attendance.session_id.in_(held)
        )
    ):
        marks.setdefault(participant_id, {})[session_id] = status
    result = {}
    for participant_id, by_session in marks.items():
        count = 0
        for session_id in held:
            if by_session.get(session_id) != ABSENT:
                break
            count += 1
        result[participant_id] = count
    return result


def marks_of(participant_id: int) -> dict[int, str]:
    """A participant's attendance: status ("present", "absent", "excused") by session id."""
    rows = db.session.execute(
        select(Attendance.session_id, Attendance.status).where(
            Attendance.participant_id == participant_id
        )
    )
    return dict(rows.all())
