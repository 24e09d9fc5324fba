"""Outbox delivery throughput into a local SMTP server, against plain smtplib.

Starts aiosmtpd on loopback, queues N messages with the app's own ``enqueue`` (in a
fresh SQLite file, or in TEST_DATABASE_URL when set: its tables are dropped and
made again), times ``deliver_due`` draining them, then times plain smtplib sending
as many similar messages over one connection into the same server.

    .venv/bin/python bench/outbox_throughput.py [-n 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake import create_app
from intake.extensions import db
from intake.outbox.delivery import deliver_due
from intake.outbox.services import enqueue


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002 - aiosmtpd API
        with self.lock:
            self.count += 1
        return "250 OK"


class BoundController(Controller):
    """aiosmtpd on a socket bound beforehand to a port the system picked."""

    def __init__(self, handler, sock: socket.socket):
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock)


@dataclass
class Throughput:
    """Messages delivered by the outbox and by plain smtplib, and the seconds each took."""

    messages: int
    database: str
    outbox_received: int
    outbox_seconds: float
    plain_received: int
    plain_seconds: float

    @property
    def outbox_rate(self) -> float:
        return self.outbox_received / self.outbox_seconds

    @property
    def plain_rate(self) -> float:
        return self.plain_received / self.plain_seconds

    @property
    def ratio(self) -> float:
        return self.outbox_rate / self.plain_rate


def start_server() -> tuple[BoundController, Counter, int]:
    """aiosmtpd counting what arrives, on a loopback port the system picked."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    counter = Counter()
    server = BoundController(counter, sock)
    server.start()
    return server, counter, port


def measure(n: int, uri: str | None = None) -> Throughput:
    """Queue ``n`` messages in ``uri`` (a fresh SQLite file when None; a database's
    tables are dropped and made again), time the outbox draining them into a local
    server, then plain smtplib sending as many over one connection."""
    server, counter, port = start_server()
    folder = tempfile.mkdtemp(prefix="outbox-bench-")
    uri = uri or f"sqlite:///{folder}/bench.sqlite3"
    now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": uri,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_SUPPRESS_SEND": False,
            "PUBLIC_BASE_URL": "https://intake.example.org",
        }
    )
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            for number in range(n):
                enqueue(
                    template="application_received",
                    to=f"person{number}@example.org",
                    dedup_key=f"bench:{number}",
                    locale="en",
                    now=now,
                    context={"applicant": {"name": f"Person {number}"}, "applications": []},
                )
            db.session.commit()

            started = time.perf_counter()
            while deliver_due(now).attempted:
                db.session.remove()
            outbox_seconds = time.perf_counter() - started
            outbox_received = counter.count
            db.drop_all()
            db.engine.dispose()

        counter.count = 0
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
            for i in range(n):
                message = EmailMessage()
                message["From"] = "Reflective Practice Groups <no-reply@localhost>"
                message["To"] = f"person{i}@example.org"
                message["Subject"] = "We received your application"
                message.set_content(f"Dear Person {i},\n\nWe received your application.\n" * 20)
                message.add_alternative(f"<p>Dear Person {i},</p>" * 20, subtype="html")
                smtp.send_message(message)
        plain_seconds = time.perf_counter() - started
        plain_received = counter.count
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return Throughput(
        messages=n,
        database="PostgreSQL" if uri.startswith("postgresql") else "SQLite",
        outbox_received=outbox_received,
        outbox_seconds=outbox_seconds,
        plain_received=plain_received,
        plain_seconds=plain_seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="messages (default 2000)")
    args = parser.parse_args()
    result = measure(args.n, os.environ.get("TEST_DATABASE_URL"))
    print(f"{args.n} messages, {result.database}")
    print(
        f"outbox deliver_due: {result.outbox_received} in {result.outbox_seconds:.2f} s, "
        f"{result.outbox_rate:.0f}/s"
    )
    print(
        f"plain smtplib:      {result.plain_received} in {result.plain_seconds:.2f} s, "
        f"{result.plain_rate:.0f}/s"
    )
    print(f"ratio outbox/smtplib: {result.ratio:.2f}")


if __name__ == "__main__":
    main()
