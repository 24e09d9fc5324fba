"""One application's history: status changes, seat offers, audit events, notes and
e-mails, merged in time order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake.auth.scope import Scope
from intake.extensions import db
from intake.models import Application, AuditEvent, Note, Offer, OutboxMessage, StatusEvent

STATUS, OFFER, AUDIT, NOTE, EMAIL = "status", "offer", "audit", "note", "email"
# Within the same instant: the change first, then what it caused and what was said.
_KIND_ORDER = {STATUS: 0, OFFER: 1, AUDIT: 2, EMAIL: 3, NOTE: 4}


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    at: datetime
    item: Any

    @property
    def sort_key(self) -> tuple:
        return (self.at, _KIND_ORDER[self.kind], self.item.id)


def merge(
    status_events: Iterable[StatusEvent],
    audit_events: Iterable[AuditEvent],
    notes: Iterable[Note],
    messages: Iterable[OutboxMessage],
    offers: Iterable[Offer] = (),
) -> list[TimelineItem]:
    """Everything in time order. An offer stands where it was made and says what
    became of it (its answer or expiry), as its status events do too."""
    items = [
        *(TimelineItem(STATUS, e.created_at, e) for e in status_events),
        *(TimelineItem(OFFER, o.created_at, o) for o in offers),
        *(TimelineItem(AUDIT, e.created_at, e) for e in audit_events),
        *(TimelineItem(NOTE, n.created_at, n) for n in notes),
        *(TimelineItem(EMAIL, m.created_at, m) for m in messages),
    ]
    return sorted(items, key=lambda i: i.sort_key)


def timeline(application: Application, *, scope: Scope) -> list[TimelineItem]:
    """Five queries, whatever the length of the history. E-mails only as ``scope``
    may read them (see intake.auth.scope: a message to a person who also applied to
    a program outside it may speak of that program)."""
    status_events = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == application.id)
        .options(joinedload(StatusEvent.actor_user))
    )
    audit_events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.application_id == application.id)
        .options(joinedload(AuditEvent.actor))
    )
    notes = db.session.scalars(
        select(Note).where(Note.application_id == application.id).options(joinedload(Note.author))
    )
    # E-mails go to the person, and one "received" e-mail may cover several of their
    # applications: show every message to this applicant.
    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.applicant_id == application.applicant_id, scope.messages()
        )
    )
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.application_id == application.id)
        .options(joinedload(Offer.cohort))
    )
    return merge(status_events, audit_events, notes, messages, offers)
