"""Splitting an agency's request across groups.

An offer is for an application's whole request, and a group holds at most
GROUP_SEATS_MAX people, so an agency asking for 30 seats could never be offered any.
A coordinator splits it into parts ("12, 12, 6"): the original keeps the first part,
and each other part becomes its own application, with the same applicant, program,
priority and time joined (so it keeps the original's place in line), its own
reference, and ``split_from_id`` pointing at the original (always the first one, so
an agency is counted once however often it is split). Each part then goes through
the offer machinery unchanged: offered whole, in one group, staff named per part.

The database decides who splits: one conditional UPDATE of the original's
``seats_requested`` from the number the coordinator saw, while it is waitlisted. A
second coordinator with the same page, or an offer made a moment before, matches no
row. Functions flush and never commit.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update

from intake.extensions import db
from intake.models import Application, AuditEvent, Coordinator, StatusEvent
from intake.outbox.services import email_applicant
from intake.programs.seats import GROUP_SEATS_MAX
from intake.references import new_reference
from intake.rows import update_guarded
from intake.status.services import require_reason
from intake.status.states import WAITLISTED

SPLIT = "split"
_SEPARATORS = re.compile(r"[\s,;+]+")


class InvalidParts(ValueError):
    """The parts typed cannot split this request; the message says why."""


class NotSplittable(Exception):
    """This application's request cannot be split now (not an agency's, not waiting,
    a single seat, or an open duplicate flag); the message says why."""


class ChangedMeanwhile(Exception):
    """The request changed since the page was shown (split by someone else, offered
    a seat, withdrawn…): nothing was changed."""

    def __init__(self, application: Application):
        super().__init__(f"application {application.id} changed")
        self.application = application


def why_not(application: Application) -> str | None:
    """Why the request cannot be split now, or None when it can."""
    if application.applicant.kind != "agency":
        return "Only an agency's request for several seats can be split."
    if application.status != WAITLISTED:
        return "Only a request waiting on the waitlist can be split."
    if application.seats_requested < 2:
        return "A request for one seat cannot be split."
    if application.duplicate_of_id is not None and application.duplicate_resolution is None:
        return "Resolve the possible-duplicate flag first."
    return None


def parse_parts(text: str | None, total: int) -> list[int]:
    """The parts typed ("12, 12, 6"), checked: whole numbers, each from 1 to one
    group's most, at least two, adding up to ``total``."""
    words = [word for word in _SEPARATORS.split(text or "") if word]
    if not words:
        raise InvalidParts("Enter the parts, like 12, 12, 6.")
    if not all(word.isascii() and word.isdigit() for word in words):
        raise InvalidParts("Enter the parts as whole numbers separated by commas, like 12, 12, 6.")
    # Digits only: a huge number is refused by its length before it is a number.
    if any(len(word) > 3 or not 1 <= int(word) <= GROUP_SEATS_MAX for word in words):
        raise InvalidParts(
            f"Each part is between 1 and {GROUP_SEATS_MAX} seats: "
            f"a group holds at most {GROUP_SEATS_MAX} people."
        )
    parts = [int(word) for word in words]
    if len(parts) < 2:
        raise InvalidParts("Split the request into at least two parts.")
    if sum(parts) != total:
        raise InvalidParts(
            f"The parts add up to {sum(parts)} seats; they must add up to the "
            f"{total} seats requested."
        )
    return parts


def _unused_reference() -> str:
    while True:
        reference = new_reference()
        taken = db.session.scalar(select(Application.id).where(Application.reference == reference))
        if taken is None:
            return reference


def split_request(
    application: Application,
    *,
    actor: Coordinator,
    parts: list[int],
    seen_seats: int,
    reason: str,
    now: datetime,
) -> list[Application]:
    """Split a waiting agency request of ``seen_seats`` seats into ``parts`` (in order;
    the original keeps the first). Returns every part, the original first.

    Leaves an AuditEvent (kind "split", the parts' references and seats) and a
    timeline entry on every part, and e-mails the agency's leader. Raises
    ReasonRequired without a reason, NotSplittable, InvalidParts, and
    ChangedMeanwhile when the request is no longer ``seen_seats`` seats waiting.
    """
    reason = require_reason(reason, "a split needs a reason")
    problem = why_not(application)
    if problem is not None:
        raise NotSplittable(problem)
    if len(parts) < 2 or sum(parts) != seen_seats or not all(
        1 <= part <= GROUP_SEATS_MAX for part in parts
    ):
        raise InvalidParts("the parts do not split the request")
    if not update_guarded(
        update(Application)
        .where(
            Application.id == application.id,
            Application.status == WAITLISTED,
            Application.seats_requested == seen_seats,
        )
        .values(seats_requested=parts[0], updated_at=now)
    ):
        db.session.refresh(application)
        raise ChangedMeanwhile(application)
    db.session.refresh(application)

    root_id = application.split_from_id or application.id
    created = [
        Application(
            applicant_id=application.applicant_id,
            program_id=application.program_id,
            reference=_unused_reference(),
            status=WAITLISTED,
            decision=dict(application.decision),
            priority=application.priority,
            seats_requested=seats,
            window_id=application.window_id,
            split_from_id=root_id,
            joined_at=application.joined_at,
            confirmed_at=application.confirmed_at,
            checkin_sent_at=application.checkin_sent_at,
            # When the agency sent it: reports count the request in the period it came.
            created_at=application.created_at,
            updated_at=now,
        )
        for seats in parts[1:]
    ]
    db.session.add_all(created)
    db.session.flush()
    everyone = [application, *created]
    detail = {
        "from_reference": application.reference,
        "seats": seen_seats,
        "parts": [{"reference": a.reference, "seats": a.seats_requested} for a in everyone],
    }
    for part in everyone:
        db.session.add(
            AuditEvent(
                application_id=part.id,
                actor_id=actor.id,
                kind=SPLIT,
                detail=detail,
                reason=reason,
                created_at=now,
            )
        )
    for part in created:
        # How the part came onto the waitlist: its own first status event.
        db.session.add(
            StatusEvent(
                application_id=part.id,
                from_status=None,
                to_status=WAITLISTED,
                actor="coordinator",
                actor_id=actor.id,
                reason=f"Split from {application.reference}: {reason}",
                created_at=now,
            )
        )
    db.session.flush()
    email_applicant(
        application,
        template="seats_split",
        dedup_key=f"split:{application.id}:{seen_seats}",
        now=now,
        parts=everyone,
        seats=seen_seats,
    )
    return everyone
