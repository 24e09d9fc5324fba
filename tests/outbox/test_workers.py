"""Several delivery workers at once on PostgreSQL never send a message twice: each
pass leases its batch, and each message is claimed with SELECT … FOR UPDATE SKIP
LOCKED."""

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from intake import create_app
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

    # Three worker processes: three apps, each with its own name on the rows it leases.
    workers = [create_app(dict(app.config)) for _ in range(3)]
    barrier = threading.Barrier(3)
    sent: list[int] = []

    def work(worker):
        with worker.app_context():
            barrier.wait()
            sent.append(deliver_due(clock(), limit=10).sent)
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    received = Counter(message["To"] for message in smtp.messages)
    assert len(received) == 30
    assert set(received.values()) == {1}
    # Each took a batch of its own (leased), not the same oldest ten.
    assert sent == [10, 10, 10]
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 30
