"""The application POST in process: its time, its CPU and the database driver's share,
beside the bare DB page in the same rounds; with ``--by-hand`` (PostgreSQL), the same
statements written with psycopg alone, no SQLAlchemy and no Flask.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/intake_bench \\
        .venv/bin/python bench/application_post.py [--posts 300] [--rounds 3] [--by-hand]
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/application_post.py --profile

On a database with the app's tables and programs (``bench/run.py --keep`` leaves one, or
``flask db upgrade``, ``flask seed`` and ``bench/seed.py``). Every POST adds an applicant,
its rows and its e-mail, as the real form does: give it a scratch database. The app runs
with the production settings ``make bench`` gives its workers (``bench/run.py``), rate
limits in Redis (``--redis``); each POST is a browser session that finished the screener
(``mint_applicants``). ``docs/PERFORMANCE.md``, "Then: where a POST's time goes", reads
its figures.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import hashlib
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as harness
from intake import database_url

# POSTs sent before the rounds, untimed (they add applications too).
WARM_UP_POSTS = 20


@dataclass
class Round:
    post_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    driver_s: float = 0.0
    statements: int = 0

    def line(self, number: int) -> str:
        posts = len(self.post_ms)
        post, bare = statistics.median(self.post_ms), statistics.median(self.bare_ms)
        return (
            f"round {number}: POST {post:.2f} ms (median of {posts}), "
            f"CPU {self.cpu_s / posts * 1000:.2f} ms, "
            f"in the driver {self.driver_s / posts * 1000:.2f} ms "
            f"({self.statements / posts:.1f} statements and the commit); "
            f"bare DB page {bare:.2f} ms; ratio {bare / post:.3f}"
        )


def call(app, environ: dict) -> tuple[str, list[tuple[str, str]]]:
    """One request through the WSGI app: its status line and headers."""
    answer: list = []
    for _chunk in app(environ, lambda status, headers, *_: answer.extend((status, headers))):
        pass
    return answer[0], answer[1]


def post_environs(app, count: int, program_slug: str, folder: Path) -> list[dict]:
    """``count`` application POSTs, each from its own browser session with finished
    screener answers."""
    pool = harness.mint_applicants(app, count, program_slug, folder / "posts.txt")
    environs = []
    for line in pool.read_text().splitlines():
        cookie, body = line.split("\t", 1)
        body = body.replace("{n}", secrets.token_hex(4))
        environs.append(
            EnvironBuilder(
                path="/apply",
                method="POST",
                data=body.encode(),
                content_type="application/x-www-form-urlencoded",
                headers={"Cookie": cookie, "User-Agent": harness.USER_AGENT},
            ).get_environ()
        )
    return environs


def bare_environ() -> dict:
    return EnvironBuilder(path="/db", headers={"User-Agent": harness.USER_AGENT}).get_environ()


def send(app, environ: dict) -> None:
    status, headers = call(app, environ)
    location = dict(headers).get("Location", "")
    if not status.startswith("303") or not location.endswith("/apply/received"):
        raise SystemExit(f"POST /apply answered {status} → {location!r}, not the received page")


class DriverClock:
    """The time a POST spends in the database driver: every statement (SQLAlchemy's
    cursor events) and every commit and rollback (the dialect's, wrapped as
    bench/public_pages.py wraps its ping). One thread: one statement at a time."""

    def __init__(self, engine) -> None:
        self.engine, self.dialect = engine, engine.dialect
        self.seconds, self.statements = 0.0, 0
        self._started = 0.0

    def _before(self, *_args) -> None:
        self._started = time.perf_counter()

    def _after(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1

    def _timed(self, name: str):
        real = getattr(self.dialect, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed

    def __enter__(self) -> DriverClock:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        for name in ("do_commit", "do_rollback"):
            setattr(self.dialect, name, self._timed(name))
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)
        for name in ("do_commit", "do_rollback"):
            delattr(self.dialect, name)


def measure(app, bare, args, folder: Path) -> list[Round]:
    from intake.extensions import db

    with app.app_context():
        engine = db.engine
    # Warm, then out of the collector's reach, as a worker is (gunicorn.conf.py's
    # post_worker_init): templates compiled, statements cached, a connection open.
    for environ in post_environs(app, WARM_UP_POSTS, args.program, folder):
        send(app, environ)
        call(bare, bare_environ())
    gc.collect()
    gc.freeze()
    rounds: list[Round] = []
    for number in range(1, args.rounds + 1):
        environs = post_environs(app, args.posts, args.program, folder)
        this = Round()
        with DriverClock(engine) as driver:
            # Interleaved, one POST then one bare page; the CPU is the POSTs' own.
            for environ in environs:
                cpu, begun = time.process_time(), time.perf_counter()
                send(app, environ)
                this.post_ms.append((time.perf_counter() - begun) * 1000)
                this.cpu_s += time.process_time() - cpu
                # The bare page has an engine of its own: the driver's clock skips it.
                environ = bare_environ()
                begun = time.perf_counter()
                call(bare, environ)
                this.bare_ms.append((time.perf_counter() - begun) * 1000)
        this.driver_s, this.statements = driver.seconds, driver.statements
        rounds.append(this)
        print(this.line(number), flush=True)
    return rounds


def profile(app, args, folder: Path) -> None:
    environs = post_environs(app, args.posts, args.program, folder)
    profiler = cProfile.Profile()
    profiler.enable()
    for environ in environs:
        send(app, environ)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"{stats.total_calls / len(environs):,.0f} Python calls a POST")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(30)


# The POST's statements by hand ---------------------------------------------------------


def _utc_now() -> datetime.datetime:
    # The app's columns hold UTC without a zone (intake.models.UTCDateTime).
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


BODY = "Hello Bench Applicant,\n\nThank you for applying.\n" * 20


def by_hand(url: str, program_slug: str, posts: int, rounds: int) -> None:
    """What one individual application POST asks of PostgreSQL (the screener's answers
    read, the programs and windows, the duplicates, the seven tables written, the draft
    deleted, the commit), in psycopg alone: one statement after another, then in
    psycopg's pipeline mode (one sync after each statement whose id the next needs)."""
    import psycopg
    from psycopg.types.json import Json

    from bench.baselines import SELECT_PROGRAM
    from intake.status.states import OPEN_STATUSES

    open_statuses = sorted(OPEN_STATUSES)

    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        found = cursor.execute(
            "SELECT id FROM programs WHERE slug = %s AND kind = 'individual' AND is_open",
            (program_slug,),
        ).fetchone()
        if found is None:
            raise SystemExit(f"no open individual program {program_slug!r}: seed the programs")
        program_id = found[0]

        def draft() -> str:
            key = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
            now = _utc_now()
            cursor.execute(
                "INSERT INTO screener_drafts (key_hash, kind, answers, created_at, expires_at)"
                " VALUES (%s, 'individual', %s, %s, %s)",
                (key, Json({"roles": ["home_visitor"]}), now, now + datetime.timedelta(hours=1)),
            )
            connection.commit()
            return key

        def reads_and_applicant(key: str, now, email: str) -> None:
            cursor.execute(
                "SELECT answers FROM screener_drafts"
                " WHERE key_hash = %s AND kind = 'individual' AND expires_at > %s",
                (key, now),
            )
            cursor.execute(
                "SELECT programs.*, w.* FROM programs"
                " LEFT JOIN application_windows w ON programs.id = w.program_id"
                " WHERE programs.is_open AND programs.kind = 'individual'"
                " ORDER BY programs.position, w.opens_at"
            )
            cursor.execute(
                "SELECT a.program_id, a.id, 'same_email' FROM applications a"
                " JOIN applicants p ON p.id = a.applicant_id"
                " WHERE a.program_id = ANY(%s) AND a.status = ANY(%s) AND p.email_key = %s",
                ([program_id], open_statuses, email),
            )
            cursor.execute(
                "INSERT INTO applicants (kind, name, email, email_key, organisation, work_zip,"
                " roles, access_needs, consent_contact, locale, answers, form_token,"
                " created_at) VALUES ('individual', %s, %s, %s, 'Bench Family Services',"
                " '98104', %s, %s, true, 'en', %s, %s, %s) RETURNING id",
                (
                    f"By Hand {email}",
                    email,
                    email,
                    Json(["home_visitor"]),
                    Json([]),
                    Json({"works_with_young_children": "direct"}),
                    secrets.token_urlsafe(24),
                    now,
                ),
            )

        def rows_and_application(applicant_id: int, now, email: str) -> None:
            cursor.execute(
                "INSERT INTO applicant_availability (applicant_id, slot)"
                " VALUES (%s, 'weekday_evening')",
                (applicant_id,),
            )
            cursor.execute(
                "INSERT INTO applicant_languages (applicant_id, code) VALUES (%s, 'en')",
                (applicant_id,),
            )
            cursor.execute(
                "INSERT INTO applications (applicant_id, program_id, reference, status,"
                " decision, priority, seats_requested, joined_at, created_at, updated_at,"
                " search_text) VALUES (%s, %s, %s, 'waitlisted', %s, 0, 1, %s, %s, %s, %s)"
                " RETURNING id, match_mask, sort_name",
                (
                    applicant_id,
                    program_id,
                    secrets.token_hex(5).upper(),
                    Json({"outcome": "pass", "rules": []}),
                    now,
                    now,
                    now,
                    f"by hand {email}",
                ),
            )

        def the_rest(applicant_id: int, application_id: int, key: str, now, email: str) -> None:
            cursor.execute(
                "INSERT INTO self_identifications (applicant_id, bipoc) VALUES (%s, 'prefer_not')",
                (applicant_id,),
            )
            cursor.executemany(
                "INSERT INTO status_events (application_id, from_status, to_status, actor,"
                " reason, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (application_id, None, "submitted", "applicant", None, now),
                    (application_id, "submitted", "eligible", "system", "All passed.", now),
                    (application_id, "eligible", "waitlisted", "system", None, now),
                ],
            )
            cursor.execute(
                "INSERT INTO outbox_messages (dedup_key, template, to_addr, reply_to, subject,"
                " text_body, html_body, locale, forget_recipient, applicant_id, links,"
                " link_nonce, status, attempts, next_attempt_at, created_at) VALUES (%s,"
                " 'application_received', %s, 'coordinators@localhost', 'We received it',"
                " %s, %s, 'en', false, %s, %s, %s, 'queued', 0, %s, %s) RETURNING id",
                (
                    f"received:{applicant_id}",
                    email,
                    BODY,
                    BODY,
                    applicant_id,
                    Json([{"slot": "manage_url", "kind": "manage"}]),
                    secrets.token_hex(16),
                    now,
                    now,
                ),
            )
            cursor.execute("DELETE FROM screener_drafts WHERE key_hash = %s", (key,))

        def one(key: str, pipeline: bool) -> None:
            now = _utc_now()
            email = f"by-hand-{secrets.token_hex(4)}@example.org"
            if pipeline:
                with connection.pipeline():
                    reads_and_applicant(key, now, email)
                applicant_id = cursor.fetchone()[0]  # type: ignore[index]
                with connection.pipeline():
                    rows_and_application(applicant_id, now, email)
                application_id = cursor.fetchone()[0]  # type: ignore[index]
                with connection.pipeline():
                    the_rest(applicant_id, application_id, key, now, email)
            else:
                reads_and_applicant(key, now, email)
                applicant_id = cursor.fetchone()[0]  # type: ignore[index]
                rows_and_application(applicant_id, now, email)
                application_id = cursor.fetchone()[0]  # type: ignore[index]
                the_rest(applicant_id, application_id, key, now, email)
            connection.commit()

        for number in range(1, rounds + 1):
            figures = {}
            for mode in ("one after another", "pipeline"):
                keys = [draft() for _ in range(posts)]
                times = []
                for key in keys:
                    begun = time.perf_counter()
                    one(key, mode == "pipeline")
                    times.append((time.perf_counter() - begun) * 1000)
                figures[mode] = statistics.median(times)
            times = []
            for _ in range(posts):
                begun = time.perf_counter()
                cursor.execute(SELECT_PROGRAM.text)
                cursor.fetchone()
                connection.commit()
                times.append((time.perf_counter() - begun) * 1000)
            figures["a SELECT and a commit"] = statistics.median(times)
            said = ", ".join(f"{mode} {ms:.2f} ms" for mode, ms in figures.items())
            print(f"by hand, round {number}: {said}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=_positive, default=300, help="POSTs a round (default 300)")
    parser.add_argument("--rounds", type=_positive, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--program", default="introductory", help="the program applied to (its slug)"
    )
    parser.add_argument(
        "--redis",
        default=harness.DEFAULT_REDIS,
        help=f"rate-limit storage (default {harness.DEFAULT_REDIS})",
    )
    parser.add_argument("--profile", action="store_true", help="add a cProfile of the POSTs")
    parser.add_argument(
        "--by-hand", action="store_true", help="add the statements by hand (PostgreSQL)"
    )
    args = parser.parse_args(argv)
    args.url = os.environ.get("DATABASE_URL", "")
    if not args.url:
        parser.error("DATABASE_URL: the database to measure on (it gains applications)")
    if args.by_hand and make_url(database_url(args.url)).get_backend_name() != "postgresql":
        parser.error("--by-hand: PostgreSQL only")
    return args


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = harness.production_env(args.url, 8999, 2525, args.redis)
    app = harness.in_process_app(env)
    with harness.environment(env):
        from bench import baselines

        with tempfile.TemporaryDirectory(prefix="post-bench-") as folder:
            measure(app, baselines.app, args, Path(folder))
            if args.profile:
                profile(app, args, Path(folder))
    if args.by_hand:
        # psycopg's own spelling of the URL (no "+psycopg"), password kept.
        url = make_url(database_url(args.url)).set(drivername="postgresql")
        by_hand(url.render_as_string(hide_password=False), args.program, args.posts, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
