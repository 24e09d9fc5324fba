"""Outbox delivery throughput into a local SMTP server, against plain smtplib.

Starts aiosmtpd on loopback in a process of its own, queues N messages with the
app's own ``enqueue`` (in a fresh SQLite file, or in TEST_DATABASE_URL when set: its
tables are dropped and made again), times ``deliver_due`` draining them, then times
plain smtplib sending as many similar messages over one connection into the same
server.

``--workers 2`` (PostgreSQL only: SQLite takes one worker) drains the same queue with
that many worker processes at once, as ``outbox deliver --loop`` run twice would,
each claiming its messages with row locks; the plain smtplib figure stays one
connection, into that same server.

    .venv/bin/python bench/outbox_throughput.py [-n 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake import create_app, database_url
from intake.extensions import db
from intake.outbox.delivery import deliver_due
from intake.outbox.services import enqueue


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


class SharedCounter:
    """Counts what arrives at the server, in its own process, for this one to read."""

    def __init__(self, value) -> None:
        self.value = value

    @property
    def count(self) -> int:
        return self.value.value

    @count.setter
    def count(self, number: int) -> None:
        self.value.value = number

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002 - aiosmtpd API
        with self.value.get_lock():
            self.value.value += 1
        return "250 OK"


def serve(port: int, value, ready, stop) -> None:
    """The server's own process: aiosmtpd until told to stop."""
    server = Controller(SharedCounter(value), hostname="127.0.0.1", port=port)
    server.start()
    ready.set()
    stop.wait()
    server.stop()


class ServerProcess:
    def __init__(self, process, stop) -> None:
        self.process, self.stop_event = process, stop

    def stop(self) -> None:
        self.stop_event.set()
        self.process.join(10)


def start_server_process() -> tuple[ServerProcess, SharedCounter, int]:
    """aiosmtpd in a process of its own, as a mail server is. A server in this process
    (one thread, sharing the worker's interpreter) was what limited the figure: with
    two workers on PostgreSQL 173-225/s against 320-327/s; with one, on SQLite,
    0.46-0.48 of plain smtplib against 0.49-0.59."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # the server binds it again at once: another taker is unlikely here
    context = multiprocessing.get_context("spawn")
    value, ready, stop = context.Value("i", 0), context.Event(), context.Event()
    process = context.Process(target=serve, args=(port, value, ready, stop), daemon=True)
    process.start()
    if not ready.wait(30):
        raise RuntimeError("the SMTP server did not start")
    return ServerProcess(process, stop), SharedCounter(value), port


NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def bench_config(uri: str, port: int) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": uri,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_BASE_URL": "https://intake.example.org",
    }


def drain(config: dict, ready, start) -> None:
    """One worker process: its own app and connections, passes until none is due."""
    app = create_app(config)
    with app.app_context():
        ready.set()
        start.wait()
        while deliver_due(NOW).attempted:
            db.session.remove()


def drain_in_processes(config: dict, workers: int) -> float:
    """Seconds for ``workers`` processes started together to drain the queue."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    start = context.Event()
    readies = [context.Event() for _ in range(workers)]
    processes = [context.Process(target=drain, args=(config, ready, start)) for ready in readies]
    for process in processes:
        process.start()
    for ready in readies:
        if not ready.wait(60):
            raise RuntimeError("a delivery worker did not start")
    started = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a delivery worker failed (exit code {process.exitcode})")
    return time.perf_counter() - started


def measure(n: int, uri: str | None = None, workers: int = 1) -> Throughput:
    """Queue ``n`` messages in ``uri`` (a fresh SQLite file when None; a database's
    tables are dropped and made again), time ``workers`` outbox workers draining them
    into a local server, then plain smtplib sending as many over one connection."""
    if workers > 1 and not (uri or "").startswith("postgresql"):
        raise SystemExit("several workers need PostgreSQL (SQLite takes one worker)")
    server, counter, port = start_server_process()
    folder = tempfile.mkdtemp(prefix="outbox-bench-")
    uri = uri or f"sqlite:///{folder}/bench.sqlite3"
    config = bench_config(uri, port)
    app = create_app(config)
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
                    now=NOW,
                    context={"applicant": {"name": f"Person {number}"}, "applications": []},
                )
            db.session.commit()

            if workers > 1:
                db.session.remove()
                db.engine.dispose()
                outbox_seconds = drain_in_processes(config, workers)
            else:
                started = time.perf_counter()
                while deliver_due(NOW).attempted:
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
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL; default 1)"
    )
    args = parser.parse_args()
    uri = os.environ.get("TEST_DATABASE_URL")
    result = measure(args.n, database_url(uri) if uri else None, args.workers)
    print(f"{args.n} messages, {result.database}, {args.workers} worker(s)")
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
