"""The outbox as coordinators see it: counts, a page of messages, and the two things
they may do to a message: send a failed one again, or send a waiting one now.

Both actions are conditional UPDATEs on the message's status, so a double click, two
coordinators, or a delivery worker sending the message at the same moment change it
at most once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, true, update

from intake.auth.scope import Scope
from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.services import FORGOTTEN_RECIPIENT
from intake.pagination import Page, last_page
from intake.rows import update_guarded

PAGE_SIZE = 50

# The filter's values in the query string, the statuses each shows, and its label.
# Coordinators read "waiting", the table says "queued".
FILTERS = {
    "": (true(), "All (failed and waiting first)"),
    "failed": (OutboxMessage.status == "failed", "Failed"),
    "waiting": (OutboxMessage.status == "queued", "Waiting"),
    "sent": (OutboxMessage.status == "sent", "Sent"),
}
STATUS_LABELS = {"queued": "Waiting", "sent": "Sent", "failed": "Failed"}


class NotFailed(Exception):
    """The message is not (or no longer) failed: nothing to send again."""


class AddressNotKept(Exception):
    """The message failed, and its address was given for that one message: it was not
    kept, so there is nowhere to send it again."""


class NotWaiting(Exception):
    """The message is not (or no longer) waiting: nothing to hurry."""


@dataclass(frozen=True)
class Counts:
    waiting: int
    sent: int
    failed: int

    @property
    def all(self) -> int:
        return self.waiting + self.sent + self.failed

    def for_filter(self, status: str) -> int:
        """How many messages the status filter (a key of FILTERS) shows."""
        return {"": self.all, "failed": self.failed, "waiting": self.waiting, "sent": self.sent}[
            status
        ]


def counts(scope: Scope) -> Counts:
    """How many messages ``scope`` may read, by status (one query)."""
    by_status = {"queued": 0, "sent": 0, "failed": 0}
    by_status.update(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(scope.messages())
            .group_by(OutboxMessage.status)
        ).all()
    )
    return Counts(waiting=by_status["queued"], sent=by_status["sent"], failed=by_status["failed"])


def failed_count(scope: Scope) -> int:
    return db.session.scalars(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == "failed", scope.messages())
    ).one()


def visible_message(message_id: int, scope: Scope) -> OutboxMessage | None:
    """The message if ``scope`` may read it (see intake.auth.scope), else None."""
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id, scope.messages())
    )


def parse_status(args: Mapping[str, str]) -> tuple[str, str | None]:
    """The status filter from a query string, and a note if the value was ignored."""
    raw = (args.get("status") or "").strip()
    if raw in FILTERS:
        return raw, None
    return "", f"Ignored an unknown status: “{raw[:40]}”."


def find_page(status: str, page: int, total: int, *, scope: Scope) -> Page:
    """One page of the messages ``scope`` may read: failed first (newest first), then
    waiting (next attempt soonest first), then sent (most recently sent first). One
    query; ``total`` comes from the counts, which the page shows anyway."""
    number = min(page, last_page(total, PAGE_SIZE))
    rank = case({"failed": 0, "queued": 1}, value=OutboxMessage.status, else_=2)
    # Within a status only one of these is set, so NULL ordering never matters.
    waiting_order = case((OutboxMessage.status == "queued", OutboxMessage.next_attempt_at))
    sent_order = case((OutboxMessage.status == "sent", OutboxMessage.sent_at))
    rows = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(FILTERS[status][0], scope.messages())
            .order_by(rank, waiting_order, sent_order.desc(), OutboxMessage.id.desc())
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )
    )
    return Page(rows=rows, total=total, number=number, size=PAGE_SIZE)


def resend(message_id: int, now: datetime) -> None:
    """Put a failed message back in the queue, due now, with its attempts counted
    from zero. Its last error stays until the next attempt replaces or clears it."""
    if not update_guarded(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "failed",
            OutboxMessage.to_addr != FORGOTTEN_RECIPIENT,
        )
        .values(status="queued", attempts=0, next_attempt_at=now)
    ):
        forgotten = db.session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "failed",
                OutboxMessage.to_addr == FORGOTTEN_RECIPIENT,
            )
        )
        raise AddressNotKept(message_id) if forgotten is not None else NotFailed(message_id)


def send_now(message_id: int, now: datetime) -> None:
    """Make a waiting message due now (the worker's back-off would wait longer)."""
    if not update_guarded(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(next_attempt_at=now)
    ):
        raise NotWaiting(message_id)
