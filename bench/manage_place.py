"""Time the applicant's manage page (place in line) at the front, middle and back of a
seeded queue.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/intake_bench \
        .venv/bin/python bench/manage_place.py [--runs 50] [--explain]

Run it on a database filled by ``bench/seed.py``. It picks three waiting applications of
the largest program's queue (first, middle, last in the fair order) whose applicant fits
the most upcoming groups, gives each applicant a manage link (a ManageToken row, kept
for the next run), and prints for each: p50/p95 of ``manage.services.overview()``
alone, p50/p95 of the whole page through the test client, and the statements each ran.
``--explain`` also prints EXPLAIN (ANALYZE) of every statement ``overview()`` runs.

"CPU" is the processor time one ``overview()`` takes, this process's and (PostgreSQL) its
server process's together, read from /proc: on a busy machine wall times swell with
everything else running, CPU time much less. Speed is shown here, never asserted in a
test (issue 13).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.extensions import db
from intake.manage import services
from intake.manage.tokens import hash_token
from intake.models import (
    Applicant,
    Application,
    ManageToken,
)
from intake.status import states


def _cpu(dialect: str) -> float:
    """CPU seconds used so far by this process and, on PostgreSQL, by the session's
    server process: unlike wall time, not inflated by other work on the machine."""
    used = time.process_time()
    if dialect == "postgresql":
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _queue(program_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Application.id)
            .where(Application.program_id == program_id, Application.status == states.WAITLISTED)
            .order_by(Application.priority.desc(), Application.joined_at, Application.id)
        )
    )


def _pick(today) -> list[tuple[str, Application]]:
    """The first, middle and last application of the largest program's queue among
    those whose applicant fits the most groups (looked for near each place)."""
    program_id = db.session.scalar(
        select(Application.program_id)
        .where(Application.status == states.WAITLISTED)
        .group_by(Application.program_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    ids = _queue(program_id)
    picked = []
    for label, start, step in (
        ("front", 0, 1),
        ("middle", len(ids) // 2, 1),
        ("back", len(ids) - 1, -1),
    ):
        best, best_fit = None, -1
        # The best fit within 400 places of the spot.
        for i in range(start, max(-1, min(len(ids), start + 400 * step)), step):
            application = db.session.get(Application, ids[i])
            applicant = application.applicant
            fits = services.fitting_cohorts(applicant, [program_id], today).get(program_id, [])
            if len(fits) > best_fit:
                best, best_fit = application, len(fits)
        picked.append((label, best))
    return picked


def _token_for(applicant: Applicant, now) -> str:
    token = f"bench-manage-{applicant.id}"
    if db.session.scalar(select(ManageToken.id).where(ManageToken.token_hash == hash_token(token))):
        return token
    db.session.add(
        ManageToken(applicant_id=applicant.id, token_hash=hash_token(token), created_at=now)
    )
    db.session.commit()
    return token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)

    from intake import clock, create_app

    app = create_app()
    with app.app_context():
        dialect = db.engine.dialect.name
        rows = db.session.scalar(select(func.count()).select_from(Application))
        today, now = clock.today(), clock.now()
        picked = _pick(today)
        tokens = {label: _token_for(a.applicant, now) for label, a in picked}
        ids = {label: (a.id, a.applicant_id) for label, a in picked}
        queue_ids = _queue(picked[0][1].program_id)
        db.session.remove()

        print(f"{dialect}, {rows:,} applications, {len(queue_ids):,} waiting in the program")
        for label, (application_id, applicant_id) in ids.items():
            applicant = db.session.get(Applicant, applicant_id)
            _ = applicant.language_codes, applicant.availability, applicant.applications
            seen: list[tuple[str, object]] = []

            def record(_conn, _cursor, statement, parameters, *_rest, seen=seen):
                seen.append((statement, parameters))

            for _ in range(3):
                items = services.overview(applicant, today)
            event.listen(db.engine, "before_cursor_execute", record)
            items = services.overview(applicant, today)
            event.remove(db.engine, "before_cursor_execute", record)
            samples = []
            cpu_before = _cpu(dialect)
            for _ in range(args.runs):
                started = time.perf_counter()
                services.overview(applicant, today)
                samples.append((time.perf_counter() - started) * 1000)
            cpu = (_cpu(dialect) - cpu_before) / args.runs * 1000
            p50, p95 = _percentiles(samples)
            places = [(p.cohort.name, p.position) for item in items for p in item.places]
            place = queue_ids.index(application_id) + 1
            print(
                f"  {label:6} (place {place:,} of {len(queue_ids):,} in the program's queue; "
                f"{len(places)} fitting groups): overview() p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"CPU {cpu:.1f} ms (app + database), "
                f"{len(seen)} statements; places {places}"
            )
            if args.explain:
                for statement, parameters in seen:
                    prefix = (
                        "EXPLAIN ANALYZE " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
                    )
                    with db.engine.connect() as conn:
                        raw = conn.connection.driver_connection
                        cursor = raw.cursor()
                        cursor.execute(prefix + statement, parameters)
                        plan = "\n".join(
                            "      " + " ".join(str(c) for c in r) for r in cursor.fetchall()
                        )
                    print("    " + " ".join(statement.split())[:300])
                    print(plan)
            db.session.remove()

        client = app.test_client()
        for label, token in tokens.items():
            for _ in range(3):
                if client.get(f"/manage/{token}").status_code != 200:
                    raise SystemExit(f"the {label} manage page did not answer 200")
            seen_page: list[str] = []

            def record_page(_conn, _cursor, statement, *_rest, seen=seen_page):
                seen.append(statement)

            event.listen(db.engine, "before_cursor_execute", record_page)
            response = client.get(f"/manage/{token}")
            event.remove(db.engine, "before_cursor_execute", record_page)
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(f"/manage/{token}")
                samples.append((time.perf_counter() - started) * 1000)
            p50, p95 = _percentiles(samples)
            print(
                f"  {label:6} whole page: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"{len(seen_page)} statements, {len(response.data):,} bytes"
            )


if __name__ == "__main__":
    main()
