"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), clients, a real SMTP server on loopback, a movable clock."""

from __future__ import annotations

import contextvars
import gc
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import NoReturn

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.util import LRUCache

from intake import create_app, database_url
from intake.extensions import db
from intake.programs.services import seed_default_programs

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# Rounds for each race test (threads meeting at a barrier). PostgreSQL runs the racers'
# transactions side by side, so many rounds there are what give a lost update a chance
# to show; SQLite lets one writer in at a time, so a few rounds prove the code path.
RACE_ROUNDS = 25 if TEST_DATABASE_URL else 3

# The browser fixtures (live_server, browser, page_js, page_nojs) for every folder.
pytest_plugins = ["tests.browser.plugin"]


class Clock:
    """A clock the app takes: tests move time instead of sleeping."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


def pytest_collection_finish():
    """The garbage collector set for a run that builds an app per test.

    What is loaded by now (modules, the collected tests) stays for the whole run:
    frozen, it is no longer walked by every full collection. Each test then leaves
    an app's worth of cycles behind; collecting every 10,000 allocations instead of
    every 700 walks the young objects far less often. In a quarter of the suite this
    took the time spent in garbage collection from 13 s to 5-6 s. gunicorn's workers freeze
    what they loaded too (gunicorn.conf.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile the catalogues as `make test` does, so a bare `pytest` sees them too."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "intake" / "translations"
    for po_path in root.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Written aside and moved into place: parallel workers may compile at once.
        partial = mo_path.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        partial.replace(mo_path)


@pytest.fixture(scope="session", autouse=True)
def _url_builders_compiled_once():
    """Each test makes its own app, and werkzeug compiles two URL-building functions
    for each of its ~460 routes (Python source through ``compile``): ~25 ms of every
    test. A route's builders depend only on its parts and defaults (converters are
    looked up on the rule when called), so the run compiles each one once. Test-only:
    werkzeug offers no cache of its own, and an app is made once per process outside
    the tests."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:  # another werkzeug: compile as it does
        yield
        return
    builders: dict = {}

    def compiled_once(rule, append_unknown=True):
        # A default is converted when compiled: the converters' types are in the key.
        key = (
            tuple(rule._trace),
            repr(sorted((rule.defaults or {}).items())),
            tuple((name, type(c)) for name, c in rule._converters.items()),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = compiled_once
    yield
    Rule._compile_builder = compile_builder


@pytest.fixture(scope="session", autouse=True)
def _engines_share_their_dialect():
    """Every engine an app of the run makes compiles with the first dialect of its kind
    (see _share_one_dialect), whichever test or fixture made the app."""
    make_engine = SQLAlchemy._make_engine

    def made_sharing(self, bind_key, options, app):
        engine = make_engine(self, bind_key, options, app)
        _share_one_dialect(engine)
        return engine

    SQLAlchemy._make_engine = made_sharing
    yield
    SQLAlchemy._make_engine = make_engine


def _worker_database(url: str) -> str:
    """Under pytest-xdist, each worker's own PostgreSQL database, named after the given
    one (test -> test_gw0) and made when missing; the given one otherwise."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    if TEST_DATABASE_URL:
        yield _worker_database(database_url(TEST_DATABASE_URL))
        return
    # In memory-backed /dev/shm where there is one: the same SQLite file semantics
    # (locks, transactions) without waiting for the disk on every commit.
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp below makes a private, unique folder in it
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    folder = tempfile.mkdtemp(prefix="intake-test-", dir=shm)
    try:
        yield f"sqlite:///{Path(folder) / 'test.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _schema(database_uri):
    """Build the schema once per session from the models; tests empty the tables."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return database_uri


def _empty_tables(engine):
    """Every table empty and every id counting from 1 again, as a new database has.

    On PostgreSQL this is DELETE, not TRUNCATE: TRUNCATE gives each of the tables a new
    file, ~50 ms a test for tables that hold a few rows (DELETE: ~1 ms). The triggers
    (foreign keys, the waitlist's derived columns) are off while it runs, as a restore
    does: every row goes, so there is nothing for them to keep. That needs a superuser,
    as the test database's owner is here; any other user gets TRUNCATE."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    # The names come from the models' metadata, not from input.
    deletes = [f"DELETE FROM {table}" for table in tables]  # noqa: S608
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            for delete in deletes:
                conn.execute(text(delete))
            return
        if not _is_superuser(conn):
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("; ".join(deletes)))
        conn.execute(
            text(
                "SELECT setval(c.oid, s.seqstart, false) FROM pg_class c"
                " JOIN pg_sequence s ON s.seqrelid = c.oid"
                " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            )
        )


def _is_superuser(conn) -> bool:
    return conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))


@pytest.fixture
def clock():
    return Clock(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))


@pytest.fixture
def app_config(tmp_path, clock):
    """Per-test settings; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "CLOCK": clock,
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        # Flask-Mail suppresses sending under TESTING; these tests use a real server.
        "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_BASE_URL": "https://intake.example.org",
        "RATELIMIT_ENABLED": False,
        # Cheap password hashing: the tests are about behaviour, not hashing cost.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "SERVER_NAME": None,
    }


class _BodyInContext:
    """A response body iterated (and closed) inside the context its request ran in."""

    def __init__(self, context: contextvars.Context, body):
        self.context = context
        self.body = body
        self.iterator = context.run(iter, body)

    def __iter__(self):
        return self

    def __next__(self):
        return self.context.run(next, self.iterator)

    def close(self):
        close, self.body = getattr(self.body, "close", None), None
        if close is not None:
            self.context.run(close)

    # A test that drops a response unread still closes it in its own context (a
    # streamed body pops the contexts it pushed when it closes).
    __del__ = close


class OwnContextClient(FlaskClient):
    """A test client whose every request runs in a fresh ``contextvars.Context``, as
    each request does under a real server.

    Flask reuses an app context that is already pushed for the same app: without
    this, a request made while the test holds ``ctx`` would share the test's ``g``
    (and the CSRF token cached there) and its database session.
    """

    def run_wsgi_app(self, environ, buffered=False):
        context = contextvars.Context()
        body, status, headers = context.run(super().run_wsgi_app, environ, buffered)
        return _BodyInContext(context, body), status, headers


class OwnContextRunner(FlaskCliRunner):
    """A CLI runner whose commands push their own app context (see OwnContextClient)."""

    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


class _TemplateCache(BytecodeCache):
    """Compiled templates kept for the whole run: each test's app would otherwise
    parse and compile every template it renders again (Jinja checks the source's
    checksum, so an edited template is compiled afresh)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _TemplateCache()


@pytest.fixture
def app(_schema, app_config):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": _schema})
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    app.test_client_class = OwnContextClient
    app.test_cli_runner_class = OwnContextRunner
    with app.app_context():
        _empty_tables(db.engine)
        seed_default_programs(app.config["CLOCK"]())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _share_one_dialect(engine) -> None:
    """The engine compiles with the first dialect made with the same settings, and
    keeps what it compiled in that dialect's cache, for the whole run.

    SQLAlchemy caches each compiled statement under a key that starts with the dialect
    object, and each test's app makes an engine, so a dialect, of its own: every test
    compiled every statement again (a quarter of the time of the database-heavy
    tests), and the mappers' caches of compiled INSERT/UPDATE/DELETE statements kept
    ~100 dead dialects alive, ~250,000 objects that every full garbage collection
    walked. A server has one engine for its life, so this is a test-only saving.

    A dialect's state after it first connected (server version, default schema) is the
    same for every engine on the same server, and the engine's own connections are
    still set up by the dialect it was made with. The attributes are SQLAlchemy's
    (``Engine.dialect``, ``Pool._dialect``, ``Engine._compiled_cache``);
    tests/test_suite_speed.py fails if they move."""
    dialect, cache = _FIRST_DIALECTS.setdefault(
        _settings(engine.dialect), (engine.dialect, LRUCache(5000))
    )
    engine.dialect = engine.pool._dialect = dialect
    engine._compiled_cache = cache


# By the settings a dialect was made with: the first such dialect, and its statements.
_FIRST_DIALECTS: dict[tuple, tuple] = {}


def _settings(dialect) -> tuple:
    """A dialect's class and the plain values it was made with (paramstyle, isolation
    level, identifier length, …), before it connects."""
    plain = (str, int, float, bool, tuple, type(None))
    attributes = sorted(
        (name, value) for name, value in vars(dialect).items() if isinstance(value, plain)
    )
    return (type(dialect), *attributes)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def htmx(app):
    """A client whose requests say they come from htmx."""
    client = app.test_client()
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """The app's context, pushed for the test's own queries and service calls.

    Requests and CLI commands still get contexts (``g``, database session) of their
    own: see OwnContextClient. The app reads its settings when it is made: a test
    that needs ``smtp`` must ask for it before anything that needs ``app``.
    """
    with app.app_context():
        yield app
        db.session.remove()


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    """Wait for ``condition()`` to hold (another thread's progress), not a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        time.sleep(0.002)


def waiting_for_a_lock(engine) -> bool:
    """On PostgreSQL: some session is blocked on a lock another holds."""
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


# A real SMTP server on loopback --------------------------------------------------


@dataclass
class SMTPSink:
    """What a real aiosmtpd server on 127.0.0.1 received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Replies to give instead of "250 OK", by recipient address (a test sets them):
    # "550 5.1.1 <a@example.org>: User unknown", "451 4.2.0 Mailbox busy".
    rcpt_replies: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd API
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd API
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
        return "250 OK"


class SocketController(Controller):
    """aiosmtpd's Controller serving on a socket the test bound beforehand (to port 0):
    the port is known, and held, before the server starts, so no other process can
    take it in between (connections are refused until the server listens)."""

    def __init__(self, handler, sock: socket.socket, **kwargs):
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock, ssl=self.ssl_context)


def missing(message: str) -> NoReturn:
    """A part an end-to-end test needs (Chromium, nginx, wrk, …) is not installed: skip,
    or fail where every such test must run (CI sets E2E_REQUIRED=1)."""
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


def bound_socket() -> socket.socket:
    """A TCP socket on a loopback port the system picked, not yet listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class SMTPServer:
    def __init__(self, sock: socket.socket):
        self.sink = SMTPSink(port=sock.getsockname()[1])
        self.controller = SocketController(self.sink, sock)
        self.running = False

    def start(self):
        self.controller.start()
        self.running = True

    def stop(self):
        if self.running:
            self.controller.stop()
            self.running = False
        if not self.controller.loop.is_closed():
            self.controller.loop.close()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.sink.messages


@pytest.fixture
def smtp_socket():
    """The test's SMTP port, held from the start (see SocketController)."""
    with bound_socket() as sock:
        yield sock


@pytest.fixture
def smtp(smtp_socket, app_config):
    """A running SMTP server; the app is configured to deliver to it."""
    server = SMTPServer(smtp_socket)
    server.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.sink.port, MAIL_TIMEOUT=5)
    yield server
    server.stop()


@pytest.fixture
def smtp_down(smtp_socket, app_config):
    """SMTP configured at a port where nothing listens yet; ``.start()`` brings it up."""
    server = SMTPServer(smtp_socket)
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.sink.port, MAIL_TIMEOUT=5)
    yield server
    server.stop()


def table_names(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def fresh_engine(uri):
    return create_engine(uri)


# Coordinators ---------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_coordinator(ctx, clock):
    """Create a coordinator (or admin); admins get a confirmed one-time-password app."""
    import pyotp
    from sqlalchemy import select

    from intake.auth.services import create_coordinator
    from intake.models import Program

    def make(email="coordinator@example.org", admin=False, programs=None, totp=None, role=None):
        chosen = list(
            db.session.scalars(select(Program).where(Program.slug.in_(programs or [])))
            if programs
            else db.session.scalars(select(Program))
        )
        user = create_coordinator(
            email=email,
            name=email.split("@")[0].title(),
            password=PASSWORD,
            now=clock(),
            admin=admin,
            programs=chosen,
            role=role,
        )
        if totp if totp is not None else admin:
            user.totp_secret = pyotp.random_base32()
            user.totp_confirmed_at = clock()
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(clock):
    """Sign a client in through the real pages (password, then code when needed)."""
    import pyotp

    from tests.helpers import csrf_token

    def sign_in(client, user):
        page = client.get("/coord/login").get_data(as_text=True)
        response = client.post(
            "/coord/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        if user.totp_secret:
            assert response.headers["Location"] == "/coord/login/code"
            page = client.get("/coord/login/code").get_data(as_text=True)
            code = pyotp.TOTP(user.totp_secret).at(clock())
            response = client.post(
                "/coord/login/code", data={"code": code, "csrf_token": csrf_token(page)}
            )
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def coordinator_client(app, make_coordinator, login):
    """A client signed in as a coordinator of every program."""
    client = app.test_client()
    client.user = make_coordinator()
    return login(client, client.user)


@pytest.fixture
def admin_client(app, make_coordinator, login):
    client = app.test_client()
    client.user = make_coordinator(email="admin@example.org", admin=True)
    return login(client, client.user)


@pytest.fixture
def statements(app):
    """The SQL statements the app's engine runs while the test goes on (to prove
    a page's query count does not grow with its rows)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)
