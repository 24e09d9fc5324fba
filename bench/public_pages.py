"""What a public page costs per request, in-process: SQL statements, Python function
calls and requests/s, each beside the bare DB page of ``make bench``
(``bench/baselines.py``: Flask + Flask-SQLAlchemy, one SELECT, a small Jinja template)
measured in the same run, interleaved. "3+1" statements (an older checkout, or
``pool_pre_ping`` set): three, and one ping's SELECT 1.
No server and no network: each request costs a page and the bare page alike less than
under gunicorn and wrk, so the ratios here are lower than ``make bench``'s.

    .venv/bin/python bench/public_pages.py                       # SQLite (a temp file)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/scratch \
        .venv/bin/python bench/public_pages.py

The database named by BENCH_DATABASE_URL (never the app's own DATABASE_URL) is
emptied (drop_all/create_all): give it a scratch one. Counts are stable on a busy
machine; requests/s are a median of interleaved rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baselines import make_app as bare_app
from intake import create_app, database_url
from intake.extensions import db

# The bare DB page of issue 13, the one `make bench` serves (bench/baselines.py).
BARE_URL = "/db"


def intake_app(uri: str):
    from intake.manage.tokens import mint_manage_token
    from intake.programs.services import seed_default_programs
    from tests import factories

    now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": uri,
            "CLOCK": lambda: now,
            "RATELIMIT_ENABLED": True,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_default_programs(now)
        db.session.commit()
        application = factories.add_application(now, 1)
        token = mint_manage_token(application.applicant_id, now)
        db.session.commit()
        slug = factories.program().slug
        db.engine.dispose()
    urls = {
        "home": "/",
        "program": f"/programs/{slug}",
        "screener": "/screener",
        "screener (agency)": "/screener/agency",
        "application form": "/apply",
        "manage": f"/manage/{token}",
    }
    return app, urls


def count_statements(app, client, url) -> str:
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    # pool_pre_ping's SELECT 1 goes straight to the driver: counted apart.
    dialect = engine.dialect
    real_ping = dialect.do_ping

    def ping(dbapi_connection):
        statements.append("ping")
        return real_ping(dbapi_connection)

    dialect.do_ping = ping
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        del dialect.do_ping
    pings = statements.count("ping")
    return f"{len(statements) - pings}+{pings}" if pings else str(len(statements))


def count_calls(client, url, n=20) -> int:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        client.get(url)
    profile.disable()
    return round(pstats.Stats(profile).total_calls / n)  # type: ignore[attr-defined]


def rate(client, url, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        client.get(url)
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="print the top of cProfile for this page")
    args = parser.parse_args()

    temp = None
    if os.environ.get("BENCH_DATABASE_URL"):
        uri = database_url(os.environ["BENCH_DATABASE_URL"])
    else:
        temp = tempfile.TemporaryDirectory()
        uri = f"sqlite:///{Path(temp.name) / 'bench.sqlite3'}"
    app, urls = intake_app(uri)
    bare = bare_app(uri)
    client, bare_client = app.test_client(), bare.test_client()
    from tests.helpers import complete_screener

    complete_screener(client)  # the application form needs a finished screener
    for url in urls.values():  # warm: templates compiled, connections in the pool
        for _ in range(5):
            client.get(url)
    for _ in range(5):
        bare_client.get(BARE_URL)
    # What the warm-up loaded lives as long as the process: out of the collector's reach,
    # as gunicorn.conf.py puts it in each worker (a full collection walking it would land
    # on whichever request triggers it, in the rates and in the profile).
    gc.collect()
    gc.freeze()

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            client.get(urls[args.profile])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return

    # Counted with the worker's copy of the programs warm (intake.programs.listing):
    # making it costs two statements once per PROGRAM_CACHE_SECONDS per worker.
    try:
        from intake.programs import listing
    except ImportError:  # measuring a checkout from before the copy
        listing = None
    if listing is not None:
        ticking = listing.of(app).clock
        listing.of(app).clock = lambda: 0.0
    client.get("/")
    bare_calls = count_calls(bare_client, BARE_URL)
    bare_statements = count_statements(bare, bare_client, BARE_URL)
    rows = {}
    for name, url in urls.items():
        rows[name] = {
            "statements": count_statements(app, client, url),
            "calls": count_calls(client, url),
            "ratios": [],
        }
    if listing is not None:
        listing.of(app).clock = ticking
    for _ in range(args.rounds):
        for name, url in urls.items():
            base = rate(bare_client, BARE_URL, args.seconds / 2)
            page = rate(client, url, args.seconds)
            base = (base + rate(bare_client, BARE_URL, args.seconds / 2)) / 2
            rows[name]["ratios"].append((page / base, page))

    print(f"database: {uri.split(':')[0]}")
    print(f"{'page':20} {'statements':>10} {'calls':>8} {'calls/bare':>10}", end="")
    print(f" {'req/s':>7} {'ratio':>6}")
    print(f"{'bare DB page':20} {bare_statements:>10} {bare_calls:>8} {1:>10.1f}")
    for name, row in rows.items():
        ratio = statistics.median(r for r, _ in row["ratios"])
        per_second = statistics.median(p for _, p in row["ratios"])
        print(
            f"{name:20} {row['statements']:>10} {row['calls']:>8} "
            f"{row['calls'] / bare_calls:>10.1f} {per_second:>7.0f} {ratio:>6.2f}"
        )
    if temp:
        temp.cleanup()


if __name__ == "__main__":
    main()
