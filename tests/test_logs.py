"""No secret link, e-mail address or self-identification answer in any log.

The journey test captures every log record the process makes (root logger at
DEBUG; SQL echo off, as in production, but SQL errors on), the development server's
request lines, and gunicorn's access log as the shipped gunicorn.conf.py writes it,
over an applicant's whole journey and a forced 500 whose SQL carries their data.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import runpy
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from gunicorn.config import Config
from sqlalchemy import select, text
from werkzeug.serving import make_server

from intake.extensions import db
from intake.gunicorn_logging import RedactingLogger
from intake.logredact import redact_text, redact_url
from intake.manage import services as manage_services
from intake.models import Applicant, Application
from intake.outbox.delivery import deliver_due
from tests.browser.plugin import closes_its_files
from tests.conftest import bound_socket
from tests.factories import add_cohort
from tests.helpers import (
    APPLICATION_DETAILS,
    complete_screener,
    csrf_token,
    open_application,
)
from tests.respond.support import offer, press

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash") or "/bin/bash"
LINK = re.compile(r"https://intake\.example\.org(/(?:manage|respond/[a-z_]+)/[^\s\"<>]+)")


def shipped_config(**overrides) -> Config:
    """gunicorn's settings as gunicorn.conf.py makes them, then ``overrides``."""
    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    for name, value in overrides.items():
        cfg.set(name, value)
    return cfg


@pytest.fixture
def access_logger(tmp_path):
    """gunicorn's logger as the shipped config makes it, writing to a file;
    ``make(**overrides)`` returns (logger, file)."""
    made = []

    def make(**overrides):
        log_file = tmp_path / f"access-{len(made)}.log"
        cfg = shipped_config(accesslog=str(log_file), **overrides)
        logger = cfg.logger_class(cfg)
        made.append(logger)
        return logger, log_file

    yield make
    for logger in made:
        for handler in logger.access_log.handlers + logger.error_log.handlers:
            handler.close()


def fake_access(logger, environ: dict, status="200 OK", headers=()):
    """What gunicorn's worker passes to ``Logger.access`` after a response."""
    request_headers = [
        (key[5:].replace("_", "-"), value) for key, value in environ.items() if key[:5] == "HTTP_"
    ]
    response = SimpleNamespace(status=status, sent=123, headers=list(headers))
    logger.access(
        response, SimpleNamespace(headers=request_headers), environ, timedelta(milliseconds=4)
    )


def environ_for(raw_uri: str, method="GET", **headers) -> dict:
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_USER_AGENT": "Test browser",
    }
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return environ


# The gunicorn access logger ------------------------------------------------------------

MANAGE_TOKEN = "Zq3mV8pL0sXc7RkT2wYbN5hJ9dFg4aUe6iOo1yKxQ_-"
ACTION_TOKEN = "eyJhIjoxMjN9.Z0Abcd.kS9f-2Vq_xYz"


def test_the_shipped_config_logs_access_to_stdout_through_the_redacting_logger(monkeypatch):
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    cfg = shipped_config()
    assert cfg.logger_class is RedactingLogger
    assert cfg.accesslog == "-"
    assert cfg.bind == ["0.0.0.0:8000"]
    assert "%(f)s" not in cfg.access_log_format
    assert "%(q)s" not in cfg.access_log_format
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "9001")
    assert shipped_config().bind == ["127.0.0.1:9001"]


@pytest.mark.parametrize(
    ("raw_uri", "expected"),
    [
        (f"/manage/{MANAGE_TOKEN}", "/manage/[redacted]"),
        (f"/manage/{MANAGE_TOKEN}/data.json?lang=es", "/manage/[redacted]/data.json?lang=es"),
        (f"/manage/{MANAGE_TOKEN}/withdraw/RPG-0042", "/manage/[redacted]/withdraw/RPG-0042"),
        (f"/respond/accept/{ACTION_TOKEN}", "/respond/accept/[redacted]"),
        (f"/coord/reset/{ACTION_TOKEN}", "/coord/reset/[redacted]"),
        (
            f"/coord/search?q=rosa%40example.org&token={ACTION_TOKEN}&page=2",
            "/coord/search?q=[redacted]&token=[redacted]&page=2",
        ),
        ("/manage/link", "/manage/link"),
        ("/manage/link/sent", "/manage/link/sent"),
        ("/manage/deleted?lang=zh", "/manage/deleted?lang=zh"),
        ("/screener?program=bipoc-intensive", "/screener?program=bipoc-intensive"),
    ],
)
def test_the_access_log_line_redacts_tokens_and_query_values(access_logger, raw_uri, expected):
    logger, log_file = access_logger()
    fake_access(
        logger,
        environ_for(raw_uri, REFERER=f"https://intake.example.org/manage/{MANAGE_TOKEN}"),
    )
    line = log_file.read_text()
    assert f'"GET {expected} HTTP/1.1" 200 123' in line, line
    assert MANAGE_TOKEN not in line
    assert ACTION_TOKEN not in line
    assert "example.org" not in line  # neither the Referer nor the searched address
    assert "203.0.113.9" in line
    assert "Test browser" in line


def test_no_atom_brings_a_secret_back_whatever_the_format(access_logger):
    every_atom = " ".join(
        f"%({atom})s"
        for atom in (
            "r",
            "U",
            "q",
            "f",
            "u",
            "{referer}i",
            "{cookie}i",
            "{authorization}i",
            "{location}o",
            "{set-cookie}o",
            "{raw_uri}e",
            "{request_uri}e",
            "{path_info}e",
            "{query_string}e",
            "{http_referer}e",
            "{http_cookie}e",
            "{wsgi.input}e",
        )
    )
    logger, log_file = access_logger(access_log_format=every_atom)
    environ = environ_for(
        f"/manage/{MANAGE_TOKEN}/details?email=rosa@example.org&token={ACTION_TOKEN}",
        method="POST",
        REFERER=f"https://intake.example.org/respond/accept/{ACTION_TOKEN}",
        COOKIE=f"session={ACTION_TOKEN}",
        AUTHORIZATION="Basic cm9zYTpzZWNyZXQ=",
    )
    environ["REQUEST_URI"] = environ["RAW_URI"]
    environ["wsgi.input"] = io.BytesIO(b"name=Rosa")
    fake_access(
        logger,
        environ,
        status="303 SEE OTHER",
        headers=[
            ("Location", f"/manage/{MANAGE_TOKEN}"),
            ("Set-Cookie", f"session={ACTION_TOKEN}; HttpOnly"),
        ],
    )
    line = log_file.read_text()
    for secret in (MANAGE_TOKEN, ACTION_TOKEN, "rosa@example.org", "cm9zYTpzZWNyZXQ", "Rosa"):
        assert secret not in line, line
    assert "/manage/[redacted]/details" in line


def test_text_redaction_of_the_lines_frameworks_write():
    lines = {
        # Flask, on an exception in a view.
        f"Exception on /manage/{MANAGE_TOKEN}/data.json [GET]": (
            "Exception on /manage/[redacted]/data.json [GET]"
        ),
        # werkzeug's development server.
        f'127.0.0.1 - - [26/Nov/2026 03:00:00] "GET /respond/decline/{ACTION_TOKEN}?x=1 '
        'HTTP/1.1" 200 -': (
            '127.0.0.1 - - [26/Nov/2026 03:00:00] "GET /respond/decline/[redacted]?x=[redacted] '
            'HTTP/1.1" 200 -'
        ),
        # PostgreSQL's details in constraint errors.
        "DETAIL:  Key (email_key)=(rosa@example.org) already exists.": (
            "DETAIL:  Key (email_key)=([redacted]) already exists."
        ),
        "DETAIL:  Failing row contains (7, Rosa Example, 206 555 0142, yes).": (
            "DETAIL:  Failing row contains ([redacted])."
        ),
        "SELECT * FROM applicants WHERE id = ? AND name = ?": (
            "SELECT * FROM applicants WHERE id = ? AND name = ?"
        ),
    }
    for line, expected in lines.items():
        assert redact_text(line) == expected
    assert redact_url("https://intake.example.org/coord/reset/abc?next=/x") == (
        "https://intake.example.org/coord/reset/[redacted]?next=[redacted]"
    )


# Every log over the journeys -------------------------------------------------------------


@pytest.fixture
def all_logs():
    """Everything any logger writes, at DEBUG; SQL echo off as in production."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    # aiosmtpd's own log is the test's stand-in for the mail provider, not the app's.
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))
    root = logging.getLogger()
    sql = logging.getLogger("sqlalchemy")
    levels = (root.level, sql.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.WARNING)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(levels[0])
    sql.setLevel(levels[1])


@pytest.fixture
def gunicorn_log(app, access_logger):
    """Run every request the app serves through gunicorn's access logger, as the
    shipped config sets it up; returns the log file and the paths requested."""
    logger, log_file = access_logger()
    inner = app.wsgi_app
    seen: list[str] = []

    def logged(environ, start_response):
        answer = {}

        def start(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(inner(environ, start))
        environ.setdefault(
            "RAW_URI",
            quote(environ["PATH_INFO"])
            + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""),
        )
        seen.append(environ["RAW_URI"])
        fake_access(logger, environ, answer["status"], answer["headers"])
        return [body]

    app.wsgi_app = logged
    yield SimpleNamespace(file=log_file, paths=seen)
    app.wsgi_app = inner


def _links(smtp) -> list[str]:
    found = []
    for message in smtp.messages:
        found += LINK.findall(message.get_body(("plain",)).get_content())
    return found


def test_no_token_address_or_self_identification_in_any_log(
    smtp, app, ctx, client, htmx, clock, all_logs, gunicorn_log, monkeypatch
):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is logged, as in production
    email, name, phone = "rosa.private@example.org", "Rosa Privateperson", "206 555 0142"

    # The screener, with the self-identification answer; then the application.
    complete_screener(client, bipoc="yes", retreat="yes")
    _, csrf, form_token = open_application(client, "/apply?program=bipoc-intensive")
    response = client.post(
        "/apply",
        data={
            **APPLICATION_DETAILS,
            "programs": ["introductory", "bipoc-intensive"],
            "name": name,
            "email": email,
            "phone": phone,
            "csrf_token": csrf,
            "form_token": form_token,
        },
    )
    assert response.status_code == 303
    deliver_due(clock())

    # The manage link, its pages, the data export (with the self-identification).
    [manage] = [link for link in _links(smtp) if link.startswith("/manage/")]
    assert client.get(manage + "?lang=es").status_code == 200
    assert htmx.get(manage + "/details").status_code == 200
    export = client.get(manage + "/data.json")
    assert export.get_json()["self_identification"] == {"bipoc": "yes"}
    page = client.get("/manage/link").get_data(as_text=True)
    client.post("/manage/link", data={"email": email, "csrf_token": csrf_token(page)})
    client.get(f"/manage/link?email={quote(email)}&token=abc")
    client.get("/coord/reset/not-a-real-reset-token")

    # An offer, accepted through its link.
    application = db.session.scalars(
        select(Application).where(Application.program.has(slug="introductory"))
    ).one()
    offer(add_cohort(clock()), application, clock())
    deliver_due(clock())
    [accept] = [link for link in _links(smtp) if link.startswith("/respond/offer_accept/")]
    assert press(client, accept).status_code == 303

    # A 500 whose SQL carries the person's name, address, phone and answer.
    def broken_export(applicant, now):
        db.session.execute(
            text(
                "SELECT id FROM applicants WHERE name = :name AND email = :email "
                "AND phone = :phone AND no_such_column = :bipoc"
            ),
            {
                "name": applicant.name,
                "email": applicant.email,
                "phone": applicant.phone,
                "bipoc": applicant.self_identification.bipoc,
            },
        )

    monkeypatch.setattr(manage_services, "export_data", broken_export)
    failed = client.get(manage + "/data.json")
    assert failed.status_code == 500
    assert "Something went wrong on our side" in failed.get_data(as_text=True)

    # The same requests once more through the development server (werkzeug's log).
    server = make_server("127.0.0.1", 0, closes_its_files(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in list(gunicorn_log.paths):
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}").close()
    finally:
        server.shutdown()
        thread.join()

    logs = re.sub(r"\x1b\[[0-9;]*m", "", all_logs.getvalue())  # werkzeug's colours
    access = gunicorn_log.file.read_text()
    everything = logs + access

    # The logs did see all of it happen.
    assert "Exception on /manage/[redacted]/data.json [GET]" in logs
    assert "no_such_column" in logs  # the SQL error itself is there, without its values
    assert '"GET /manage/[redacted]/data.json HTTP/1.1" 500' in logs  # werkzeug
    assert '"GET /manage/[redacted]/data.json HTTP/1.1" 500' in access  # gunicorn
    assert '"POST /respond/offer_accept/[redacted] HTTP/1.1" 303' in access
    assert '"GET /coord/reset/[redacted] HTTP/1.1"' in access
    assert len(access.splitlines()) == len(gunicorn_log.paths)

    secrets = [manage[len("/manage/") :], accept.rsplit("/", 1)[1], "not-a-real-reset-token"]
    for secret in secrets:
        assert secret not in everything, secret
    applicant = db.session.scalars(select(Applicant)).one()
    for personal in (email, quote(email), email.split("@")[0], name, phone, applicant.form_token):
        assert personal not in everything, personal
    assert "'yes'" not in everything
    assert not re.search(r"bipoc\W{1,8}yes", everything, re.I)


# The real gunicorn with the shipped config -------------------------------------------------


# _schema's value (the database URL) is used: its underscore only keeps it out of sight.
def test_gunicorn_started_with_the_shipped_config_logs_no_token(_schema, tmp_path):  # noqa: PT019
    # The listening socket is made here and handed over as systemd does (LISTEN_FDS,
    # fd 3): the port is known before gunicorn starts and nothing can take it meanwhile,
    # and a request waits in the backlog until a worker is up (no polling).
    listener = bound_socket()
    listener.listen()
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LISTEN_FDS": "1",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": _schema,
        # A key the start-up strength check accepts (long, varied, no placeholder word).
        "INTAKE_SECRET_KEY": "k8Qz3vLw9RtY2pXn7BmC4dFg6HjK1sNa" * 2,
        "INTAKE_PUBLIC_BASE_URL": "https://intake.example.org",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    # LISTEN_PID must be gunicorn's own pid: the shell's, kept by exec (bash: dash
    # reads only one-digit descriptors in a redirection).
    activate = f'exec 3<&{listener.fileno()}; LISTEN_PID=$$ exec "$@"'
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with listener, out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen(
            [BASH, "-c", activate, "bash", *gunicorn],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(listener.fileno(),),
        )
        try:
            base = f"http://127.0.0.1:{port}"
            request = urllib.request.Request(
                f"{base}/manage/{MANAGE_TOKEN}?lang=es&email=rosa%40example.org",
                headers={"Referer": f"{base}/respond/offer_accept/{ACTION_TOKEN}"},
            )
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=60)  # waits for gunicorn to start
            answer.value.close()
            assert answer.value.code == 404  # no such link: the clear page
            urllib.request.urlopen(f"{base}/healthz", timeout=10).close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    access = out.read_text()
    assert '"GET /manage/[redacted]?lang=es&email=[redacted] HTTP/1.1" 404' in access, access
    assert '"GET /healthz HTTP/1.1"' in access
    everything = access + err.read_text()
    for secret in (MANAGE_TOKEN, ACTION_TOKEN, "rosa", "example.org"):
        assert secret not in everything, everything
