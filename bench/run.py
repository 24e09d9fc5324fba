"""The benchmark of issue 13: the app as in production, driven by wrk, against two baselines.

    .venv/bin/python bench/run.py                      # PostgreSQL, 10,000 and 100,000 rows
    .venv/bin/python bench/run.py --db sqlite --rows 10000 --only waitlist
    .venv/bin/python bench/run.py --out docs/bench.md --keep

For each database and size: a database of its own (dropped and made again), migrated,
seeded (``flask seed``, then ``bench/seed.py --rows N``); an admin signed in through the
real sign-in pages (password, then a one-time code); manage links minted with the app's
own code for applicants at the front, middle and back of the longest queue. Then
gunicorn with the repo's gunicorn.conf.py (2 workers), ``flask outbox deliver --loop``
into an aiosmtpd server on loopback, ``flask waitlist tick --loop``, and the baselines
(bench/baselines.py) under gunicorn on another port. Every response is checked once
before it is timed. docs/PERFORMANCE.md says how to read the table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import outbox_throughput  # noqa: E402
from bench import wrk as wrkmod  # noqa: E402
from bench.report import (  # noqa: E402
    LAUNCH_DAY_RATE,
    POST_RATIO,
    PUBLIC_RATIO,
    Row,
    alone_budget,
    format_machine,
    format_notes,
    format_table,
    pace_budget,
    ratio_budget,
    size_budget,
    wait_budget,
)

BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/intake_bench"
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
USER_AGENT = "intake-bench"
PASSWORD = "bench-password-long-enough-1"  # noqa: S105 - a throwaway account's
ADMIN_EMAIL = "bench-admin@example.org"
LOADED = ("-t2", "-c8")
ALONE = ("-t1", "-c1")
# Launch day's pace: two connections, each waiting PACED_DELAY_MS before each POST, so
# 2 / (0.2 s + a POST's 10-30 ms): 8.7 to 9.5 applications a second, a little above
# launch day's 8.3 (bench/report.py, LAUNCH_DAY_RATE).
PACED = ("-t1", "-c2")
PACED_DELAY_MS = 200
# Every RATELIMIT_* figure of intake/config.py is raised to this for the run, so the
# bench measures the app and not its 429s; the limiter still runs (in Redis) as in
# production.
HIGH_LIMIT = "1000000 per minute"
OUTBOX_MESSAGES = 500

APPLY_FIELDS = {
    "name": "Bench Applicant {n}",
    "email": "bench-{n}@example.org",
    "phone": "",
    "organisation": "Bench Family Services",
    "work_zip": "98104",
    "languages": "en",
    "availability": "weekday_evening",
    "access_needs_other": "",
    "consent": "y",
}
SCREENER_ANSWERS = {
    "works_with_young_children": "direct",
    "roles": ["home_visitor"],
    "role_other": None,
    "bipoc": "prefer_not",
    "retreat": None,
    "works_in_illinois": "yes",
}


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# Processes ------------------------------------------------------------------------------


class Processes:
    """Every process the run starts, each in a session of its own; ``stop`` ends each
    one's process group (gunicorn's workers with their master). A background loop
    (outbox, tick) that dies is started again and its last error kept for the report;
    the web servers dying ends the run."""

    RESTARTABLE = ("outbox loop", "tick loop")

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen]] = []
        self.started: dict[str, tuple[list[str], dict[str, str], Path]] = {}
        self.crashes: dict[str, list[str]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str], log: Path):
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process))
        self.started[name] = (command, env, log)
        return process

    def check(self) -> None:
        for index, (name, process) in enumerate(list(self.running)):
            if process.poll() is None:
                continue
            if name not in self.RESTARTABLE:
                raise RuntimeError(f"{name} stopped by itself (exit status {process.returncode})")
            command, env, log = self.started[name]
            lines = log.read_text(errors="replace").strip().splitlines()
            errors = [line for line in lines if "Error" in line] or lines or ["?"]
            self.crashes.setdefault(name, []).append(errors[-1])
            say(f"  {name} stopped by itself: {errors[-1]}; started again")
            self.running.pop(index)
            self.start(name, command, env, log)

    def stop(self) -> None:
        for _, process in self.running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, processes: Processes, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        processes.check()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:.0f} s")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


# A tiny HTTP client: cookies by hand, since the app's cookies are Secure (production)
# and the bench speaks plain HTTP to gunicorn, as nginx does.


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    first_byte: float = 0.0
    total: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        chunks = [answer.read(1)]
        first_byte = time.perf_counter() - started
        while chunk := answer.read(65536):
            chunks.append(chunk)
        total = time.perf_counter() - started
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        connection.close()
        return Response(
            answer.status, dict(answer.getheaders()), b"".join(chunks), first_byte, total
        )


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# The run ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One path of the table."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # Budgets: p95 alone, and a least ratio to the bare DB page under load.
    alone_p95: bool = False
    least_ratio: float | None = None
    post: bool = False
    # Checks the body of the one request made before timing (raises when wrong).
    check: Callable[[Response], str] | None = None


def rows_on(page: Response) -> str:
    rows = page.text.count('<td class="reference">')
    if not rows:
        raise RuntimeError("the waitlist page shows no rows")
    return f"{rows} rows"


@dataclass
class Setup:
    url: str
    database: str
    rows: int
    env: dict[str, str]
    folder: Path
    app_port: int
    base_port: int
    processes: Processes
    admin_cookie: str = ""
    manage: dict[str, str] = field(default_factory=dict)
    program_slug: str = ""
    program_id: int = 0
    cohort_id: int | None = None
    received: list[str] = field(default_factory=list)
    mailbox: Mailbox | None = None


def run_command(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def recreate_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from intake import database_url

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = database_url(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def sibling_database(url: str, suffix: str) -> str:
    """The URL of a database beside ``url``'s, named with ``suffix`` added."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path + suffix))


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from intake import database_url

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = database_url(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def production_env(url: str, app_port: int, smtp_port: int, redis_url: str) -> dict[str, str]:
    from intake import config

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("INTAKE_") and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=url,
        INTAKE_SECRET_KEY=secrets.token_hex(32),
        INTAKE_PUBLIC_BASE_URL=f"http://127.0.0.1:{app_port}",
        INTAKE_MAIL_SERVER="127.0.0.1",
        INTAKE_MAIL_PORT=str(smtp_port),
        INTAKE_RATELIMIT_STORAGE_URI=redis_url,
        INTAKE_RATELIMIT_KEY_PREFIX=f"bench{secrets.token_hex(4)}",
        HOST="127.0.0.1",
        WEB_CONCURRENCY="2",
    )
    for name in dir(config):
        value = getattr(config, name)
        if name.startswith("RATELIMIT_") and isinstance(value, str) and " per " in value:
            env[f"INTAKE_{name}"] = HIGH_LIMIT
    return env


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def in_process_app(env: dict[str, str]):
    """The app as the workers make it (same environment), for minting what a browser
    would otherwise get from several pages: screener drafts, manage links."""
    from intake import create_app

    with environment(env):
        return create_app()


def prepare_data(setup: Setup, app) -> None:
    """The admin account, and the manage links at the front, middle and back of the
    longest queue; the program and cohort the filters use."""
    import pyotp
    from sqlalchemy import func, select

    from intake import clock
    from intake.auth.services import create_coordinator
    from intake.extensions import db
    from intake.manage.tokens import mint_manage_token
    from intake.models import Application, Cohort, Program
    from intake.status.states import WAITLISTED

    with app.app_context():
        now = clock.now()
        admin = create_coordinator(
            email=ADMIN_EMAIL, name="Bench Admin", password=PASSWORD, now=now, admin=True
        )
        admin.totp_secret = pyotp.random_base32()
        admin.totp_confirmed_at = now
        db.session.commit()
        setup.env["BENCH_TOTP"] = admin.totp_secret

        program_id, _ = db.session.execute(
            select(Application.program_id, func.count())
            .where(Application.status == WAITLISTED)
            .group_by(Application.program_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        program = db.session.get(Program, program_id)
        setup.program_id = program_id
        setup.program_slug = program.slug
        setup.cohort_id = db.session.scalar(
            select(Cohort.id).where(Cohort.program_id == program_id).order_by(Cohort.id).limit(1)
        )
        queue = list(
            db.session.scalars(
                select(Application.applicant_id)
                .where(Application.program_id == program_id, Application.status == WAITLISTED)
                .order_by(Application.priority.desc(), Application.joined_at, Application.id)
            )
        )
        picks = {"front": 0, "middle": len(queue) // 2, "back": len(queue) - 1}
        for place, index in picks.items():
            token = mint_manage_token(queue[index], now)
            setup.manage[place] = f"/manage/{token}"
        db.session.commit()
        db.engine.dispose()


def sign_in(setup: Setup) -> str:
    """The admin's session cookie, through the real pages: password, then the code."""
    import pyotp

    client = Client(setup.app_port)
    page = client.request("GET", "/coord/login")
    answer = client.request(
        "POST",
        "/coord/login",
        {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": csrf(page.text)},
    )
    if answer.status != 303 or not answer.headers.get("Location", "").endswith("/login/code"):
        raise RuntimeError(f"sign-in: password step answered {answer.status}")
    page = client.request("GET", "/coord/login/code")
    code = pyotp.TOTP(setup.env["BENCH_TOTP"]).now()
    answer = client.request(
        "POST", "/coord/login/code", {"code": code, "csrf_token": csrf(page.text)}
    )
    if answer.status != 303:
        raise RuntimeError(f"sign-in: code step answered {answer.status}")
    return client.cookie_header()


def mint_applicants(app, count: int, program_slug: str, pool_file: Path) -> Path:
    """``count`` browser sessions, each with finished screener answers on the server
    (the app's own ``drafts.save``) and a CSRF token: what a person has after the
    screener, ready to send the application form. One line each in ``pool_file``."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from intake import clock
    from intake.extensions import db
    from intake.screener import drafts
    from intake.screener.forms import INDIVIDUAL

    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    lines = []
    with app.app_context():
        now = clock.now()
        for _ in range(count):
            with app.test_request_context("/apply", headers={"User-Agent": USER_AGENT}):
                session[INDIVIDUAL.session_key] = drafts.save(
                    None, INDIVIDUAL.kind, dict(SCREENER_ANSWERS), now
                )
                # Flask-WTF keeps the token of the request in g, which the app
                # context (shared by these requests) would hand to the next session.
                g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
                token = generate_csrf()
                cookie = f"{cookie_name}={serializer.dumps(dict(session))}"
            body = urllib.parse.urlencode(
                {
                    **APPLY_FIELDS,
                    "programs": program_slug,
                    "form_token": secrets.token_urlsafe(24),
                    "csrf_token": token,
                }
            ).replace("%7Bn%7D", "{n}")
            lines.append(f"{cookie}\t{body}")
        db.session.commit()
        db.engine.dispose()
    pool_file.write_text("\n".join(lines) + "\n")
    return pool_file


@contextlib.contextmanager
def app_database(app):
    """The app's session for a moment, between the harness's steps: afterwards its
    connections are closed, so the harness holds none beside the app it measures."""
    from intake.extensions import db

    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engine.dispose()


def confirm_seeded(app) -> None:
    """Every application's last confirmation is now (no check-in is due)."""
    from sqlalchemy import update

    from bench.seed import refresh_statistics
    from intake import clock
    from intake.models import Application

    with app_database(app) as session:
        session.execute(update(Application).values(confirmed_at=clock.now()))
        session.commit()
        # That wrote every application again after the seeder's VACUUM: on PostgreSQL
        # the visibility map was cleared and every waitlist count read the table (a
        # count 5-8 ms became 23 ms in every run before this; autovacuum would have
        # set it again within minutes in a live database).
        refresh_statistics(["applications"])


def settle_outbox(app) -> int:
    """Mark every queued e-mail as sent; how many there were."""
    from sqlalchemy import update

    from intake import clock
    from intake.models import OutboxMessage

    with app_database(app) as session:
        done = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status != "sent")
            .values(status="sent", sent_at=clock.now())
        )
        session.commit()
        return done.rowcount


def count_applicants(app) -> int:
    from sqlalchemy import func, select

    from intake.models import Applicant

    with app_database(app) as session:
        return session.scalar(select(func.max(Applicant.id))) or 0


def received_mail_check(app, after_id: int) -> tuple[int, int]:
    """(new applicants, those without exactly one "received" e-mail in the outbox)."""
    from sqlalchemy import func, select

    from intake.models import Applicant, OutboxMessage

    with app_database(app) as session:
        new = list(session.scalars(select(Applicant.id).where(Applicant.id > after_id)))
        counts = dict(
            session.execute(
                select(OutboxMessage.applicant_id, func.count())
                .where(
                    OutboxMessage.applicant_id > after_id,
                    OutboxMessage.template == "application_received",
                )
                .group_by(OutboxMessage.applicant_id)
            ).all()
        )
        return len(new), sum(1 for a in new if counts.get(a) != 1)


def wait_until_idle(
    port: int,
    *,
    workers: int = 2,
    fast_s: float = 0.02,
    in_a_row: int = 3,
    deadline_s: float = 60,
) -> None:
    """Return once the app's workers are free again. wrk stops a loaded run when its
    time is up, but the requests it had sent (up to one per connection, and more in
    the listen queue) are still served by the sync workers afterwards: a run alone
    straight after a loaded one of a slow page spent its first second behind them, and
    those waits made its p95 (four to five times the p50 on the waitlist).

    Free is ``in_a_row`` checks in a row in which ``workers`` health checks sent at
    once (one per worker: a busy worker takes none, so one free worker would answer
    every single check fast) all answer 200 within ``fast_s``. Raises after
    ``deadline_s``: a run alone behind a busy worker would be recorded as if alone."""

    def check(_) -> bool:
        started = time.perf_counter()
        answer = Client(port).request("GET", "/healthz")
        return answer.status == 200 and time.perf_counter() - started < fast_s

    deadline = time.monotonic() + deadline_s
    fast = 0
    with ThreadPoolExecutor(workers) as pool:
        while fast < in_a_row:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app's workers were still busy after {deadline_s:.0f} s")
            fast = fast + 1 if all(pool.map(check, range(workers))) else 0


def run_wrk(
    setup: Setup,
    mode: tuple[str, ...],
    port: int,
    target: Target,
    duration: int,
    pool: Path | None = None,
    delay_ms: int = 0,
) -> wrkmod.Result:
    threads = int(mode[0][2:])
    script = setup.folder / "script.lua"
    headers = {"User-Agent": USER_AGENT, **target.headers}
    script.write_text(
        wrkmod.lua_script(
            method="POST" if target.post else "GET",
            path=target.path,
            headers=headers,
            pool_file=str(pool) if pool else "",
            run_tag=secrets.token_hex(3),
            expect_status=303 if target.post else 200,
            expect_location="/apply/received" if target.post else "",
            threads=threads,
            delay_ms=delay_ms,
        )
    )
    done = subprocess.run(
        [
            "wrk",
            *mode,
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{target.path}",
        ],
        capture_output=True,
        text=True,
        timeout=duration + 90,
    )
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr[-1000:]}")
    return wrkmod.parse_output(done.stdout)


def targets(setup: Setup) -> list[Target]:
    cookie = {"Cookie": setup.admin_cookie}
    found: list[Target] = [
        Target("home", "/", least_ratio=PUBLIC_RATIO),
        Target("screener GET", "/screener", least_ratio=PUBLIC_RATIO),
        Target("program page", f"/programs/{setup.program_slug}", least_ratio=PUBLIC_RATIO),
        Target("application form GET", "/apply", least_ratio=PUBLIC_RATIO),
        Target("application POST", "/apply", least_ratio=POST_RATIO, post=True),
    ]
    for place in ("front", "middle", "back"):
        found.append(
            Target(
                f"manage page, {place} of queue",
                setup.manage[place],
                alone_p95=True,
                least_ratio=PUBLIC_RATIO,
            )
        )
    waitlist = "/coord/waitlist"
    found.append(Target("waitlist first page", waitlist, cookie, alone_p95=True, check=rows_on))
    filters = {
        "program": f"program={setup.program_id}",
        "status": "status=all",
        "language": "language=es",
        "kind": "kind=agency",
        "cohort": f"cohort={setup.cohort_id}" if setup.cohort_id else None,
    }
    for name, query in filters.items():
        if query:
            found.append(
                Target(f"filter {name}", f"{waitlist}?{query}", cookie, True, check=rows_on)
            )
    found.append(Target("search q=chen", f"{waitlist}?q=chen", cookie, True, check=rows_on))
    found.append(
        Target(
            "search agency q=head start",
            f"{waitlist}?q=head+start",
            cookie,
            True,
            check=rows_on,
        )
    )
    for sort in ("queue", "joined", "name", "program", "status", "waiting"):
        found.append(Target(f"sort {sort}", f"{waitlist}?sort={sort}", cookie, True, check=rows_on))
    found.append(
        Target(
            "htmx fragment",
            f"{waitlist}?sort=name",
            {**cookie, "HX-Request": "true"},
            True,
            check=rows_on,
        )
    )
    return found


HELLO = Target("hello (baseline)", "/hello")
BARE_DB = Target("bare DB page (baseline)", "/db")


def check_get(setup: Setup, target: Target, apply_cookie: str) -> tuple[int, str]:
    """The one request before timing: status 200 and the check; returns the body size."""
    client = Client(setup.app_port)
    headers = dict(target.headers)
    if target.path == "/apply":
        headers["Cookie"] = apply_cookie
    answer = client.request("GET", target.path, headers=headers)
    if answer.status != 200:
        raise RuntimeError(f"{target.name}: GET {target.path} answered {answer.status}")
    note = target.check(answer) if target.check else ""
    return len(answer.body), note


def check_post(setup: Setup, app, pool: Path) -> None:
    """Send the first three applications of a pool by hand: each must redirect to the
    received page and add one applicant."""
    before = count_applicants(app)
    lines = pool.read_text().splitlines()[:3]
    for line in lines:
        cookie, body = line.split("\t", 1)
        body = body.replace("{n}", f"check-{secrets.token_hex(4)}")
        connection = http.client.HTTPConnection("127.0.0.1", setup.app_port, timeout=60)
        connection.request(
            "POST",
            "/apply",
            body=body,
            headers={
                "Cookie": cookie,
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        answer = connection.getresponse()
        page = answer.read().decode("utf-8", "replace")
        location = answer.getheader("Location") or ""
        connection.close()
        if answer.status != 303 or not location.endswith("/apply/received"):
            summary = page.partition('id="error-summary"')[2][:3000]
            errors = " ".join(re.sub(r"<[^>]+>", " ", summary).split())[:500]
            raise RuntimeError(
                f"application POST answered {answer.status} → {location!r}: {errors}"
            )
    added = count_applicants(app) - before
    if added != len(lines):
        raise RuntimeError(f"{len(lines)} application POSTs added {added} applicants")


def pool_size(mode: tuple[str, ...], duration: int) -> int:
    # Far more than the app can take in that time (a few hundred a second at best).
    return (1500 if mode == LOADED else 400) * duration + 100


def measure_paths(setup: Setup, app, args, selected: list[Target]) -> list[Row]:
    rows: list[Row] = []
    baseline_runs: dict[str, list[wrkmod.Result]] = {"hello": [], "db": []}
    apply_pool = mint_applicants(app, 1, setup.program_slug, setup.folder / "apply-get.txt")
    apply_cookie = apply_pool.read_text().split("\t", 1)[0]
    for target in selected:
        setup.processes.check()
        if target.post:
            check_pool = mint_applicants(app, 3, setup.program_slug, setup.folder / "check.txt")
            check_post(setup, app, check_pool)
            size, note = None, ""
            first_new = count_applicants(app)
        else:
            size, note = check_get(setup, target, apply_cookie)
        if target.path == "/apply" and not target.post:
            target.headers = {**target.headers, "Cookie": apply_cookie}
        alone: list[wrkmod.Result] = []
        loaded: list[wrkmod.Result] = []
        hello: list[wrkmod.Result] = []
        bare: list[wrkmod.Result] = []
        for _ in range(args.rounds):
            pools = {}
            if target.post:
                for mode in (ALONE, LOADED):
                    pools[mode] = mint_applicants(
                        app,
                        pool_size(mode, args.alone_duration if mode == ALONE else args.duration),
                        setup.program_slug,
                        setup.folder / f"pool{mode[1]}.txt",
                    )
            wait_until_idle(setup.app_port)
            alone.append(
                run_wrk(setup, ALONE, setup.app_port, target, args.alone_duration, pools.get(ALONE))
            )
            hello.append(run_wrk(setup, LOADED, setup.base_port, HELLO, args.duration))
            bare.append(run_wrk(setup, LOADED, setup.base_port, BARE_DB, args.duration))
            loaded.append(
                run_wrk(setup, LOADED, setup.app_port, target, args.duration, pools.get(LOADED))
            )
        baseline_runs["hello"] += hello
        baseline_runs["db"] += bare
        if target.post:
            new, wrong = received_mail_check(app, first_new)
            posted = sum(r.ok for r in alone + loaded)
            # A request still in flight when wrk stops is not counted by wrk but is
            # sent: at most one per connection and run.
            in_flight = args.rounds * (1 + 8)
            note = f"{new} applications added, {posted} answered 303; received e-mail: " + (
                "exactly one each" if not wrong else f"**{wrong} without exactly one**"
            )
            if not posted <= new <= posted + in_flight:
                note += " **(counts differ)**"
        a, lo = wrkmod.summarise(alone), wrkmod.summarise(loaded)
        alone_row = Row(target.name, "alone", a.rate, a.p50_ms, a.p95_ms, a.p99_ms, bytes=size)
        alone_row.errors = a.errors
        if a.requests < 100 * args.rounds:
            # A p95 of a handful of requests says little: say so, with the way out.
            rough = f"only {a.requests} requests alone in {args.rounds} runs: "
            rough += "rerun with --only and a longer --alone-duration for a steady p95"
            note = f"{note}; {rough}" if note else rough
        alone_row.note = note
        if target.alone_p95:
            alone_row.budgets.append(alone_budget(a.p95_ms))
        if size is not None:
            alone_row.budgets.append(size_budget(size))
        loaded_row = Row(
            target.name,
            "loaded",
            lo.rate,
            lo.p50_ms,
            lo.p95_ms,
            lo.p99_ms,
            ratio_hello=wrkmod.ratios(loaded, hello),
            ratio_db=wrkmod.ratios(loaded, bare),
            bytes=size,
        )
        loaded_row.errors = lo.errors
        if target.least_ratio is not None:
            loaded_row.budgets.append(ratio_budget(loaded_row.ratio_db or 0.0, target.least_ratio))
        rows += [alone_row, loaded_row]
        if target.post and args.launch_seconds:
            say("  launch day: applications at launch day's pace, the e-mail's wait")
            try:
                rows.append(launch_day(setup, app, target, args.launch_seconds))
            except Exception as error:  # the table says what went wrong
                failed = Row(target.name, "launch day", note=f"**failed**: {error}"[:300])
                failed.errors = 1
                failed.budgets = [wait_budget(None)]
                rows.append(failed)
        say(f"  {target.name}: alone p95 {a.p95_ms} ms; loaded {lo.rate:.0f}/s")
    for key, target in (("hello", HELLO), ("db", BARE_DB)):
        if baseline_runs[key]:
            s = wrkmod.summarise(baseline_runs[key])
            row = Row(target.name, "loaded", s.rate, s.p50_ms, s.p95_ms, s.p99_ms)
            row.errors = s.errors
            rows.insert(0 if key == "hello" else 1, row)
    return rows


def measure_export(setup: Setup, app, rounds: int) -> list[Row]:
    """CSV export of every row: first byte and total over HTTP, against the export's own
    SELECT fetched whole through SQLAlchemy; the workers' memory meanwhile."""
    from intake.auth.scope import EVERYTHING
    from intake.extensions import db
    from intake.waitlist.export import export_query
    from intake.waitlist.queries import ALL, Filters

    path = "/coord/waitlist/export.csv?status=all"
    master = next(p for name, p in setup.processes.running if name == "app")
    workers = children(master.pid)
    before = {pid: rss_kib(pid) for pid in workers}
    peak = dict(before)
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.05):
            for pid in workers:
                with contextlib.suppress(FileNotFoundError):
                    peak[pid] = max(peak[pid], rss_kib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    firsts, totals, lines, size = [], [], 0, 0
    try:
        for _ in range(rounds):
            answer = Client(setup.app_port).request(
                "GET", path, headers={"Cookie": setup.admin_cookie}
            )
            if answer.status != 200:
                raise RuntimeError(f"CSV export answered {answer.status}")
            firsts.append(answer.first_byte)
            totals.append(answer.total)
            lines = answer.body.count(b"\n") - 1
            size = len(answer.body)
    finally:
        sampling.set()
        sampler.join()
    after = {pid: rss_kib(pid) for pid in workers}

    database_seconds = []
    with app.app_context():
        stmt = export_query(Filters(status=ALL), None, scope=EVERYTHING)
        for _ in range(rounds):
            started = time.perf_counter()
            fetched = len(db.session.execute(stmt).all())
            database_seconds.append(time.perf_counter() - started)
            db.session.remove()
        db.engine.dispose()
    if fetched != lines:
        raise RuntimeError(f"the CSV has {lines} rows, the export's SELECT {fetched}")
    total = statistics.median(totals)
    alone_db = statistics.median(database_seconds)
    first = statistics.median(firsts)
    memory = ", ".join(
        f"worker {n}: {before[p] // 1024}→{peak[p] // 1024} (peak)→{after[p] // 1024} MiB"
        for n, p in enumerate(workers, 1)
    )
    growth = max(peak[p] - before[p] for p in workers) / 1024
    row = Row(
        f"CSV export, {lines:,} rows",
        "alone",
        p50_ms=first * 1000,
        bytes=size,
        note=(
            f"first byte {first * 1000:.0f} ms, total {total:.2f} s, database alone "
            f"{alone_db:.2f} s, ratio {total / alone_db:.2f}; RSS {memory}"
        ),
    )
    row.budgets = [
        ("≤ 2× database", total <= 2 * alone_db),  # noqa: RUF001 - a multiplication sign
        ("first byte < 1 s", first < 1),
        ("memory flat (< 50 MiB growth)", growth < 50),
    ]
    return [row]


def measure_outbox(url: str) -> list[Row]:
    """bench/outbox_throughput.py into a database of its own (it drops its tables): one
    worker, and on PostgreSQL also two worker processes sharing the queue."""
    if not url.startswith("postgresql"):
        return [outbox_row("e-mail delivery (outbox)", outbox_throughput.measure(OUTBOX_MESSAGES))]
    outbox_url = sibling_database(url, "_outbox")
    recreate_postgres(outbox_url)
    from intake import database_url

    try:
        rows = []
        for workers, name in ((1, "e-mail delivery (outbox)"), (2, "e-mail delivery, 2 workers")):
            result = outbox_throughput.measure(OUTBOX_MESSAGES, database_url(outbox_url), workers)
            rows.append(outbox_row(name, result))
        return rows
    finally:
        drop_postgres(outbox_url)


def outbox_row(name: str, result: outbox_throughput.Throughput) -> Row:
    row = Row(
        name,
        "alone",
        rate=result.outbox_rate,
        note=(
            f"{result.outbox_received} messages; plain smtplib {result.plain_rate:.0f}/s "
            f"(one connection), ratio {result.ratio:.2f}"
        ),
    )
    row.budgets = [("≥ 200 messages/s", result.outbox_rate >= 200)]
    if result.outbox_received != OUTBOX_MESSAGES:
        row.errors = OUTBOX_MESSAGES - result.outbox_received
    return row


class Mailbox:
    """aiosmtpd counting what the outbox worker delivers during the run, and when each
    recipient's message arrived (the epoch's seconds)."""

    def __init__(self) -> None:
        self.count = 0
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002 - aiosmtpd API
        self.count += 1
        now = time.time()
        for recipient in envelope.rcpt_tos:
            self.arrived[recipient.lower()] = now
        return "250 OK"


class QueueWatch:
    """The most e-mails queued in the outbox at once, looked at every quarter second on a
    connection of its own while the block runs."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        from intake import database_url

        self.engine = create_engine(database_url(url))
        self.most = 0
        self.error: str | None = None  # why it stopped looking, if it did
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        from sqlalchemy import text

        queued = text("SELECT count(*) FROM outbox_messages WHERE status = 'queued'")
        try:
            with self.engine.connect() as connection:
                while not self._stop.wait(0.25):
                    self.most = max(self.most, connection.execute(queued).scalar() or 0)
                    connection.rollback()
        except Exception as error:  # the note says so, not a thread's traceback
            self.error = f"{type(error).__name__}: {error}".splitlines()[0][:200]

    def __enter__(self) -> QueueWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def due_count(app) -> int:
    """Queued e-mails the delivery loop should send now (not those waiting out a back-off)."""
    from sqlalchemy import func, select

    from intake import clock
    from intake.models import OutboxMessage

    with app_database(app) as session:
        due = select(func.count()).where(
            OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= clock.now()
        )
        return session.scalar(due) or 0


def wait_for_outbox(setup: Setup, app, timeout_s: float) -> int:
    """Wait until the delivery loop has sent every e-mail that is due; how many are left.
    A loop that died meanwhile is named (``Processes.check``), not waited for."""
    deadline = time.monotonic() + timeout_s
    while (left := due_count(app)) and time.monotonic() < deadline:
        setup.processes.check()
        time.sleep(0.25)
    return left


def received_waits(app, after_id: int, arrived: dict[str, float]) -> tuple[list[float], int]:
    """Seconds from each new applicant's "received" e-mail being queued (the POST's
    moment) to its arrival at the SMTP server; and how many never arrived."""
    from sqlalchemy import select

    from intake.models import OutboxMessage

    with app_database(app) as session:
        queued = session.execute(
            select(OutboxMessage.to_addr, OutboxMessage.created_at).where(
                OutboxMessage.applicant_id > after_id,
                OutboxMessage.template == "application_received",
            )
        ).all()
    waits, missing = [], 0
    for address, created in queued:
        at = arrived.get(address.lower())
        if at is None:
            missing += 1
            continue
        waits.append(at - created.timestamp())  # UTCDateTime: aware, on both databases
    return waits, missing


def launch_day(setup: Setup, app, target: Target, seconds: int) -> Row:
    """Issue 13: "launch day's backlog never more than a few seconds". Applications at
    launch day's pace (PACED) for ``seconds``, with the delivery loop running as in
    production; then how long each one's "received" e-mail waited, and the most e-mails
    queued at once."""
    if setup.mailbox is None:
        raise RuntimeError("launch day needs the run's SMTP server")
    left = wait_for_outbox(setup, app, 120)  # what the loaded runs queued goes out first
    if left:
        raise RuntimeError(f"the outbox still held {left} e-mails due after 120 s")
    count = math.ceil(LAUNCH_DAY_RATE * seconds * 1.5) + 10
    pool = mint_applicants(app, count, setup.program_slug, setup.folder / "launch-day.txt")
    wait_until_idle(setup.app_port)  # the loaded runs' last POSTs are in before counting
    first_new = count_applicants(app)
    with QueueWatch(setup.url) as watch:
        result = run_wrk(
            setup, PACED, setup.app_port, target, seconds, pool, delay_ms=PACED_DELAY_MS
        )
        left = wait_for_outbox(setup, app, 60)
    waits, missing = received_waits(app, first_new, setup.mailbox.arrived)
    new, wrong = received_mail_check(app, first_new)
    row = Row(target.name, "launch day", result.rate, result.p50_ms, result.p95_ms, result.p99_ms)
    row.errors = result.errors + missing + wrong
    row.budgets.append(wait_budget(max(waits) if waits and not missing else None))
    row.budgets.append(pace_budget(result.rate))
    row.note = (
        f"{new} applications in {seconds} s at {result.rate:.1f}/s (launch day "
        f'{LAUNCH_DAY_RATE:.1f}/s), {result.ok} answered 303; their "received" e-mails '
        f"waited p50 {percentile(waits, 50):.1f} s, p95 {percentile(waits, 95):.1f} s, "
        f"longest {max(waits, default=math.nan):.1f} s; at most {watch.most} e-mails "
        "queued at once"
    )
    if missing or left or wrong:
        row.note += f" **({missing} never arrived, {left} still queued, {wrong} without one)**"
    if watch.error:
        row.note += f" (the count of queued e-mails stopped: {watch.error})"
    return row


def percentile(values: list[float], pct: float) -> float:
    """The ``pct``th percentile (nearest rank); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def run_one(args, database: str, rows: int, machine: dict[str, str]) -> str:
    """One database at one size: set up, measure, tear down; the markdown section."""
    from sqlalchemy import create_engine, text

    processes = Processes()
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    url = args.pg_url if database == "postgresql" else f"sqlite:///{folder}/bench.sqlite3"
    smtp_socket = socket.socket()
    smtp_socket.bind(("127.0.0.1", 0))
    mailbox = Mailbox()
    smtp = outbox_throughput.BoundController(mailbox, smtp_socket)
    smtp.start()
    app_port, base_port = free_port(), free_port()
    env = production_env(url, app_port, smtp_socket.getsockname()[1], args.redis)
    setup = Setup(
        url, database, rows, env, folder, app_port, base_port, processes=processes, mailbox=mailbox
    )
    started = time.monotonic()
    settled = 0
    try:
        say(f"== {database}, {rows:,} rows: preparing the database")
        if database == "postgresql":
            recreate_postgres(url)
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        run_command([*flask, "db", "upgrade"], env, "flask db upgrade")
        run_command([*flask, "seed"], env, "flask seed")
        seeding = time.monotonic()
        run_command(
            [str(BIN / "python"), "bench/seed.py", "--rows", str(rows)], env, "bench/seed.py"
        )
        say(f"   seeded in {time.monotonic() - seeding:.0f} s")
        app = in_process_app(env)
        prepare_data(setup, app)
        # Seeded people joined over two years and never confirmed: the first tick would
        # e-mail a check-in to most of them (55,000 at 100k rows, half an hour of
        # rendering), a backlog a running system never has. As in a system that has
        # been checking in all along, they confirmed recently; then one tick runs, and
        # what it queued is marked sent, so the loops start with nothing to catch up on.
        confirm_seeded(app)
        run_command([*flask, "waitlist", "tick"], env, "flask waitlist tick")
        settled = settle_outbox(app)

        logs = folder / "logs"
        logs.mkdir()
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        processes.start(
            "app", [*gunicorn, "wsgi:app"], {**env, "PORT": str(app_port)}, logs / "app.log"
        )
        processes.start(
            "baselines",
            [*gunicorn, "bench.baselines:app"],
            {**env, "PORT": str(base_port)},
            logs / "baselines.log",
        )
        processes.start(
            "outbox loop", [*flask, "outbox", "deliver", "--loop"], env, logs / "outbox.log"
        )
        processes.start("tick loop", [*flask, "waitlist", "tick", "--loop"], env, logs / "tick.log")
        wait_for_port(app_port, processes)
        wait_for_port(base_port, processes)
        setup.admin_cookie = sign_in(setup)

        selected = [
            t
            for t in targets(setup)
            if not args.only or any(word in t.name.lower() for word in args.only)
        ]
        table_rows = measure_paths(setup, app, args, selected) if selected else []
        if not args.only or any(w in "csv export" for w in args.only):
            say("  CSV export")
            try:
                table_rows += measure_export(setup, app, args.rounds)
            except Exception as error:  # the table says what went wrong
                failed = Row("CSV export", "alone", note=f"**failed**: {error}"[:300])
                failed.errors = 1
                failed.budgets = [("≤ 2× database", False)]  # noqa: RUF001
                table_rows.append(failed)
        if not args.only or any(w in "e-mail delivery" for w in args.only):
            say("  e-mail delivery")
            table_rows += measure_outbox(url)
        processes.check()
        if database == "postgresql":
            from intake import database_url

            engine = create_engine(database_url(url))
            with engine.connect() as connection:
                machine["PostgreSQL"] = connection.execute(text("SHOW server_version")).scalar()
            engine.dispose()
    except BaseException:
        for log in sorted((folder / "logs").glob("*.log")) if (folder / "logs").exists() else []:
            say(f"--- {log.name} (last lines)")
            say("\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        raise
    finally:
        processes.stop()
        smtp.stop()
        if not args.keep:
            if database == "postgresql":
                with contextlib.suppress(Exception):
                    drop_postgres(url)
            shutil.rmtree(folder, ignore_errors=True)
        elif database == "sqlite":
            say(f"   kept {folder}/bench.sqlite3")
    minutes = (time.monotonic() - started) / 60
    crashes = "".join(
        f"\n**{name} stopped by itself {len(errors)} time(s)** (started again), last: "
        f"`{errors[-1][:300]}`\n"
        for name, errors in processes.crashes.items()
    )
    title = "PostgreSQL" if database == "postgresql" else "SQLite"
    return (
        f"### {title}, {rows:,} applications\n\n"
        f"{format_table(table_rows)}\n\n"
        f"{format_notes(table_rows)}\n\n"
        f"The first tick over the seeded data queued {settled:,} e-mails, marked sent before "
        f"the loops started. {mailbox.count} e-mails reached the SMTP server during the run. "
        f"wrk runs of {args.alone_duration} s alone and {args.duration} s loaded, "
        f"{args.rounds} rounds, medians; "
        f"this section took {minutes:.1f} minutes.\n{crashes}"
    )


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=12"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "load average at start (1, 5, 15 min)": load,
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "wrk": (wrk_version.stdout + wrk_version.stderr).split("Copyright")[0].strip(),
        "git commit": commit,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        default="postgresql,sqlite",
        help="postgresql, sqlite, or both (the default): postgresql,sqlite",
    )
    parser.add_argument("--rows", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument(
        "--duration", type=int, default=1, help="seconds per loaded wrk run (default 1)"
    )
    parser.add_argument(
        "--alone-duration",
        type=int,
        default=3,
        help="seconds per one-connection run, whose p95 the budgets read (default 3)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, medians (default 3)")
    parser.add_argument(
        "--only", default="", help="comma-separated substrings of path names to run"
    )
    parser.add_argument(
        "--launch-seconds",
        type=int,
        default=30,
        help="after the application POST: seconds of applications at launch day's pace, "
        "timing each one's e-mail (default 30; 0 leaves it out)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--out", help="also write the tables to this markdown file")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
        help=f"PostgreSQL database to drop and make again (default {DEFAULT_PG}, "
        "or BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--redis",
        default=DEFAULT_REDIS,
        help=f"rate-limit storage (default {DEFAULT_REDIS})",
    )
    args = parser.parse_args(argv)
    if args.launch_seconds < 0:
        parser.error("--launch-seconds: 0 or more")
    args.databases = [d.strip() for d in args.db.split(",") if d.strip()]
    for database in args.databases:
        if database not in ("postgresql", "sqlite"):
            parser.error(f"--db: unknown database {database!r}")
    args.sizes = [int(r.replace("_", "")) for r in args.rows.split(",") if r.strip()]
    args.only = [w.strip().lower() for w in args.only.split(",") if w.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        say("wrk is not installed: apt-get install wrk")
        return 2

    def stop_on_term(signum, frame):  # noqa: ARG001 - signal API
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    machine = machine_info()
    sections: list[str] = []

    def write() -> str:
        text = "\n".join(sections) + "\nMachine:\n\n" + format_machine(machine) + "\n"
        if args.out:
            Path(args.out).write_text(text)
        return text

    try:
        for database in args.databases:
            for rows in args.sizes:
                sections.append(run_one(args, database, rows, machine))
                # Each table as soon as it is made: a later failure keeps it.
                print(sections[-1], flush=True)
                write()
    except KeyboardInterrupt:
        say("stopped; every process the bench started is stopped too")
        return 130
    print("Machine:\n\n" + format_machine(machine))
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
