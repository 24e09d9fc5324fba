"""What the outbox's tests share."""

from __future__ import annotations

import sqlite3

from intake.extensions import db
from intake.outbox.delivery import SmtpTransport, deliver_pass
from intake.outbox.services import enqueue


def queue(clock, *addresses: str, forget_recipient: bool = False) -> list[int]:
    ids = []
    for n, address in enumerate(addresses):
        row = enqueue(
            template="application_received",
            to=address,
            dedup_key=f"test:{n}:{address}",
            locale="en",
            now=clock(),
            forget_recipient=forget_recipient,
            context={"applicant": {"name": f"Person {n}"}, "applications": []},
        )
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids


def pass_locked_out_after_sending(monkeypatch, now, *statements: str) -> None:
    """A pass (SQLite) whose first message the server takes, after which another
    connection runs ``statements`` ("BEGIN IMMEDIATE": a write; "BEGIN" and a SELECT: a
    read) and holds that lock until the pass has failed to mark it."""
    db.session.remove()
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    real = SmtpTransport.send

    def send_then_lock(self, message, row):
        real(self, message, row)
        for statement in statements:
            other.execute(statement)

    monkeypatch.setattr(SmtpTransport, "send", send_then_lock)
    try:
        assert deliver_pass(now) is None
    finally:
        other.execute("ROLLBACK")
        other.close()
        monkeypatch.setattr(SmtpTransport, "send", real)
