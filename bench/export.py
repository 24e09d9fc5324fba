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

It prints the medians and the ratio export / database alone (issue 13's budget: ≤ 2).
``--profile`` runs one more export under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
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


def database_alone(stmt) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    result = db.session.execute(stmt.execution_options(yield_per=export.BATCH_SIZE))
    for batch in result.partitions():
        rows += len(batch)
    took = time.perf_counter() - started
    db.session.rollback()
    return took, rows


def run_export(stmt, now) -> dict[str, float]:
    _reset_peak()
    rss_before = _kib("VmRSS")
    started = time.perf_counter()
    first = first_rows = None
    size = lines = 0
    for chunk in export.csv_chunks(stmt, now):
        data = chunk.encode()
        size += len(data)
        lines += data.count(b"\n")
        if first is None:
            first = time.perf_counter() - started
        elif first_rows is None:
            first_rows = time.perf_counter() - started
    took = time.perf_counter() - started
    db.session.rollback()
    return {
        "total": took,
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
    args = parser.parse_args()

    app = create_app()
    with app.test_request_context():
        now = clock.now()
        stmt = export.export_query(Filters(status=args.status), scope=EVERYTHING)
        print(f"{db.engine.dialect.name}, status={args.status}, batch {export.BATCH_SIZE}")
        alone, exports = [], []
        for _ in range(args.runs):
            took, rows = database_alone(stmt)
            alone.append(took)
            exports.append(run_export(stmt, now))
        print(f"rows: {rows:,}; file: {exports[0]['mib']:.1f} MiB, {exports[0]['lines']:,} lines")
        print("database alone: " + ", ".join(f"{t:.2f}" for t in alone) + " s")
        print("export:         " + ", ".join(f"{e['total']:.2f}" for e in exports) + " s")
        db_median = statistics.median(alone)
        median = {key: statistics.median(e[key] for e in exports) for key in exports[0]}
        print(
            f"median: database alone {db_median:.2f} s, export {median['total']:.2f} s, "
            f"ratio {median['total'] / db_median:.2f}; first chunk {median['first'] * 1000:.0f} ms"
            f", first rows {median['first_rows'] * 1000:.0f} ms; "
            f"peak RSS +{median['peak_mib']:.1f} MiB"
        )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            run_export(stmt, now)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
