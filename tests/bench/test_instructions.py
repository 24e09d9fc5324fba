"""bench/instructions.py: the process it counts, run here without valgrind (a count
needs valgrind and two minutes, so it is left to the script's users), its arithmetic,
and what it refuses."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.instructions import collected, per_request

ROOT = Path(__file__).resolve().parent.parent.parent

# SQLite of its own, whatever TEST_DATABASE_URL says.
pytestmark = pytest.mark.own_database


def _run(*arguments: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "bench/instructions.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_counted_process_requests_the_page_and_gets_it():
    # The child exits non-zero when a request is not answered 200.
    done = _run("--child", str(ROOT), "--pages", "application form", "--requests", "2")
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_count_is_read_from_valgrind_and_the_warm_up_subtracted():
    printed = "==41== Events    : Ir\n==41== Collected : 6727709590\n==41==\n"
    assert collected(printed) == 6727709590
    assert collected("valgrind: no such file") is None
    assert per_request(6_000_000_000, 6_600_000_000, 60) == 10_000_000


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("--pages", "screener,nowhere"), "unknown pages ['nowhere']"),
        (("--pages", " , "), "no page named; the pages: home, program"),
        (("--requests", "0"), "--requests must be at least 1"),
        (("--checkout", ".", "--checkout", "."), "each --checkout once"),
    ],
)
def test_what_it_cannot_count_is_refused_with_a_reason(arguments, said):
    done = _run(*arguments)
    assert done.returncode == 2
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_without_valgrind_it_says_what_to_install(tmp_path):
    done = _run("--pages", "home", path=str(tmp_path))  # a PATH with no valgrind on it
    assert done.returncode == 2
    assert "needs valgrind" in done.stderr
    assert "Traceback" not in done.stderr
