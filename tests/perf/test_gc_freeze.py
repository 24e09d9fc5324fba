"""gunicorn's workers, started with the shipped gunicorn.conf.py, freeze what they
loaded out of the garbage collector's reach (a full collection otherwise walks it
all: the waitlist's p95 at 100,000, docs/PERFORMANCE.md "Garbage collection")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import bound_socket

ROOT = Path(__file__).resolve().parents[2]

# SQLite of its own or no database, whatever TEST_DATABASE_URL says (CI's PostgreSQL run
# leaves it out: it would only repeat the SQLite run).
pytestmark = pytest.mark.own_database


def test_a_gunicorn_worker_freezes_what_it_loaded(tmp_path):
    listener = bound_socket()
    listener.listen()
    port = listener.getsockname()[1]
    command = [
        sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
        "--bind", f"fd://{listener.fileno()}", "--workers", "1",
        "tests.perf.freeze_app:app",
    ]  # fmt: skip
    log = (tmp_path / "gunicorn.log").open("wb")
    with listener, log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=os.environ, stdout=log, stderr=log,
            pass_fds=(listener.fileno(),),
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
                        frozen = int(answer.read())
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    # The worker's modules, gunicorn's own among them: thousands, not none.
    assert frozen > 10_000, (tmp_path / "gunicorn.log").read_text()
