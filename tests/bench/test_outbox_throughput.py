"""bench/outbox_throughput.py with two worker processes: the queue is drained, each
message reaches the server once, and plain smtplib is measured into the same server."""

import pytest

from bench.outbox_throughput import measure
from bench.run import drop_postgres, recreate_postgres, sibling_database
from intake import database_url
from tests.conftest import TEST_DATABASE_URL


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="several workers need PostgreSQL")
def test_two_workers_send_every_message_once():
    url = sibling_database(TEST_DATABASE_URL, "_outbox_workers")
    recreate_postgres(url)
    try:
        result = measure(40, database_url(url), workers=2)
    finally:
        drop_postgres(url)

    assert (result.database, result.outbox_received, result.plain_received) == (
        "PostgreSQL",
        40,
        40,
    )
    assert result.outbox_seconds > 0


def test_several_workers_are_refused_on_sqlite():
    with pytest.raises(SystemExit, match="need PostgreSQL"):
        measure(1, None, workers=2)


@pytest.mark.own_database
def test_one_worker_on_sqlite_sends_every_message_once():
    result = measure(5)

    assert (result.database, result.outbox_received, result.plain_received) == ("SQLite", 5, 5)
    assert result.outbox_seconds > 0
