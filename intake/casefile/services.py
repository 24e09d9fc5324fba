"""Changes a coordinator makes on the application page: notes, priority,
withdrawal, the resolution of a duplicate flag and overrides. Each leaves a record
with who, when and why; functions flush and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from intake.eligibility.rules import PASS, Decision
from intake.extensions import db
from intake.models import Application, AuditEvent, Coordinator, Note, StatusEvent
from intake.offers import services as offers
from intake.outbox.services import email_applicant
from intake.review.services import queue_approved_email
from intake.rows import update_guarded
from intake.status.services import claim, move, require_reason
from intake.status.states import (
    ELIGIBLE,
    INELIGIBLE,
    OPEN_STATUSES,
    WAITLISTED,
    WITHDRAWN,
    TransitionNotAllowed,
    can_transition,
)

KEEP_BOTH = "keep_both"
MERGED = "merged"
RESOLUTIONS = (KEEP_BOTH, MERGED)


class NotOpen(Exception):
    """The application is closed (withdrawn, ineligible, completed…): its place in the
    queue no longer means anything."""

    def __init__(self, status: str):
        super().__init__(f"the application is {status}")
        self.status = status


class AlreadyResolved(Exception):
    """The duplicate flag was resolved before (perhaps a moment ago, by someone else)."""

    def __init__(self, resolution: str | None):
        super().__init__(f"already resolved: {resolution}")
        self.resolution = resolution


class NoDuplicateFlag(Exception):
    """The application is not flagged as a possible duplicate."""


def _reason(reason: str | None) -> str:
    return require_reason(reason, "this change needs a reason")


def add_note(application: Application, *, author: Coordinator, body: str, now: datetime) -> Note:
    body = body.strip()
    if not body:
        raise ValueError("an empty note")
    note = Note(application_id=application.id, author_id=author.id, body=body, created_at=now)
    db.session.add(note)
    db.session.flush()
    return note


def change_priority(
    application: Application,
    *,
    actor: Coordinator,
    priority: int,
    reason: str,
    now: datetime,
) -> AuditEvent:
    """Set an open application's priority; the old and new values and the reason go
    into the timeline (AuditEvent kind "priority")."""
    reason = _reason(reason)
    if application.status not in OPEN_STATUSES:
        raise NotOpen(application.status)
    if priority == application.priority:
        raise ValueError("the priority is already that")
    event = AuditEvent(
        application_id=application.id,
        actor_id=actor.id,
        kind="priority",
        detail={"from": application.priority, "to": priority},
        reason=reason,
        created_at=now,
    )
    application.priority = priority
    application.updated_at = now
    db.session.add(event)
    db.session.flush()
    return event


def withdraw(
    application: Application,
    *,
    actor: Coordinator,
    reason: str,
    now: datetime,
    merged: bool = False,
) -> StatusEvent:
    """Withdraw an open application for the applicant and tell them by e-mail. An
    offered application's open offer is taken back first, so its seats free (and the
    program's coordinators are told).

    Raises TransitionNotAllowed when the status no longer allows it (closed, or
    changed by someone else a moment ago).
    """
    reason = _reason(reason)
    try:
        event, _ = offers.withdraw_application(application, actor=actor, reason=reason, now=now)
    except offers.OfferClosed as exc:
        # The person answered the offer a moment ago, so their status changed: refuse
        # rather than guess.
        db.session.refresh(application)
        raise TransitionNotAllowed(application.status, WITHDRAWN) from exc
    email_applicant(
        application,
        template="withdrawn_by_coordinator",
        dedup_key=f"withdrawn-by-coordinator:{application.id}",
        now=now,
        merged=merged,
    )
    db.session.flush()
    return event


def resolve_duplicate(
    application: Application,
    *,
    actor: Coordinator,
    resolution: str,
    reason: str,
    now: datetime,
) -> AuditEvent:
    """Resolve the possible-duplicate flag, once: keep both applications, or merge
    (withdraw this one, the other keeps its place).

    The database decides "once": a conditional UPDATE on an unresolved flag, so a
    second attempt (a double click, or another coordinator) raises AlreadyResolved.
    """
    reason = _reason(reason)
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}")
    if application.duplicate_of_id is None:
        raise NoDuplicateFlag()
    if application.duplicate_resolution is not None:
        raise AlreadyResolved(application.duplicate_resolution)
    if resolution == MERGED and not can_transition(application.status, WITHDRAWN):
        raise TransitionNotAllowed(application.status, WITHDRAWN)
    if not update_guarded(
        update(Application)
        .where(Application.id == application.id, Application.duplicate_resolution.is_(None))
        .values(duplicate_resolution=resolution, duplicate_resolved_at=now)
    ):
        db.session.refresh(application)
        raise AlreadyResolved(application.duplicate_resolution)
    db.session.refresh(application, ["duplicate_resolution", "duplicate_resolved_at"])
    other = application.duplicate_of
    event = AuditEvent(
        application_id=application.id,
        actor_id=actor.id,
        kind="duplicate",
        detail={
            "resolution": resolution,
            "flag": application.duplicate_reason,
            "other_id": other.id if other else application.duplicate_of_id,
            "other_reference": other.reference if other else None,
        },
        reason=reason,
        created_at=now,
    )
    db.session.add(event)
    if resolution == MERGED:
        withdraw(application, actor=actor, reason=reason, now=now, merged=True)
    db.session.flush()
    return event


def override(
    application: Application,
    *,
    actor: Coordinator,
    reason: str,
    now: datetime,
    priority: int | None = None,
) -> AuditEvent:
    """Approve an ineligible application anyway (a rule failed it, or a coordinator
    declined it in review): eligible, then onto the waitlist, with the reason on both
    status events and an AuditEvent kind "override" naming the rules that said no.
    The person gets the "you are on the waitlist" e-mail, once.

    They join the line now, at its back (``joined_at`` is stamped by ``move``), at
    the usual priority unless ``priority`` is given (recorded as a priority change
    with the same reason). Raises TransitionNotAllowed when the application is no
    longer ineligible (another coordinator overrode it a moment ago: the database
    decides, through ``claim``).
    """
    reason = _reason(reason)
    claim(application, INELIGIBLE, ELIGIBLE, now)
    decision = Decision.from_dict(application.decision)
    event = AuditEvent(
        application_id=application.id,
        actor_id=actor.id,
        kind="override",
        detail={
            "rules": [r.key for r in decision.results if r.outcome != PASS],
            "from": INELIGIBLE,
        },
        reason=reason,
        created_at=now,
    )
    db.session.add(event)
    for target in (ELIGIBLE, WAITLISTED):
        move(application, target, actor="coordinator", now=now, reason=reason).actor_id = actor.id
    if priority is not None and priority != application.priority:
        change_priority(application, actor=actor, priority=priority, reason=reason, now=now)
    queue_approved_email(application, dedup_key=f"override:{application.id}", now=now)
    db.session.flush()
    return event
