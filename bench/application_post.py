"""The application POST under gunicorn, as a ratio to a bare Flask + Flask-SQLAlchemy page.

    .venv/bin/python bench/application_post.py --database-url postgresql://postgres@127.0.0.1/bench

It DROPS AND RECREATES every table of that database (give it one of its own; without
--database-url a fresh SQLite file is used and removed), seeds the default programs,
and starts two gunicorn servers of 2 sync workers each on loopback ports: the app
(wsgi:app) and a bare page (this module's ``bare_app``: one SELECT, a small template).
Each applicant is prepared as a browser does (screener, then the form's page, over
HTTP); then wrk sends each prepared application once, and the bare page is driven the
same way in between (interleaved rounds, median of the rounds). The machine this runs
on is shared: the ratio to the bare page measured in the same run is the figure to
read, not requests per second.

The rate limits are raised for the run (every post comes from one address); their work
is still done on every request.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = r"""
local lines = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
end
function request()
  i = i + 1
  local line = lines[((i - 1) % #lines) + 1]
  local tab = line:find("\t", 1, true)
  return wrk.format("POST", "/apply", {
    ["Cookie"] = line:sub(1, tab - 1),
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, line:sub(tab + 1))
end
"""


def bare_app():
    """The baseline: Flask + Flask-SQLAlchemy, one SELECT, a small Jinja template."""
    from flask import Flask, render_template_string
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text

    from intake import database_url

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
    db = SQLAlchemy(app)
    page = (
        "<!doctype html><title>{{ name }}</title>"
        "<ul>{% for n in names %}<li>{{ n }}{% endfor %}</ul>"
    )

    @app.get("/")
    def index():
        names = list(db.session.scalars(text("SELECT name FROM programs ORDER BY id LIMIT 5")))
        return render_template_string(page, name="bare", names=names)

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port}")


def prepare(app, index: int) -> str:
    """One applicant up to the filled-in form, as a browser gets there (screener, then
    the form's page), in this process with the servers' secret key: the cookie and the
    body of its POST."""
    from tests.helpers import APPLICATION_DETAILS, complete_screener, open_application

    client = app.test_client()
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {
        **APPLICATION_DETAILS,
        "email": f"bench{index}@example.org",
        "csrf_token": csrf,
        "form_token": token,
    }
    cookie = client.get_cookie("session")
    return f"session={cookie.value}\t{urllib.parse.urlencode(data, doseq=True)}"


def wrk(port: int, seconds: int, connections: int, script: Path | None, lines: Path | None):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}/")
    if lines is not None:
        command += ["--", str(lines)]
    # A fixed argv of our own, no shell.
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": rate,
        "total": total,
        "p99_ms": float(p99.group(1)) * scale,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("-n", type=int, default=600, help="applicants prepared per run")
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="also serve the app from another checkout (same schema), e.g. the code "
        "before a change (git archive main | tar -x -C DIR), in the same rounds",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    from intake import clock, create_app
    from intake.extensions import db
    from intake.programs.services import seed_default_programs

    secret = "bench-" + os.urandom(24).hex()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_default_programs(clock.now())
        db.session.commit()
        db.session.remove()

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INTAKE_SECRET_KEY": secret,
        "INTAKE_SESSION_COOKIE_SECURE": "false",
        "INTAKE_RATELIMIT_SUBMIT": "1000000 per hour",
        "INTAKE_RATELIMIT_SCREENER": "1000000 per minute",
        "INTAKE_MAIL_FILE_DIR": str(folder / "mail"),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    targets = {"bare": (ROOT, "bench.application_post:bare_app()"), "app": (ROOT, "wsgi:app")}
    if args.compare:
        targets["compare"] = (Path(args.compare).resolve(), "wsgi:app")
    ports = {name: free_port() for name in targets}
    servers = []
    for name, (cwd, target) in targets.items():
        server_env = dict(env)
        if cwd != ROOT:
            server_env["PYTHONPATH"] = f"{cwd}:{ROOT}"  # its intake first, this bench module after
        servers.append(
            subprocess.Popen(
                [
                    gunicorn,
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{ports[name]}",
                    "--log-level=warning",
                    target,
                ],
                cwd=cwd,
                env=server_env,
                stdout=subprocess.DEVNULL,
            )
        )
    try:
        for port in ports.values():
            wait_for(port, "/")
        script = folder / "post.lua"
        script.write_text(LUA)
        rates: dict[str, list[float]] = {name: [] for name in targets}
        p99s: dict[str, list[float]] = {name: [] for name in targets}
        errors = 0
        index = 0
        for r in range(args.rounds):
            line = []
            for name in targets:
                lines = None
                if name != "bare":
                    # No app context held here: each request pushes its own (a shared one
                    # would share the CSRF token cached in g).
                    prepared = [prepare(app, i) for i in range(index, index + args.n)]
                    index += args.n
                    lines = folder / f"posts-{name}-{r}.txt"
                    lines.write_text("\n".join(prepared) + "\n")
                result = wrk(ports[name], args.seconds, args.connections, lines and script, lines)
                if lines is not None and result["total"] > args.n:
                    print(f"{name}: {result['total']} posts for {args.n} prepared: raise -n")
                errors += result["errors"]
                rates[name].append(result["rate"])
                p99s[name].append(result["p99_ms"])
                line.append(
                    f"{name} {result['rate']:.0f}/s p99 {result['p99_ms']:.0f} ms"
                    + (
                        f" errors {result['errors']} {result['socket_errors']}"
                        if result["errors"] or result["socket_errors"]
                        else ""
                    )
                )
            print(f"round {r + 1}: " + "; ".join(line), flush=True)
        for name in targets:
            if name == "bare":
                continue
            ratios = [a / b for a, b in zip(rates[name], rates["bare"], strict=True)]
            each = ", ".join(f"{x:.3f}" for x in ratios)
            print(
                f"{name}: application POST / bare DB page, median of {len(ratios)}: "
                f"{statistics.median(ratios):.3f} (rounds: {each}); "
                f"p99 median {statistics.median(p99s[name]):.0f} ms"
            )
        print(f"bare p99 median {statistics.median(p99s['bare']):.0f} ms; non-2xx/3xx: {errors}")
        from sqlalchemy import func, select

        from intake.models import Applicant, OutboxMessage

        with app.app_context():
            applicants = db.session.scalar(
                select(func.count()).select_from(Applicant).where(Applicant.email.like("bench%"))
            )
            messages = db.session.scalar(
                select(func.count(func.distinct(OutboxMessage.applicant_id))).where(
                    OutboxMessage.template == "application_received"
                )
            )
            total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            db.engine.dispose()
        print(f"applicants {applicants}; 'received' messages {total} for {messages} applicants")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
