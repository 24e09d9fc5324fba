"""The benchmark harness's parts that need no server: the wrk script, reading its output,
the table, the e-mails' waits. Nothing here is timed."""

import math

import pytest

from bench import run as bench_run
from bench import wrk
from bench.report import (
    Row,
    alone_budget,
    format_table,
    pace_budget,
    ratio_budget,
    size_budget,
    wait_budget,
)

# SQLite of its own or no database, whatever TEST_DATABASE_URL says (CI's PostgreSQL run
# leaves it out: it would only repeat the SQLite run).
pytestmark = pytest.mark.own_database

OUTPUT = """Running 1s test @ http://127.0.0.1:8000/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.00ms    2.00ms  20.00ms   70.00%
  400 requests in 1.00s, 2.00MB read
Requests/sec:    400.00
BENCH_JSON {"requests": 400, "duration_us": 2000000, "bytes": 2048000, "p50_us": 9500, \
"p95_us": 14250, "p99_us": 19999, "ok": 398, "unexpected": 2, "non_2xx_3xx": 2, \
"socket_errors": 1}
"""


def test_parse_output_reads_the_done_line():
    result = wrk.parse_output(OUTPUT)
    assert result.requests == 400
    assert result.seconds == 2.0
    # Only the 398 expected answers count towards the rate.
    assert result.rate == 199.0
    assert result.bytes == 2048000
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (9.5, 14.25, 19.999)
    assert result.ok == 398
    assert result.errors == 3  # two unexpected answers, one socket error


def test_parse_output_without_the_line_says_so():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        wrk.parse_output("Running 1s test\nunable to connect to 127.0.0.1:1\n")


def test_lua_script_prints_json_from_latency_percentiles():
    script = wrk.lua_script(
        path="/coord/waitlist?q=chen",
        headers={"Cookie": 'session="a\\b"', "HX-Request": "true"},
        threads=2,
    )
    assert "function done(summary, latency, requests)" in script
    for p in (50, 95, 99):
        assert f"latency:percentile({p})" in script
    assert wrk.MARKER in script
    assert 'local path = "/coord/waitlist?q=chen"' in script
    # Quotes and backslashes in a header survive as a Lua string.
    assert '["Cookie"] = "session=\\"a\\\\b\\""' in script
    assert "local nthreads = 2" in script
    # No pool: no request() function, so wrk sends its one request unchanged.
    assert 'local pool_file = ""' in script
    assert "%(" not in script
    assert "%%" not in script


def test_lua_script_for_a_post_reads_its_pool_and_expects_the_redirect():
    script = wrk.lua_script(
        method="POST",
        path="/apply",
        pool_file="pool.txt",
        run_tag="ab12",
        expect_status=303,
        expect_location="/apply/received",
    )
    assert 'local method = "POST"' in script
    assert 'local pool_file = "pool.txt"' in script
    assert "local expect_status = 303" in script
    assert 'local expect_location = "/apply/received"' in script
    assert 'body:gsub("{n}", unique)' in script
    assert "function delay()" not in script  # as fast as the app answers


def test_lua_script_at_a_set_pace_waits_before_each_request():
    script = wrk.lua_script(method="POST", path="/apply", pool_file="pool.txt", delay_ms=200)
    assert "function delay()\n  return 200\nend" in script


def run(rate: float, p95: float = 10.0, unexpected: int = 0) -> wrk.Result:
    return wrk.Result(
        requests=int(rate),
        seconds=1.0,
        bytes=0,
        p50_ms=p95 / 2,
        p95_ms=p95,
        p99_ms=p95 * 2,
        ok=int(rate) - unexpected,
        unexpected=unexpected,
        non_2xx_3xx=unexpected,
        socket_errors=0,
    )


def test_summarise_takes_medians_and_sums_errors():
    summary = wrk.summarise([run(100, 30), run(300, 10, unexpected=1), run(200, 20)])
    assert summary.rate == 200
    assert summary.p95_ms == 20
    assert summary.errors == 1
    assert summary.runs == 3


def test_ratio_is_the_median_of_each_rounds_pair():
    path = [run(50), run(100), run(30)]
    baseline = [run(100), run(400), run(30)]
    # Per round: 0.5, 0.25, 1.0 -> median 0.5 (not 180 / 530).
    assert wrk.ratios(path, baseline) == 0.5
    assert math.isnan(wrk.ratios([], []))


def test_table_has_a_line_per_row_and_says_which_budgets_were_missed():
    fast = Row("waitlist first page", "alone", 50.0, 10.0, 20.0, 30.0, bytes=20480)
    fast.budgets = [alone_budget(20.0), size_budget(20480)]
    slow = Row("search q=chen", "alone", 5.0, 100.0, 133.0, 150.0, bytes=200 * 1024)
    slow.budgets = [alone_budget(133.0), size_budget(200 * 1024)]
    post = Row("application POST", "loaded", 80.0, 20.0, 40.0, 60.0, 0.02, 0.1)
    post.budgets = [ratio_budget(0.1, 0.25)]
    post.errors = 3
    baseline = Row("hello (baseline)", "loaded", 4000.0, 1.0, 2.0, 3.0)

    lines = format_table([baseline, fast, slow, post]).splitlines()

    assert len(lines) == 2 + 4
    columns = lines[0].count("|")
    assert all(line.count("|") == columns for line in lines)
    assert lines[2].startswith("| hello (baseline) | loaded | 4,000.0 |")
    assert lines[2].endswith("| 0 | – | – |")
    assert "| 20.0 KB |" in lines[3]
    assert lines[3].endswith("| yes |")
    assert "**no** (p95 < 50 ms, ≤ 100 KB)" in lines[4]
    assert "| 0.020 | 0.10 |" in lines[5]
    assert "**no** (≥ 0.25× DB, 3 errors)" in lines[5]  # noqa: RUF001


def test_errors_alone_fail_a_row_whose_budgets_are_met():
    row = Row("home", "alone", 10.0, 1.0, 2.0, 3.0, bytes=100)
    row.budgets = [size_budget(100)]
    row.errors = 1
    assert row.met is False
    assert Row("hello", "loaded").met is None


def test_a_run_that_finished_no_request_has_no_latency():
    empty = wrk.Result(0, 1.0, 0, 0.0, 0.0, 0.0, 0, 0, 0, 0)
    summary = wrk.summarise([empty, run(10, 40.0), run(20, 60.0)])
    assert summary.rate == 10
    assert summary.p95_ms == 50.0  # the two runs that finished requests, not the 0
    assert wrk.summarise([empty]).p95_ms is None
    assert alone_budget(None) == ("p95 < 50 ms", False)


def test_a_run_alone_waits_until_the_workers_are_free():
    """wait_until_idle returns only after two health checks at once (one per worker)
    answer fast, three times in a row: here the server is still busy with three
    requests left over from a loaded run. The margins (0.3 s slow, 0.2 s fast) leave
    room for a busy machine."""
    import http.server
    import threading
    import time

    from bench.run import wait_until_idle

    seen = []
    lock = threading.Lock()

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                seen.append(self.path)
                slow = len(seen) <= 3
            if slow:
                time.sleep(0.3)  # a left-over slow request ahead of this one
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_until_idle(server.server_address[1], workers=2, fast_s=0.2, in_a_row=3)
        # Two checks with a slow answer, then three of two fast answers each.
        assert seen == ["/healthz"] * 10
        seen.clear()
        # A worker that never frees up: it says so rather than measuring behind it.
        with pytest.raises(RuntimeError, match="still busy"):
            wait_until_idle(server.server_address[1], fast_s=0.0, deadline_s=0.5)
    finally:
        server.shutdown()
        server.server_close()


def test_the_launch_day_row_holds_the_longest_wait_of_any_email():
    assert wait_budget(4.9) == ("e-mail wait ≤ 5 s", True)
    assert wait_budget(5.3) == ("e-mail wait ≤ 5 s", False)
    # An e-mail that never arrived has no longest wait: not met.
    assert wait_budget(None) == ("e-mail wait ≤ 5 s", False)
    # Slower than launch day's 5,000 in 10 minutes proves nothing about launch day.
    assert pace_budget(8.4) == ("≥ 8.3 applications/s", True)
    assert pace_budget(8.3) == ("≥ 8.3 applications/s", False)
    waits = [float(n) for n in range(1, 21)]
    assert (
        bench_run.percentile(waits, 50),
        bench_run.percentile(waits, 95),
        bench_run.percentile(waits, 100),
    ) == (
        10.0,
        19.0,
        20.0,
    )
    assert math.isnan(bench_run.percentile([], 50))


def test_an_emails_wait_runs_from_its_queueing_to_its_arrival(tmp_path):
    from datetime import UTC, datetime

    from intake import create_app
    from intake.extensions import db
    from intake.models import OutboxMessage
    from intake.programs.services import seed_default_programs
    from tests import factories

    now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "a test key that is long enough to sign with",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}",
        }
    )
    with app.app_context():
        db.create_all()
        seed_default_programs(now)
        first = factories.add_application(now, 1).applicant_id
        second = factories.add_application(now, 2).applicant_id
        for applicant_id, address in ((first, "One@Example.org"), (second, "two@example.org")):
            db.session.add(
                OutboxMessage(
                    template="application_received",
                    to_addr=address,
                    subject="Received",
                    text_body="",
                    html_body="",
                    locale="en",
                    dedup_key=f"received:{applicant_id}",
                    applicant_id=applicant_id,
                    status="sent",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        db.session.commit()
    arrived = {"one@example.org": now.timestamp() + 1.5}  # the second never arrived

    waits, missing = bench_run.received_waits(app, first - 1, arrived)

    assert (waits, missing) == ([1.5], 1)
    assert bench_run.received_waits(app, first, arrived) == ([], 1)  # only those after the id


def test_launch_day_runs_thirty_seconds_unless_told(capsys):
    assert bench_run.parse_args([]).launch_seconds == 30
    assert bench_run.parse_args(["--launch-seconds", "0"]).launch_seconds == 0  # left out
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--launch-seconds", "-1"])
    assert "--launch-seconds: 0 or more" in capsys.readouterr().err
