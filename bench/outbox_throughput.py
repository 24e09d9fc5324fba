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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="messages (default 2000)")
    args = parser.parse_args()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    counter = Counter()
    server = BoundController(counter, sock)
    server.start()

    folder = tempfile.mkdtemp(prefix="outbox-bench-")
    uri = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
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
            for n in range(args.n):
                enqueue(
                    template="application_received",
                    to=f"person{n}@example.org",
                    dedup_key=f"bench:{n}",
                    locale="en",
                    now=now,
                    context={"applicant": {"name": f"Person {n}"}, "applications": []},
                )
            db.session.commit()

            started = time.perf_counter()
            while deliver_due(now).attempted:
                db.session.remove()
            outbox_seconds = time.perf_counter() - started
            outbox_received = counter.count
            db.drop_all()

        counter.count = 0
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
            for n in range(args.n):
                message = EmailMessage()
                message["From"] = "Reflective Practice Groups <no-reply@localhost>"
                message["To"] = f"person{n}@example.org"
                message["Subject"] = "We received your application"
                message.set_content(f"Dear Person {n},\n\nWe received your application.\n" * 20)
                message.add_alternative(f"<p>Dear Person {n},</p>" * 20, subtype="html")
                smtp.send_message(message)
        plain_seconds = time.perf_counter() - started
        plain_received = counter.count
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    outbox_rate = outbox_received / outbox_seconds
    plain_rate = plain_received / plain_seconds
    database = "PostgreSQL" if uri.startswith("postgresql") else "SQLite"
    print(f"{args.n} messages, {database}")
    print(f"outbox deliver_due: {outbox_received} in {outbox_seconds:.2f} s, {outbox_rate:.0f}/s")
    print(f"plain smtplib:      {plain_received} in {plain_seconds:.2f} s, {plain_rate:.0f}/s")
    print(f"ratio outbox/smtplib: {outbox_rate / plain_rate:.2f}")


if __name__ == "__main__":
    main()
