"""Intake and fair waitlist for reflective practice groups."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import config as default_config
from intake import inputs
from intake.extensions import babel, csrf, db, limiter, login, mail, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(default_config)
    app.config.from_prefixed_env("INTAKE")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
    if test_config:
        app.config.from_mapping(test_config)
    configure_logging(app)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'intake.sqlite3'}"
        )
    configure_secret_key(app)
    configure_secure_cookies(app)
    refuse_mail_max_emails(app)
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"]:
        # Flask's documented way to wrap the WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
        )

    register_extensions(app)
    from intake import dbpool

    dbpool.install(app)
    from intake.programs import listing

    listing.init_app(app)
    # Before any route is added: every route's parameters get bounded converters.
    inputs.register_converters(app)
    register_blueprints(app)
    from intake import ratelimits

    ratelimits.leave_out_idle_check(app)
    register_commands(app)

    from intake import errors, security, templating

    errors.register(app)
    security.register(app)
    templating.register(app)
    return app


def configure_logging(app: Flask) -> None:
    """No secret link, e-mail address or SQL parameter in any log (intake.logredact).

    Every log record is redacted as it is made, and the engine never puts parameters
    in its messages or errors, even when SQLALCHEMY_ENGINE_OPTIONS is replaced whole
    from the environment.
    """
    from intake import logredact

    logredact.install()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "hide_parameters": True,
    }


def database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and select psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


# A signing key must be long and random. These give away a key copied from an example
# or typed by hand, however long (compared without case, digits and letters only).
MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDER_SECRET_WORDS = (
    "changeme",
    "changethis",
    "replaceme",
    "yoursecret",
    "secretkey",
    "placeholder",
    "example",
    "insecure",
    "notsecret",
    "development",
)
MAKE_A_KEY = (
    "Set it to a long random value "
    "(python -c 'import secrets; print(secrets.token_hex(32))'), "
    "or set INTAKE_LOCAL=1 on a development laptop."
)


def configure_secret_key(app: Flask) -> None:
    """Outside local mode and tests, refuse to start without a strong secret key."""
    key = app.config["SECRET_KEY"]
    if app.testing or app.config["LOCAL"]:
        if not key:
            app.config["SECRET_KEY"] = (
                secrets.token_hex(32) if app.testing else local_secret_key(app)
            )
        return
    if not key:
        raise RuntimeError(f"INTAKE_SECRET_KEY is not set. {MAKE_A_KEY}")
    problem = secret_key_problem(key)
    if problem:
        # The key itself is never shown: it may be the real one, only too short.
        raise RuntimeError(f"INTAKE_SECRET_KEY {problem}. {MAKE_A_KEY}")


def local_secret_key(app: Flask) -> str:
    # Kept in instance/ so sessions and links survive a restart of `make run`.
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def secret_key_problem(key: object) -> str | None:
    """Why a SECRET_KEY is too weak to run with, or None when it will do."""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if not isinstance(key, str):
        # INTAKE_ settings are parsed as JSON: a key of digits arrives as a number.
        return "is not a string (quote it: INTAKE_SECRET_KEY='\"…\"')"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    folded = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(word in folded for word in PLACEHOLDER_SECRET_WORDS):
        return "looks like a placeholder from an example"
    if len(set(key)) < 8:
        return "repeats too few different characters to be random"
    return None


def refuse_mail_max_emails(app: Flask) -> None:
    """Flask-Mail's MAIL_MAX_EMAILS reconnects inside the send of the message that
    reaches it, after the server took that message: a reconnect refused there would
    read as that message's failure, and it would be sent again. The worker sends one
    pass over one connection (OUTBOX_BATCH_SIZE messages at most) and opens a new one
    when the server closes it, so the setting is refused rather than half honoured."""
    if app.config.get("MAIL_MAX_EMAILS"):
        raise RuntimeError(
            "MAIL_MAX_EMAILS is not used here: set INTAKE_OUTBOX_BATCH_SIZE instead (the "
            "most e-mails the worker sends over one connection)."
        )


def configure_secure_cookies(app: Flask) -> None:
    """Cookies go over HTTPS only, unless the app runs on a laptop, in tests or in
    debug mode (plain http://127.0.0.1), or the setting was chosen explicitly."""
    relaxed = app.config["LOCAL"] or app.testing or app.debug
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[name] is None:
            app.config[name] = not relaxed


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    from intake import htmx, i18n
    from intake.i18n import choose_language

    htmx.init_app(app)

    babel.init_app(app, locale_selector=choose_language)
    i18n.install(app, babel)
    limiter.init_app(app)
    login.init_app(app)
    import intake.auth.access  # noqa: F401 - registers the user loader


def register_blueprints(app: Flask) -> None:
    from intake.admin.views import bp as admin_bp
    from intake.applications.views import bp as applications_bp
    from intake.attendance.views import bp as attendance_bp
    from intake.auth.views import bp as auth_bp
    from intake.bulkmail.views import bp as bulkmail_bp
    from intake.casefile.views import bp as casefile_bp
    from intake.cohorts.views import bp as cohorts_bp
    from intake.cycles.views import admin_bp as windows_bp
    from intake.cycles.views import bp as cycles_bp
    from intake.entry.views import bp as entry_bp
    from intake.health.views import bp as health_bp
    from intake.home.views import bp as home_bp
    from intake.letters.views import bp as verify_bp
    from intake.letters.views import coord_bp as letters_bp
    from intake.manage.views import bp as manage_bp
    from intake.outbox.views import bp as outbox_bp
    from intake.participants.views import bp as participants_bp
    from intake.reports.views import bp as reports_bp
    from intake.respond.views import bp as respond_bp
    from intake.review.views import bp as review_bp
    from intake.screener.views import bp as screener_bp
    from intake.sessions.views import bp as sessions_bp
    from intake.survey.views import bp as survey_bp
    from intake.waitlist.views import bp as waitlist_bp

    for bp in (
        home_bp,
        screener_bp,
        applications_bp,
        manage_bp,
        respond_bp,
        survey_bp,
        participants_bp,
        verify_bp,
        health_bp,
        auth_bp,
        waitlist_bp,
        review_bp,
        casefile_bp,
        cohorts_bp,
        sessions_bp,
        reports_bp,
        outbox_bp,
        bulkmail_bp,
        letters_bp,
        admin_bp,
        attendance_bp,
        entry_bp,
        cycles_bp,
        windows_bp,
    ):
        app.register_blueprint(bp)


def register_commands(app: Flask) -> None:
    from intake.auth.cli import create_coordinator_command, demo_admin_command
    from intake.cli import outbox_cli, retention_cli, seed_command, waitlist_cli

    for command in (
        seed_command,
        outbox_cli,
        waitlist_cli,
        retention_cli,
        create_coordinator_command,
        demo_admin_command,
    ):
        app.cli.add_command(command)
