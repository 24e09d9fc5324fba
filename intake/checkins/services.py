"""Check-ins: "are you still interested?" for people who have waited a long time.

A waitlisted application whose last confirmation (``confirmed_at``, or ``joined_at``
if the person never confirmed) is older than its program's check-in interval gets a
check-in e-mail; ``checkin_sent_at`` marks the question as pending. No answer within
the program's window → ``inactive``, with an e-mail whose link brings the person back
with their place (``joined_at`` never changes).

Every change is a conditional UPDATE whose row count is checked, and every e-mail
has a deduplication key, so two ticks running at once (two machines) ask once and
pause once. Functions take ``now``, flush and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from intake.extensions import db
from intake.links import ActionLink
from intake.models import Application, Program
from intake.outbox.services import email_applicant
from intake.rows import update_guarded
from intake.status import states
from intake.status.services import claim, move

# How long the link in the "your place is paused" e-mail brings a person back.
REACTIVATE_LINK_DAYS = 365


class NothingPending(Exception):
    """No check-in is waiting for an answer (answered already, or never asked)."""


def _asked_at(application: Application) -> datetime:
    """When the pending check-in was sent; NothingPending if none is."""
    if application.checkin_sent_at is None:
        raise NothingPending(application.id)
    return application.checkin_sent_at


def checkin_expires_at(application: Application) -> datetime:
    """When the pending check-in's window closes: its links stop working then, and
    the next tick pauses the application."""
    return _asked_at(application) + timedelta(days=application.program.checkin_window_days)


def _programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.id)))


def send_due(now: datetime) -> int:
    """Ask every waitlisted person whose last confirmation is older than their
    program's check-in interval, and who has no check-in pending. Returns how many
    were asked by this call."""
    sent = 0
    for program in _programs():
        cutoff = now - timedelta(days=program.checkin_interval_days)
        due = db.session.scalars(
            select(Application)
            .where(
                Application.program_id == program.id,
                Application.status == states.WAITLISTED,
                Application.checkin_sent_at.is_(None),
                func.coalesce(Application.confirmed_at, Application.joined_at) <= cutoff,
            )
            .order_by(Application.id)
        ).all()
        for application in due:
            # Of two ticks at once, one matches the row; the other finds it taken.
            if not update_guarded(
                update(Application)
                .where(
                    Application.id == application.id,
                    Application.status == states.WAITLISTED,
                    Application.checkin_sent_at.is_(None),
                )
                .values(checkin_sent_at=now)
            ):
                continue
            db.session.refresh(application)
            _send_checkin(application, now)
            sent += 1
    return sent


def _send_checkin(application: Application, now: datetime) -> None:
    expires_at = checkin_expires_at(application)
    _email(
        application,
        "checkin",
        dedup_key=f"checkin:{application.id}:{_asked_at(application).date().isoformat()}",
        now=now,
        links={
            "yes_url": ActionLink("checkin_yes", expires_at),
            "leave_url": ActionLink("checkin_leave", expires_at),
        },
        respond_by=expires_at,
    )


def inactivate_due(now: datetime) -> int:
    """Pause every waitlisted application whose check-in went unanswered for the
    program's window, and tell the person how to come back."""
    paused = 0
    for program in _programs():
        cutoff = now - timedelta(days=program.checkin_window_days)
        due = db.session.scalars(
            select(Application)
            .where(
                Application.program_id == program.id,
                Application.status == states.WAITLISTED,
                Application.checkin_sent_at <= cutoff,
            )
            .order_by(Application.id)
        ).all()
        for application in due:
            # Taken only if still unanswered: an answer a moment ago wins.
            if not update_guarded(
                update(Application)
                .where(
                    Application.id == application.id,
                    Application.status == states.WAITLISTED,
                    Application.checkin_sent_at <= cutoff,
                )
                .values(updated_at=now)
            ):
                continue
            db.session.refresh(application)
            asked = _asked_at(application)
            move(
                application,
                states.INACTIVE,
                actor="system",
                now=now,
                reason="No answer to the check-in e-mail.",
            )
            until = now + timedelta(days=REACTIVATE_LINK_DAYS)
            _email(
                application,
                "marked_inactive",
                dedup_key=f"marked_inactive:{application.id}:{asked.isoformat()}",
                now=now,
                links={"reactivate_url": ActionLink("reactivate", until)},
                reactivate_until=until,
            )
            paused += 1
    db.session.flush()
    return paused


# Answers from the response pages --------------------------------------------------------


def confirm(application: Application, now: datetime) -> None:
    """ "Yes, I am still interested": the pending check-in is answered and the clock
    for the next one starts now. Raises NothingPending if there is none."""
    changed = update_guarded(
        update(Application)
        .where(
            Application.id == application.id,
            Application.status == states.WAITLISTED,
            Application.checkin_sent_at.is_not(None),
        )
        .values(confirmed_at=now, checkin_sent_at=None, updated_at=now)
    )
    db.session.refresh(application)
    if not changed:
        raise NothingPending(application.id)


def can_leave(application: Application) -> bool:
    """A check-in's "leave the list" acts while the person waits (or is paused);
    someone holding an offer answers the offer instead."""
    return application.status in (states.WAITLISTED, states.INACTIVE)


def leave(application: Application, now: datetime) -> None:
    """The person leaves the list; they get a confirmation e-mail. Raises
    TransitionNotAllowed if they are not waiting any more."""
    current = application.status
    if not can_leave(application):
        raise states.TransitionNotAllowed(current, states.WITHDRAWN)
    claim(application, current, states.WITHDRAWN, now)
    move(
        application,
        states.WITHDRAWN,
        actor="applicant",
        now=now,
        reason="Left the list from the check-in e-mail.",
    )
    application.checkin_sent_at = None
    _email(application, "withdrawn", dedup_key=f"withdrawn:{application.id}", now=now)
    db.session.flush()


def reactivate(application: Application, now: datetime) -> None:
    """Back from inactive to the waitlist, in the same place (``joined_at`` is kept).
    Raises TransitionNotAllowed unless the application is inactive."""
    claim(application, states.INACTIVE, states.WAITLISTED, now)
    move(
        application,
        states.WAITLISTED,
        actor="applicant",
        now=now,
        reason="Came back from the link in the e-mail, keeping their place.",
    )
    application.confirmed_at = now
    application.checkin_sent_at = None
    db.session.flush()


def _email(
    application: Application,
    template: str,
    *,
    dedup_key: str,
    now: datetime,
    links: dict[str, ActionLink] | None = None,
    **extra,
):
    email_applicant(
        application,
        template=template,
        dedup_key=dedup_key,
        now=now,
        links=links,
        program=application.program,
        **extra,
    )
