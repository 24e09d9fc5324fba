"""A pass leases its batch before it sends any of it (intake.outbox.delivery, "Leases"):
another worker leaves a leased message alone, so a message whose "sent" mark was lost
is marked by the worker that sent it, not sent again by another."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select, text

from intake import create_app
from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import SmtpTransport, deliver_due, deliver_pass, worker_name
from tests.conftest import TEST_DATABASE_URL, wait_until
from tests.outbox.support import queue

LEASE = timedelta(seconds=300)  # OUTBOX_LEASE_SECONDS


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _lease_to(message_id: int, holder: str, until) -> None:
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.__table__.c.id == message_id)
        .values(lease_holder=holder, leased_until=until)
    )
    db.session.commit()


def test_a_message_another_worker_holds_waits_for_its_lease(smtp, app, ctx, clock):
    held, _free = queue(clock, "held@example.org", "free@example.org")
    _lease_to(held, "another-worker", clock() + LEASE)

    report = deliver_due(clock())

    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == ["free@example.org"]
    # Its lease ran out (that worker stopped): now it is anyone's, and nothing is lost.
    clock.advance(seconds=LEASE.total_seconds())
    assert deliver_due(clock()).sent == 1
    assert [m["To"] for m in smtp.messages] == ["free@example.org", "held@example.org"]
    rows = _rows()
    assert [(r.status, r.lease_holder, r.leased_until) for r in rows] == [("sent", None, None)] * 2


def test_a_worker_sends_what_it_leased_itself(smtp, app, ctx, clock):
    [mine] = queue(clock, "mine@example.org")
    _lease_to(mine, worker_name(), clock() + LEASE)

    assert deliver_due(clock()).sent == 1
    assert [m["To"] for m in smtp.messages] == ["mine@example.org"]


def test_a_pass_the_mail_server_stops_gives_back_what_it_did_not_try(smtp_down, app, ctx, clock):
    first, second, third = queue(clock, "a@example.org", "b@example.org", "c@example.org")

    report = deliver_due(clock())

    assert report.stopped
    rows = _rows()
    # The first was tried: it waits out its back-off, anyone's. The other two were not
    # tried: due now, and anyone's.
    assert [(r.id, r.status, r.attempts, r.lease_holder) for r in rows] == [
        (first, "queued", 1, None),
        (second, "queued", 0, None),
        (third, "queued", 0, None),
    ]
    assert rows[0].next_attempt_at > clock()
    assert rows[1].leased_until is None
    assert rows[1].next_attempt_at == clock()


def test_a_pass_asked_to_stop_ends_after_the_message_it_is_sending(smtp, app, ctx, clock):
    queue(clock, "a@example.org", "b@example.org", "c@example.org")

    report = deliver_due(clock(), stopping=lambda: len(smtp.messages) >= 1)

    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == ["a@example.org"]
    rows = _rows()
    assert [(r.status, r.lease_holder) for r in rows] == [
        ("sent", None),
        ("queued", None),
        ("queued", None),
    ]
    # Given back: another worker's pass takes them now.
    assert deliver_due(clock()).sent == 2


def test_a_pass_ended_by_ctrl_c_keeps_the_lease_of_what_may_have_gone(
    smtp, app, ctx, clock, monkeypatch
):
    queue(clock, "a@example.org", "b@example.org", "c@example.org")
    real = SmtpTransport.send

    def interrupted_after_b(self, message, row):
        real(self, message, row)
        if row.to_addr == "b@example.org":
            raise KeyboardInterrupt

    monkeypatch.setattr(SmtpTransport, "send", interrupted_after_b)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(clock())

    rows = _rows()
    # b went out, unmarked: held for its lease, so no other worker sends it straight
    # away. c was not tried: given back.
    assert [(r.to_addr, r.status, r.lease_holder) for r in rows] == [
        ("a@example.org", "sent", None),
        ("b@example.org", "queued", worker_name()),
        ("c@example.org", "queued", None),
    ]
    assert rows[1].leased_until == clock() + LEASE


def test_a_pass_takes_no_new_message_once_half_its_lease_has_gone(
    smtp, app, ctx, clock, monkeypatch
):
    queue(clock, "a@example.org", "b@example.org", "c@example.org")
    # Half the 300 s lease has gone by once the first message is sent.
    monkeypatch.setattr(
        "intake.outbox.delivery.time",
        SimpleNamespace(monotonic=lambda: 150.0 if smtp.messages else 0.0, sleep=time.sleep),
    )

    report = deliver_due(clock())

    # The rest is given back, and the loop goes on at once, as after a full batch.
    assert (report.sent, report.full) == (1, True)
    assert [(r.status, r.lease_holder) for r in _rows()] == [
        ("sent", None),
        ("queued", None),
        ("queued", None),
    ]


def test_a_message_that_failed_for_good_holds_no_lease(smtp, app, ctx, clock):
    smtp.sink.rcpt_replies["refused@example.org"] = "550 5.1.1 <refused@example.org>: User unknown"
    queue(clock, "refused@example.org")

    assert deliver_due(clock()).failed == 1
    [row] = _rows()
    assert (row.status, row.lease_holder, row.leased_until) == ("failed", None, None)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="several workers need PostgreSQL")
@pytest.mark.parametrize("ended_by", ["pg_terminate_backend", "idle_in_transaction_timeout"])
def test_a_lost_mark_is_written_by_its_worker_and_not_sent_by_another(
    smtp, app, ctx, clock, monkeypatch, caplog, ended_by
):
    """Worker A's connection ends after the mail server took the message and before the
    mark: the row lock goes with it. (The server ends it: an operator's
    pg_terminate_backend, a restart; or idle_in_transaction_session_timeout, since the
    claim's transaction waits through the SMTP exchange, which psycopg reports as
    another kind of error.) Worker B's pass then leaves both messages alone (A's leases:
    A does not give back after the database failed it); A's next pass marks the first,
    sending it nothing, and sends the second."""
    lost, waiting = queue(clock, "lost@example.org", "next@example.org")
    db.session.remove()
    ender = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    real = SmtpTransport.send

    def send_then_lose_the_connection(self, message, row):
        real(self, message, row)
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        with ender.connect() as other:
            if ended_by == "pg_terminate_backend":
                assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            else:
                db.session.execute(text("SET idle_in_transaction_session_timeout = 20"))
            gone = text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)")
            wait_until(lambda: other.scalar(gone, {"pid": pid}), "the ended backend to go")

    monkeypatch.setattr(SmtpTransport, "send", send_then_lose_the_connection)
    try:
        assert deliver_pass(clock()) is None
    finally:
        monkeypatch.setattr(SmtpTransport, "send", real)
        ender.dispose()
    assert "sent, its mark not written" in caplog.text
    assert [m["To"] for m in smtp.messages] == ["lost@example.org"]
    db.session.remove()

    # Worker B: another process, with a name and memory of its own.
    other_worker = create_app(dict(app.config))
    with other_worker.app_context():
        assert worker_name() != app.extensions["outbox_worker_name"]
        report = deliver_pass(clock() + timedelta(seconds=1))
        db.session.remove()
        db.engine.dispose()
    assert report is not None
    assert report.attempted == 0
    assert [m["To"] for m in smtp.messages] == ["lost@example.org"]

    # A again: it marks what it sent, sending it nothing, then sends the other.
    report = deliver_pass(clock() + timedelta(seconds=2))

    assert report is not None
    assert report.sent == 2
    assert [m["To"] for m in smtp.messages] == ["lost@example.org", "next@example.org"]
    rows = _rows()
    assert [(r.id, r.status, r.attempts, r.lease_holder) for r in rows] == [
        (lost, "sent", 1, None),
        (waiting, "sent", 1, None),
    ]
    assert rows[0].sent_at == clock()
