"""A pooled PostgreSQL connection is checked before use only when it may be dead.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: one more round
trip on every request, most of them on a connection used milliseconds before. Instead,
a connection taken from the pool is pinged only

- when it sat unused for ``DB_PING_AFTER_IDLE_SECONDS`` (a firewall or the server may
  have dropped it quietly meanwhile), or
- when its socket has something to read while idle: a server that is shut down or
  restarted, or that ends the backend (``pg_terminate_backend``), says so on every open
  connection and closes it, which makes the socket readable. Looking costs a
  ``select()`` with no wait, not a round trip.

A ping that fails raises ``DisconnectionError``: the pool throws that connection away
and opens a new one, so the request goes on unharmed (SQLAlchemy's documented
"pessimistic" disconnect handling, done in a checkout event).

SQLite is a file: nothing to check. Setting ``pool_pre_ping`` in
``SQLALCHEMY_ENGINE_OPTIONS`` brings back SQLAlchemy's ping on every checkout and turns
this off.
"""

from __future__ import annotations

import select
import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from intake.extensions import db

_USED_AT = "intake_used_at"


def install(app: Flask) -> None:
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        return
    watch(engine, float(app.config["DB_PING_AFTER_IDLE_SECONDS"]))


def has_news(dbapi_connection) -> bool:
    """True when the server sent something to a connection nobody is using: for an idle
    connection that is the server ending it (or a notice, rarely; a ping settles it)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # OSError, ValueError, or psycopg's own error once it is closed
        return True  # closed already: let the ping fail and replace it
    return bool(readable)


def watch(engine: Engine, idle_seconds: float) -> None:
    def used(record) -> None:
        record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "connect")
    def on_connect(_dbapi_connection, record):
        used(record)

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        used(record)

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        last = record.info.get(_USED_AT)
        recent = last is not None and time.monotonic() - last < idle_seconds
        if recent and not has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out a new one.
            raise exc.DisconnectionError(f"stale connection: {error}") from error
