"""Driving wrk (Debian's package) and reading what it prints: pure functions, tested in
tests/bench/test_harness.py without running wrk.

Each run gets a Lua script made by ``lua_script``. Its ``done()`` prints one line,
``BENCH_JSON {...}``, which ``parse_output`` reads: requests, duration, bytes, the
latency percentiles from ``latency:percentile()`` (microseconds), wrk's socket errors,
and how many answers were what the path expects (``ok``: the status, and for a POST the
``Location`` it must redirect to). Everything else is counted as ``unexpected``.

A POST path reads a pool file, one request a line (``cookie<TAB>body``); each thread
takes every n-th line, so no line is sent twice while the pool lasts, and ``{n}`` in
a body becomes a number unique to the run, the thread and the request (a unique e-mail
address per application).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MARKER = "BENCH_JSON "

LUA = r"""-- Made by bench/wrk.py for one wrk run.
local method = %(method)s
local path = %(path)s
local fixed_headers = %(headers)s
local pool_file = %(pool_file)s
local run_tag = %(run_tag)s
local expect_status = %(expect_status)d
local expect_location = %(expect_location)s
local nthreads = %(threads)d

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok = 0
  unexpected = 0
  pool = {}
  if pool_file ~= "" then
    for line in io.lines(pool_file) do
      table.insert(pool, line)
    end
  end
  wrk.method = method
  wrk.path = path
  for name, value in pairs(fixed_headers) do
    wrk.headers[name] = value
  end
end

-- Only a POST path has a request(): without one, wrk sends its one request unchanged.
if pool_file ~= "" then
function request()
  counter = counter + 1
  local index = ((counter - 1) * nthreads + id) %% #pool + 1
  local cookie, body = pool[index]:match("^([^\t]*)\t(.*)$")
  local unique = run_tag .. "-" .. id .. "-" .. counter
  body = body:gsub("{n}", unique)
  local headers = {}
  for name, value in pairs(fixed_headers) do
    headers[name] = value
  end
  headers["Cookie"] = cookie
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format(method, path, headers, body)
end
end

%(delay)s
function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == expect_status
      and (expect_location == "" or location:find(expect_location, 1, true)) then
    ok = ok + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_unexpected = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + (thread:get("ok") or 0)
    total_unexpected = total_unexpected + (thread:get("unexpected") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, '
    .. '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "ok": %%d, "unexpected": %%d, '
    .. '"non_2xx_3xx": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    total_ok, total_unexpected, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal (long brackets would not survive every value)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def lua_script(
    *,
    method: str = "GET",
    path: str,
    headers: Mapping[str, str] | None = None,
    pool_file: str = "",
    run_tag: str = "0",
    expect_status: int = 200,
    expect_location: str = "",
    threads: int = 1,
    delay_ms: int = 0,
) -> str:
    """The script of one run; ``delay_ms`` makes each connection wait that long before
    each request it sends (wrk's ``delay()``), to send at a set pace."""
    header_table = (
        "{"
        + ", ".join(
            f"[{lua_string(name)}] = {lua_string(value)}" for name, value in (headers or {}).items()
        )
        + "}"
    )
    return LUA % {
        "method": lua_string(method),
        "path": lua_string(path),
        "headers": header_table,
        "pool_file": lua_string(pool_file),
        "run_tag": lua_string(run_tag),
        "expect_status": expect_status,
        "expect_location": lua_string(expect_location),
        "threads": threads,
        "marker": MARKER,
        "delay": f"function delay()\n  return {int(delay_ms)}\nend\n" if delay_ms > 0 else "",
    }


@dataclass(frozen=True)
class Result:
    """One wrk run, in the units the table shows."""

    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ok: int
    unexpected: int
    non_2xx_3xx: int
    socket_errors: int

    @property
    def rate(self) -> float:
        """Answers that were what the path expects, per second (an error page is
        often quicker than the page: counting it would flatter the path)."""
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Answers that were not what the path expects, and requests with no answer."""
        return self.unexpected + self.socket_errors


def parse_output(stdout: str) -> Result:
    """The ``BENCH_JSON`` line that the script's ``done()`` printed."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"wrk printed no {MARKER.strip()} line:\n{stdout[-2000:]}")
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        bytes=data["bytes"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        ok=data["ok"],
        unexpected=data["unexpected"],
        non_2xx_3xx=data["non_2xx_3xx"],
        socket_errors=data["socket_errors"],
    )


@dataclass(frozen=True)
class Summary:
    """The median of several runs of one path in one mode (errors are summed). A run
    that finished no request has no latencies: the percentiles are the medians of the
    runs that did, None when none did."""

    rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int
    runs: int


def summarise(results: Iterable[Result]) -> Summary:
    results = list(results)
    if not results:
        raise ValueError("no runs to summarise")
    timed = [r for r in results if r.requests]

    def median(values) -> float | None:
        values = list(values)
        return statistics.median(values) if values else None

    return Summary(
        rate=statistics.median(r.rate for r in results),
        p50_ms=median(r.p50_ms for r in timed),
        p95_ms=median(r.p95_ms for r in timed),
        p99_ms=median(r.p99_ms for r in timed),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        runs=len(results),
    )


def ratios(path: Iterable[Result], baseline: Iterable[Result]) -> float:
    """The median, over rounds, of this path's requests/s over the baseline's requests/s
    measured back to back with it in the same round."""
    pairs = [(p.rate, b.rate) for p, b in zip(path, baseline, strict=True) if b.rate]
    if not pairs:
        return float("nan")
    return statistics.median(p / b for p, b in pairs)
