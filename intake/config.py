"""Default settings. Every one can be overridden from the environment with the
``INTAKE_`` prefix (``INTAKE_MAIL_SERVER=smtp.example.org``); values are parsed as
JSON when they look like JSON, so ``INTAKE_MAIL_PORT=587`` is an int.

``DATABASE_URL`` (no prefix, the twelve-factor convention) selects the database.
"""

from datetime import UTC, datetime

# Set by create_app: random in local mode, required everywhere else.
SECRET_KEY = None

# Filled in by create_app from DATABASE_URL, or a SQLite file under instance/.
SQLALCHEMY_DATABASE_URI = None
# hide_parameters keeps SQL parameters (names, e-mail addresses) out of logged
# errors; create_app sets it even when this is replaced from the environment.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

# `make run` sets INTAKE_LOCAL=1: a laptop with no secrets and no SMTP server.
LOCAL = False

# Links in e-mails are built from this, never from the request's Host header.
PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# Behind a reverse proxy (nginx, a load balancer), how many proxies set
# X-Forwarded-For/-Proto in front of the app. 0 trusts none: the right default
# when the app is reached directly, and the only safe one, since the headers are
# otherwise set by whoever sends the request. Rate limits count per client address.
PROXY_FIX_X_FOR = 0
PROXY_FIX_X_PROTO = 0

# Largest request body accepted; anything bigger gets 413.
MAX_CONTENT_LENGTH = 64 * 1024

WTF_CSRF_TIME_LIMIT = 8 * 3600
# Over HTTPS, a form is accepted only with a Referer from this same origin (Flask-WTF's
# default, spelt out: intake/security.py's Referrer-Policy is chosen to keep it working).
WTF_CSRF_SSL_STRICT = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# None decides at start-up: on (HTTPS only), except in local mode, tests and debug,
# which run on plain http://127.0.0.1. Set true or false to decide yourself.
SESSION_COOKIE_SECURE = None
REMEMBER_COOKIE_SECURE = None

# E-mail. With MAIL_SERVER unset, delivered messages are written as .eml files to
# MAIL_FILE_DIR (default: instance/mail) instead of being sent.
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "Reflective Practice Groups <no-reply@localhost>"
MAIL_TIMEOUT = 15  # seconds, for connect and every SMTP command
MAIL_FILE_DIR = None
# Reply-To for applicant e-mail when a program names no coordinator address.
COORDINATOR_EMAIL = "coordinators@localhost"

# Outbox delivery: attempts before a message is marked failed, and back-off.
OUTBOX_MAX_ATTEMPTS = 8
OUTBOX_BACKOFF_SECONDS = 60  # doubled after every failed attempt
OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
OUTBOX_BATCH_SIZE = 50
OUTBOX_POLL_SECONDS = 5

# Rate limits for public forms (Flask-Limiter). Use Redis in production, e.g.
# INTAKE_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_SUBMIT = "10 per minute;50 per day"
RATELIMIT_SCREENER = "120 per minute"
# E-mails to a director on a staff member's request: few, so the form cannot spam.
RATELIMIT_REFERRAL = "5 per hour;20 per day"
# Answers to the action links in e-mails (accept, decline, still interested, …).
RATELIMIT_RESPOND = "30 per minute"
# "E-mail me my link again" (POST /manage/link), per client address.
RATELIMIT_MANAGE_LINK = "5 per hour"
# A manage link works for this many days after the e-mail it came in was sent; using
# it does not extend it. Every e-mail carries a fresh link, and "E-mail me my link"
# sends one on request.
MANAGE_LINK_DAYS = 30
# A finished screener's answers wait on the server (never in the cookie) this long
# for the application form; each change of an answer restarts it. The waitlist tick
# deletes expired ones.
SCREENER_DRAFT_MINUTES = 120

# Cost of argon2id password hashing (argon2-cffi's defaults: 3 passes, 64 MiB).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536

# Coordinator sessions end after this many minutes without a request.
COORDINATOR_IDLE_MINUTES = 30
# Password reset links work once, for this long.
PASSWORD_RESET_MAX_AGE_SECONDS = 3600
# A new coordinator's link to choose their first password works once, this long.
WELCOME_LINK_MAX_AGE_SECONDS = 7 * 24 * 3600
RATELIMIT_LOGIN = "10 per minute;50 per hour"
# Name shown in one-time-password apps.
TOTP_ISSUER = "Reflective practice intake"

LANGUAGES = ["en", "es", "zh"]
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "America/Los_Angeles"


def _utcnow() -> datetime:
    return datetime.now(UTC)


# The app's clock. Tests replace it to move time without sleeping.
CLOCK = _utcnow
