"""`make run`'s serving step (deploy/run_local.py): the web server, the outbox loop and
the tick loop start together; Ctrl-C stops all three and ends cleanly; a busy port is
said plainly. The real flask commands run, on a SQLite file of the test's own (so the
repository's instance/ database is not touched)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import bound_socket, wait_until

# SQLite of its own or no database, whatever TEST_DATABASE_URL says (CI's PostgreSQL run
# leaves it out: it would only repeat the SQLite run).
pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "run_local.py"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


@pytest.fixture
def local_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INTAKE_", "DATABASE_URL", "FLASK_"))
    }
    env.update(
        INTAKE_LOCAL="1",
        INTAKE_SECRET_KEY="a-local-test-key-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'intake.sqlite3'}",
        INTAKE_MAIL_FILE_DIR=str(tmp_path / "mail"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(port: int, env: dict, *extra: str) -> subprocess.Popen:
    # A session of its own, like a terminal's foreground job: Ctrl-C is a SIGINT to
    # the whole process group.
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--host", "127.0.0.1", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _free_port() -> int:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_ctrl_c_stops_the_server_and_both_loops(local_env):
    migrated = subprocess.run(
        [*FLASK, "db", "upgrade"], cwd=ROOT, env=local_env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    runner = _run(port, local_env, "--", *FLASK)
    try:

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                assert runner.poll() is None, runner.communicate()[0]
                return False

        wait_until(answers, "the web server to start", timeout=60)
        children = _children(runner.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in children]
        assert sorted(c[c.index(b"wsgi") + 1] for c in commands) == [b"outbox", b"run", b"waitlist"]

        os.killpg(runner.pid, signal.SIGINT)
        output, _ = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    assert runner.returncode == 0, output
    assert "Stopped the web server, the outbox loop and the tick loop." in output
    assert "Segmentation fault" not in output
    assert "Traceback" not in output
    assert not [pid for pid in children if _alive(pid)]


def test_a_busy_port_is_said_plainly_and_nothing_starts(local_env):
    taken = bound_socket()
    taken.listen()
    port = taken.getsockname()[1]
    try:
        for extra in (["--check"], ["--", *FLASK]):
            runner = _run(port, local_env, *extra)
            output, _ = runner.communicate(timeout=30)
            assert runner.returncode == 1, output
            assert output.strip() == (
                f"Port {port} on 127.0.0.1 is already in use (another `make run`?). "
                f"Stop what uses it, or choose another port: make run PORT={port + 1}"
            )
    finally:
        taken.close()


def test_a_process_that_stops_by_itself_stops_the_others(local_env):
    # No migrations: the outbox loop fails on its first query; the rest are stopped.
    port = _free_port()
    runner = _run(port, local_env, "--", *FLASK)
    try:
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    assert runner.returncode != 0
    stopped = r"The (outbox|tick) loop stopped \(exit status \d+\): stopping the rest"
    assert re.search(stopped, output)
    assert "Segmentation fault" not in output


def test_make_run_serves_through_the_script():
    recipe = (ROOT / "Makefile").read_text().split("\nrun: install translations\n")[1]
    recipe = recipe.split("\n\n")[0]
    assert "kill 0" not in recipe
    assert recipe.splitlines()[0].strip() == (
        "@$(BIN)/python deploy/run_local.py --check --host $(HOST) --port $(PORT)"
    )
    assert recipe.splitlines()[-1].strip() == (
        "@$(BIN)/python deploy/run_local.py --host $(HOST) --port $(PORT) -- $(FLASK)"
    )
