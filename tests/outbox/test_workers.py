"""Several delivery workers at once on PostgreSQL never send a message twice
(each message is claimed with SELECT … FOR UPDATE SKIP LOCKED)."""

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import enqueue
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="row locks need PostgreSQL (on SQLite, run one worker: see docs/operations.md)",
)


def test_three_workers_send_each_message_once(smtp, app, ctx, clock):
    for n in range(30):
        enqueue(
            template="application_received",
            to=f"person{n}@example.org",
            dedup_key=f"test:{n}",
            locale="en",
            now=clock(),
            context={"applicant": {"name": f"Person {n}"}, "applications": []},
        )
    db.session.commit()

    barrier = threading.Barrier(3)

    def work():
        with app.app_context():
            barrier.wait()
            deliver_due(clock(), limit=30)
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    received = Counter(message["To"] for message in smtp.messages)
    assert len(received) == 30
    assert set(received.values()) == {1}
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 30
