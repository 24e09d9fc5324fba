"""bench/run.py end to end, tiny: SQLite, 200 rows, home and the application POST, one
round of 1 s, then 3 s at launch day's pace. It checks the harness works (servers up,
responses checked, the e-mails delivered and timed, a table with rows and no errors),
not the speed. Needs wrk (Debian's package) and Redis, like `make bench`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.support import redis_listens
from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent.parent

# SQLite of its own or no database, whatever TEST_DATABASE_URL says (CI's PostgreSQL run
# leaves it out: it would only repeat the SQLite run).
pytestmark = pytest.mark.own_database


@pytest.mark.skipif(not redis_listens(), reason="no Redis on 127.0.0.1:6379 for the rate limits")
def test_bench_runs_end_to_end(tmp_path):
    if shutil.which("wrk") is None:
        missing("wrk is not installed: apt-get install wrk (CI sets E2E_REQUIRED=1)")
    out = tmp_path / "bench.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--db",
            "sqlite",
            "--rows",
            "200",
            "--duration",
            "1",
            "--alone-duration",
            "1",
            "--rounds",
            "1",
            "--only",
            "home,application POST",
            "--launch-seconds",
            "3",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text()
    assert table.split() == done.stdout.split()
    lines = table.splitlines()
    assert "### SQLite, 200 applications" in lines
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]) for line in lines if "|" in line}
    for expected in [
        ("hello (baseline)", "loaded"),
        ("bare DB page (baseline)", "loaded"),
        ("home", "alone"),
        ("home", "loaded"),
        ("application POST", "alone"),
        ("application POST", "loaded"),
        ("application POST", "launch day"),
    ]:
        assert expected in rows, table
    # Every application at launch day's pace got its e-mail, and each one's wait is given.
    launch = next(line for line in lines if line.startswith("- application POST (launch day)"))
    assert '"received" e-mails waited p50' in launch, launch
    # (Whether the pace kept up is the table's to say: this machine runs other tests.)
    assert "never arrived" not in launch, launch
    # The errors column (10th) is 0 on every row: every answer was the expected one.
    for line in lines:
        if line.startswith("| ") and not line.startswith("| path"):
            assert line.split("|")[10].strip() == "0", line
    assert "- git commit:" in table
    assert "Traceback" not in done.stderr
