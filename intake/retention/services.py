"""Retention: anonymise applicants whose applications all ended long ago.

An applicant is purged when every one of their applications is in a status that has
ended (``PURGED_STATUSES``) and has not changed status for ``days`` days. One open
application (waiting, offered, enrolled, paused, in review, …) or one recent change
keeps the whole person: their other applications share their details.

Purging reuses the manage page's "delete my data" (intake.manage.services), so the
two can never disagree about what anonymised means: the applications stay with their
program, status, dates, seats, rule decisions and status changes, which is all the
reports read, and everything about the person goes, manage links and e-mail bodies
and addresses included. Self-identification answers are deleted first, in their own
step, so they are gone even if anonymising stops half way.

Functions flush and never commit; the command commits after each step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.manage.services import DELETED_DOMAIN, delete_personal_data
from intake.models import (
    Applicant,
    Application,
    OpeningNotice,
    Program,
    SelfIdentification,
    StatusEvent,
)
from intake.rows import rows_changed
from intake.status import states
from intake.status.services import claim, move

# Statuses where an application has ended. Declined and expired offers could still go
# back to the waitlist, but one untouched for the whole retention period will not:
# they are closed first (a "closed" status change by the system), so anonymising does
# not withdraw them and the reports' withdrawal counts stay as they were.
PURGED_STATUSES = (
    states.CLOSED,
    states.WITHDRAWN,
    states.DECLINED,
    states.EXPIRED,
    states.INELIGIBLE,
    states.COMPLETED,
)
CLOSED_FIRST = (states.DECLINED, states.EXPIRED)
RETENTION_REASON = "Retention period ended"
# Rows per statement, well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500


@dataclass
class Plan:
    """Who a purge would anonymise, and what that is in the reports' terms."""

    cutoff: datetime
    applicant_ids: list[int] = field(default_factory=list)
    # (program name, status) -> applications
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def applications(self) -> int:
        return sum(self.counts.values())


def _last_change():
    """Each application's last status change (its newest status event)."""
    return (
        select(
            StatusEvent.application_id.label("application_id"),
            func.max(StatusEvent.created_at).label("at"),
        )
        .group_by(StatusEvent.application_id)
        .subquery()
    )


def _due_applicants(cutoff: datetime):
    """Applicants not anonymised yet, with at least one application, none of which is
    open or changed status on or after ``cutoff``."""
    last = _last_change()
    changed_at = func.coalesce(last.c.at, Application.updated_at)
    kept = (
        select(Application.id)
        .outerjoin(last, last.c.application_id == Application.id)
        .where(
            Application.applicant_id == Applicant.id,
            or_(Application.status.not_in(PURGED_STATUSES), changed_at >= cutoff),
        )
    )
    has_any = select(Application.id).where(Application.applicant_id == Applicant.id)
    return select(Applicant.id).where(
        ~Applicant.email_key.like(f"%@{DELETED_DOMAIN}"),
        has_any.exists(),
        ~kept.exists(),
    )


def plan(now: datetime, days: int) -> Plan:
    """What a purge at ``now`` with a retention of ``days`` would anonymise. Changes
    nothing. Two queries."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = now - timedelta(days=days)
    due = _due_applicants(cutoff)
    result = Plan(cutoff=cutoff, applicant_ids=list(db.session.scalars(due.order_by(Applicant.id))))
    counts = db.session.execute(
        select(Program.name, Application.status, func.count(Application.id))
        .join(Program, Program.id == Application.program_id)
        .where(Application.applicant_id.in_(due.scalar_subquery()))
        .group_by(Program.name, Application.status)
        .order_by(Program.name, Application.status)
    )
    result.counts = {(name, status): count for name, status, count in counts}
    return result


def _batches(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def drop_self_identification(applicant_ids: Sequence[int]) -> int:
    """Delete the self-identification answers of these applicants; returns how many
    rows went."""
    removed = 0
    for batch in _batches(applicant_ids):
        removed += rows_changed(
            delete(SelfIdentification).where(SelfIdentification.applicant_id.in_(batch))
        )
    db.session.flush()
    return removed


@dataclass
class Purged:
    applicants: int = 0
    # Applicants left alone because an application changed status meanwhile.
    skipped: int = 0


def anonymise(applicant_ids: Sequence[int], now: datetime, cutoff: datetime) -> Purged:
    """Anonymise each applicant as "delete my data" does, closing their declined and
    expired applications first. Each applicant in a savepoint: one whose application
    changed status since the plan was made (a coordinator put a declined one back on
    the waitlist a moment ago) is left as it is, and the rest go on."""
    done = Purged()
    for batch in _batches(applicant_ids):
        applicants = db.session.scalars(
            select(Applicant)
            .where(Applicant.id.in_(batch))
            .options(selectinload(Applicant.applications).selectinload(Application.program))
            .order_by(Applicant.id)
        ).all()
        still_due = set(db.session.scalars(_due_applicants(cutoff).where(Applicant.id.in_(batch))))
        for applicant in applicants:
            if applicant.id not in still_due:
                done.skipped += 1
                continue
            try:
                with db.session.begin_nested():
                    for application in applicant.applications:
                        if application.status in CLOSED_FIRST:
                            claim(application, application.status, states.CLOSED, now)
                            move(
                                application,
                                states.CLOSED,
                                actor="system",
                                now=now,
                                reason=RETENTION_REASON,
                            )
                    delete_personal_data(applicant, now)
            except states.TransitionNotAllowed:
                done.skipped += 1
                continue
            done.applicants += 1
    db.session.flush()
    return done


def forget_opening_notices(cutoff: datetime) -> int:
    """Delete "e-mail me when it opens" addresses left before ``cutoff``: a program that
    never opened again (or stopped using windows) would otherwise keep them forever."""
    return rows_changed(delete(OpeningNotice).where(OpeningNotice.created_at < cutoff))
