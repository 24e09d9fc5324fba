"""The waitlist's CSV export against the database alone producing the same rows.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/intake_bench \
        .venv/bin/python bench/export.py [--status all] [--runs 3] [--profile]

Run it on a database seeded by ``bench/seed.py``. Interleaved, ``--runs`` times each:

- **database alone**: the export's own SELECT (``export_query``) through SQLAlchemy,
  fetched ``BATCH_SIZE`` rows at a time as the export fetches them (a server-side
  cursor on PostgreSQL), every row read and nothing done with it;
- **export**: ``csv_chunks`` over the same statement, every chunk encoded to UTF-8 as
  the response does: the total time, the time to the first chunk (the header, what the
  browser sees first) and to the first chunk of rows, and how far the process's peak
  RSS rose while it ran (``VmHWM`` reset through ``/proc/self/clear_refs``).

Wall time and this process's CPU time both: on a busy machine the CPU time (the
Python side; PostgreSQL's own work is in its server process) is the steadier figure.

It prints the medians and the ratio export / database alone (issue 13's budget: ≤ 2).
``--profile`` runs one more export under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake import clock, create_app
from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.waitlist import export
from intake.waitlist.queries import Filters


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def database_alone(module, stmt) -> tuple[float, float, int]:
    cpu = time.process_time()
    started = time.perf_counter()
    rows = 0
    result = db.session.execute(stmt.execution_options(yield_per=module.BATCH_SIZE))
    for batch in result.partitions():
        rows += len(batch)
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    db.session.rollback()
    return took, cpu, rows


def run_export(module, stmt, now) -> dict[str, float]:
    _reset_peak()
    rss_before = _kib("VmRSS")
    cpu = time.process_time()
    started = time.perf_counter()
    first = first_rows = None
    size = lines = 0
    for chunk in module.csv_chunks(stmt, now):
        data = chunk.encode()
        size += len(data)
        lines += data.count(b"\n")
        if first is None:
            first = time.perf_counter() - started
        elif first_rows is None:
            first_rows = time.perf_counter() - started
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    db.session.rollback()
    return {
        "total": took,
        "cpu": cpu,
        "first": first or 0.0,
        "first_rows": first_rows or 0.0,
        "peak_mib": (_kib("VmHWM") - rss_before) / 1024,
        "mib": size / 2**20,
        "lines": lines,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", default="all", help="the waitlist's status filter")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--module",
        action="append",
        help="a module with export_query, csv_chunks and BATCH_SIZE (an older copy, to "
        "compare in the same run; repeat for several; default intake.waitlist.export)",
    )
    args = parser.parse_args()
    modules = [importlib.import_module(name) for name in args.module or [export.__name__]]

    app = create_app()
    with app.test_request_context():
        now = clock.now()
        filters = Filters(status=args.status)
        print(f"{db.engine.dialect.name}, status={args.status}, {args.runs} runs interleaved")
        stmts = [module.export_query(filters, scope=EVERYTHING) for module in modules]
        alone: list[list[float]] = [[] for _ in modules]
        alone_cpu: list[list[float]] = [[] for _ in modules]
        exports: list[list[dict[str, float]]] = [[] for _ in modules]
        for _ in range(args.runs):
            for index, module in enumerate(modules):
                took, cpu, rows = database_alone(module, stmts[index])
                alone[index].append(took)
                alone_cpu[index].append(cpu)
                exports[index].append(run_export(module, stmts[index], now))
        for index, module in enumerate(modules):
            first = exports[index][0]
            print(f"\n{module.__name__} (batch {module.BATCH_SIZE})")
            print(f"rows: {rows:,}; file: {first['mib']:.1f} MiB, {first['lines']:,} lines")
            print("database alone: " + ", ".join(f"{t:.2f}" for t in alone[index]) + " s")
            print(
                "export:         " + ", ".join(f"{e['total']:.2f}" for e in exports[index]) + " s"
            )
            db_median = statistics.median(alone[index])
            median = {key: statistics.median(e[key] for e in exports[index]) for key in first}
            print(
                f"median: database alone {db_median:.2f} s, export {median['total']:.2f} s, "
                f"ratio {median['total'] / db_median:.2f}; "
                f"first chunk {median['first'] * 1000:.0f} ms, "
                f"first rows {median['first_rows'] * 1000:.0f} ms; "
                f"peak RSS +{median['peak_mib']:.1f} MiB"
            )
            cpu_median = statistics.median(alone_cpu[index])
            print(
                f"this process's CPU: database alone {cpu_median:.2f} s, "
                f"export {median['cpu']:.2f} s, ratio {median['cpu'] / cpu_median:.2f}"
            )
        if args.profile:
            for index, module in enumerate(modules):
                print(f"\nprofile: {module.__name__}")
                profile = cProfile.Profile()
                profile.enable()
                run_export(module, stmts[index], now)
                profile.disable()
                pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
