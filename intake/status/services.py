"""Status changes. Every change goes through here and leaves an event."""

from datetime import datetime

from sqlalchemy import update

from intake.extensions import db
from intake.models import Application, StatusEvent
from intake.rows import update_guarded
from intake.status.states import WAITLISTED, TransitionNotAllowed, check_transition


class ReasonRequired(ValueError):
    """A change that needs a reason for the record got none: a coordinator's decision
    or change on an application, an offer out of queue order, taking an offer back."""


def require_reason(reason: str | None, message: str) -> str:
    """``reason`` without surrounding space; ReasonRequired(``message``) when nothing
    is left."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(message)
    return reason


def move(
    application: Application,
    target: str,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> StatusEvent:
    """Move an application to ``target`` if the state machine allows it.

    Raises TransitionNotAllowed otherwise. Joining the waitlist stamps ``joined_at``
    (the first time only: a person who comes back keeps their place).
    """
    current = application.status or None
    check_transition(current, target)
    application.status = target
    application.updated_at = now
    if target == WAITLISTED and application.joined_at is None:
        application.joined_at = now
    event = StatusEvent(
        application=application,
        from_status=current,
        to_status=target,
        actor=actor,
        reason=reason,
        created_at=now,
    )
    db.session.add(event)
    return event


def claim(application: Application, expected: str, target: str, now: datetime) -> None:
    """Take ``application`` for one change if it is still in ``expected`` status.

    The database decides, with a conditional UPDATE: of two coordinators acting on
    the same application at once, the second waits for the first to commit and then
    matches no row. Raises TransitionNotAllowed (with the status found) otherwise.
    """
    if application.status == expected:
        if update_guarded(
            update(Application)
            .where(Application.id == application.id, Application.status == expected)
            .values(updated_at=now)
        ):
            return
        db.session.refresh(application)
    raise TransitionNotAllowed(application.status, target)
