"""The delivery worker's loop outlives a database it cannot use for a moment: an
SQLite file another process holds locked (seen under a burst of applications) costs
one pass, not the worker, and nothing queued is lost or sent twice."""

import os
import signal
import sqlite3
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.manage.tokens import mint_manage_token
from intake.models import Applicant, OutboxMessage
from intake.outbox.delivery import deliver_due, deliver_one, deliver_pass, remembers_unmarked
from intake.outbox.services import enqueue
from tests.conftest import TEST_DATABASE_URL, fresh_engine
from tests.helpers import submit_application
from tests.outbox.support import pass_locked_out_after_sending, queue
from tests.outbox.test_delivery import MANAGE_LINK

pytestmark = pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="a whole-database write lock is SQLite's"
)


@pytest.fixture
def app_config(app_config):
    # Wait a moment for the lock, not SQLite's default five seconds.
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 0.2}}
    return app_config


def queue_one(now) -> None:
    enqueue(
        template="application_received",
        to="person@example.org",
        dedup_key="test:busy",
        locale="en",
        now=now,
        context={"applicant": {"name": "Person"}, "applications": []},
    )
    db.session.commit()


def test_a_locked_database_costs_one_pass_then_the_message_goes(smtp, app, ctx, clock, caplog):
    queue_one(clock())
    db.session.remove()
    path = db.engine.url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert deliver_pass(clock()) is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "database is locked" in caplog.text
    assert smtp.messages == []

    report = deliver_pass(clock())

    assert report is not None
    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == ["person@example.org"]
    assert db.session.scalars(select(OutboxMessage.status)).all() == ["sent"]


@pytest.mark.parametrize("change", ["deleted", "failed"])
def test_a_row_changed_while_its_message_went_keeps_the_change(app, ctx, clock, caplog, change):
    # SQLite holds no row lock between the claim and the mark (PostgreSQL's claim does):
    # the mark must not bring back a row deleted meanwhile, nor overwrite a new status.
    queue_one(clock())
    message_id = db.session.scalars(select(OutboxMessage.id)).one()
    other = fresh_engine(db.engine.url)
    table = OutboxMessage.__table__
    mine = table.c.id == message_id

    class Meanwhile:
        def __init__(self):
            self.sent = []

        def send(self, message, row):
            with other.begin() as conn:
                if change == "deleted":
                    conn.execute(table.delete().where(mine))
                else:
                    conn.execute(table.update().where(mine).values(status="failed"))
            self.sent.append(message)

        def close(self):
            pass

    via = Meanwhile()
    assert deliver_one(message_id, clock(), via) == "sent"
    other.dispose()

    assert len(via.sent) == 1
    assert "changed while it was sent: not marked" in caplog.text
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ([] if change == "deleted" else ["failed"])


@pytest.mark.parametrize(
    "lock",
    [
        # Another request writing: the mark's UPDATE cannot start.
        "BEGIN IMMEDIATE",
        # Another request reading (a long export, say): the UPDATE starts, the commit
        # that writes it and the link's row cannot finish.
        "BEGIN; SELECT count(*) FROM outbox_messages",
    ],
)
def test_a_message_whose_mark_was_locked_out_is_marked_not_sent_again(
    smtp, app, client, ctx, clock, caplog, monkeypatch, lock
):
    """The server took the message, then the database stayed locked past the timeout:
    the next pass writes the mark, with the manage link's row, and sends nothing."""
    submit_application(client)
    pass_locked_out_after_sending(monkeypatch, clock(), *lock.split("; "))
    assert "sent, its mark not written" in caplog.text
    # Meanwhile another link is made: it may take the id the lost one had been given.
    mint_manage_token(db.session.scalars(select(Applicant.id)).one(), clock())
    db.session.commit()

    report = deliver_pass(clock() + timedelta(minutes=1))

    assert report is not None
    assert (report.sent, report.attempted) == (1, 1)
    assert len(smtp.messages) == 1
    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock())
    # The link in the e-mail the person has opens their page.
    [token] = MANAGE_LINK.findall(smtp.messages[0].get_body(("plain",)).get_content())
    page = client.get(f"/manage/{token}")
    assert page.status_code == 200
    assert "Rosa Example" in page.get_data(as_text=True)


def test_a_lost_mark_is_not_taken_for_another_message_with_its_id(
    smtp, app, ctx, clock, monkeypatch
):
    """SQLite gives a deleted row's id again: a message queued under the id of one whose
    mark was lost (deleted meanwhile, as "delete my data" does) is still sent."""
    queue_one(clock())
    pass_locked_out_after_sending(monkeypatch, clock(), "BEGIN IMMEDIATE")
    lost = db.session.scalars(select(OutboxMessage)).one()
    lost_id = lost.id
    db.session.delete(lost)
    db.session.commit()
    assert queue(clock, "someone.else@example.org") == [lost_id]

    assert deliver_pass(clock()).sent == 1
    assert [m["To"] for m in smtp.messages] == ["person@example.org", "someone.else@example.org"]


def _queue_older(clock, address: str) -> int:
    """A message due before everything queued so far."""
    [message_id] = queue(clock, address)
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.__table__.c.id == message_id)
        .values(next_attempt_at=clock() - timedelta(hours=1))
    )
    db.session.commit()
    return message_id


def _by_address() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {row.to_addr: row for row in db.session.scalars(select(OutboxMessage))}


def test_a_remembered_message_is_marked_before_the_mail_server_is_needed(
    smtp, app, ctx, clock, monkeypatch
):
    """The pass after a lost mark meets a mail server that is down, at a message due
    before the remembered one: the remembered one is marked first (its mark needs no
    server), and its lease is never given back for another worker to send it again."""
    queue_one(clock())
    pass_locked_out_after_sending(monkeypatch, clock(), "BEGIN IMMEDIATE")
    older = _queue_older(clock, "older@example.org")
    smtp.stop()

    report = deliver_pass(clock() + timedelta(minutes=1))

    assert report is not None
    assert (report.sent, report.retried, report.stopped) == (1, 1, True)
    assert [m["To"] for m in smtp.messages] == ["person@example.org"]
    rows = _by_address()
    assert (rows["person@example.org"].status, rows["person@example.org"].lease_holder) == (
        "sent",
        None,
    )
    assert (rows["older@example.org"].id, rows["older@example.org"].attempts) == (older, 1)


def test_a_remembered_message_is_marked_however_small_the_batch(
    smtp, app_config, request, clock, monkeypatch
):
    """Its lease is renewed whatever is due before it: a batch of one after a lost mark
    still takes the remembered message (and the one due first after it)."""
    app_config["OUTBOX_BATCH_SIZE"] = 1
    request.getfixturevalue("ctx")
    queue_one(clock())
    pass_locked_out_after_sending(monkeypatch, clock(), "BEGIN IMMEDIATE")
    _queue_older(clock, "older@example.org")

    report = deliver_pass(clock() + timedelta(minutes=1))

    assert report is not None
    assert report.sent == 2
    assert [m["To"] for m in smtp.messages] == ["person@example.org", "older@example.org"]
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage.status)).all() == ["sent", "sent"]


def test_a_pass_asked_to_stop_still_writes_the_marks_it_owes(smtp, app, ctx, clock, monkeypatch):
    queue_one(clock())
    pass_locked_out_after_sending(monkeypatch, clock(), "BEGIN IMMEDIATE")
    queue(clock, "next@example.org")

    report = deliver_due(clock() + timedelta(minutes=1), stopping=lambda: True)

    # The mark needs no mail server: written. The next message waits for a worker.
    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == ["person@example.org"]
    rows = _by_address()
    assert (rows["person@example.org"].status, rows["person@example.org"].lease_holder) == (
        "sent",
        None,
    )
    assert (rows["next@example.org"].status, rows["next@example.org"].lease_holder) == (
        "queued",
        None,
    )


def test_sigterm_while_a_mark_is_owed_writes_it_before_the_worker_exits(
    smtp, app, ctx, runner, clock, monkeypatch
):
    """The database is locked through the loop's first pass, so the mark the worker owes
    is not written; it rests only --interval (the mark must go within its lease), and a
    SIGTERM then comes with the database free again: one last pass writes the mark."""
    queue_one(clock())
    pass_locked_out_after_sending(monkeypatch, clock(), "BEGIN IMMEDIATE")
    assert remembers_unmarked()
    locker = sqlite3.connect(db.engine.url.database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    slept = []

    def sleep_then_sigterm(seconds):
        slept.append(seconds)
        locker.execute("ROLLBACK")
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(
        "intake.outbox.delivery.time",
        SimpleNamespace(sleep=sleep_then_sigterm, monotonic=time.monotonic),
    )
    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)  # never the test run's end
    try:
        result = runner.invoke(args=["outbox", "deliver", "--loop"])
    finally:
        signal.signal(signal.SIGTERM, before)
        locker.close()

    assert result.exit_code == 0, result.output
    assert "stopped (SIGTERM)" in result.output
    assert slept == [1]  # OUTBOX_POLL_SECONDS, not OUTBOX_DOWN_SECONDS' 30
    assert [m["To"] for m in smtp.messages] == ["person@example.org"]
    db.session.expire_all()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts, row.lease_holder) == ("sent", 1, None)
