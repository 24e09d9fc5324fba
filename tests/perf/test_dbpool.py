"""Pooled connections are checked only when they may be dead (intake.dbpool): no
SELECT 1 before every request, and a connection the server ended is replaced unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from intake import dbpool
from intake.extensions import db
from tests.conftest import TEST_DATABASE_URL, wait_until

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="connections that can be ended: PostgreSQL only"
)


@pytest.fixture
def app_config(app_config):
    # Every request reads the programs from the database (no copy kept): each one
    # checks a connection out of the pool.
    return {**app_config, "PROGRAM_CACHE_SECONDS": 0}


@pytest.fixture
def pings(app, monkeypatch):
    with app.app_context():
        dialect = db.engine.dialect
    calls = []
    real = dialect.do_ping

    def counted(dbapi_connection):
        calls.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return calls


def _backend_pid(client) -> int:
    # The pid of the connection the app's requests use (one at a time: one in the pool).
    with client.application.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def test_busy_connections_are_not_pinged(client, pings):
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert pings == []


def test_a_connection_the_server_ended_is_replaced_before_the_next_request(app, client, pings):
    assert client.get("/screener").status_code == 200
    pid = _backend_pid(client)
    with _other_connection(app) as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The backend is only signalled: until it has gone, it may not yet have told
        # the app's connection (a request in that moment meets the end unwarned).
        gone = text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)")
        wait_until(lambda: other.scalar(gone, {"pid": pid}), "the ended backend to go")
    # Each following request checks out a connection; none fails.
    for url in ("/screener", "/", "/screener/agency"):
        assert client.get(url).status_code == 200, url
    assert len(pings) == 1
    assert _backend_pid(client) != pid


def test_a_connection_idle_too_long_is_pinged(app, client):
    from intake import create_app

    # The idle limit is read at start-up: an app of its own that pings after 0 s.

    fresh = create_app({**app.config, "DB_PING_AFTER_IDLE_SECONDS": 0})
    fresh.test_client_class = type(client)
    fresh_client = fresh.test_client()
    with fresh.app_context():
        dialect = db.engine.dialect
    seen = []
    real = dialect.do_ping
    dialect.do_ping = lambda conn: seen.append(conn) or real(conn)
    try:
        assert fresh_client.get("/").status_code == 200
        assert fresh_client.get("/").status_code == 200
    finally:
        del dialect.do_ping
        with fresh.app_context():
            db.engine.dispose()
    assert len(seen) == 2


def _other_connection(app):
    from sqlalchemy import create_engine

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    return _Closing(engine)


class _Closing:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc_info):
        self.conn.close()
        self.engine.dispose()


def test_a_connection_closed_in_the_driver_has_news(app):
    """psycopg raises its own error, not OSError, for the socket of a closed
    connection: the check then answers "look" (the ping fails, the pool replaces the
    connection) instead of failing the request."""
    with app.app_context():
        record = db.engine.raw_connection()
        try:
            dbapi_connection = record.driver_connection
            assert not dbpool.has_news(dbapi_connection)
            dbapi_connection.close()
            assert dbpool.has_news(dbapi_connection)
        finally:
            record.invalidate()
