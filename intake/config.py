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
# No pool_pre_ping (a SELECT 1 before every request): intake.dbpool checks a PostgreSQL
# connection only when it sat idle this many seconds or the server closed it meanwhile.
SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
DB_PING_AFTER_IDLE_SECONDS = 10
# The public pages' GETs read the open programs and their windows from a copy kept in
# each worker this many seconds (intake.programs.listing): an admin's change shows at
# once on the worker that saved it, on every other within this bound. 0: no copy.
PROGRAM_CACHE_SECONDS = 5

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
# How long a pass's batch is leased to its worker. A pass takes no new message after
# half of it; the other half must hold what the pass may still be doing (three
# MAIL_TIMEOUTs) and the worker's rest while it owes a mark (--interval), so that a
# worker whose "sent" mark was lost is back to write it before another worker may take
# the message (`outbox deliver --loop` refuses to start otherwise). It also covers a
# database outage of a couple of minutes, and is how long a killed worker holds up
# what it had taken.
OUTBOX_LEASE_SECONDS = 300
# The loop's rest after a pass that found less than a full batch: about the longest a
# new e-mail waits for a pass. An idle pass is one indexed SELECT per worker; at 5 s,
# launch day's "received" e-mails waited up to 5.4 s (docs/PERFORMANCE.md, "Launch day").
OUTBOX_POLL_SECONDS = 1
# The rest after a pass that could not reach the mail server or use the database: each
# such pass puts the oldest due message into back-off and logs a warning, so while the
# server is down the loop tries every 30 s, not every second.
OUTBOX_DOWN_SECONDS = 30

# Rate limits for public forms (Flask-Limiter). Use Redis in production, e.g.
# INTAKE_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0, so every worker counts together.
#
# Three keys per form (intake.ratelimits): the client address, the e-mail address typed
# (keyed with SECRET_KEY, never stored as typed) and the browser session.
# A training room shares one Wi-Fi and so one public address: the per-address figures
# are sized for a room of about 40 people doing the same thing within the hour, each
# sending the form two or three times to correct an answer (every post counts per
# address; only accepted ones count per e-mail and per session). What holds one person
# back is the e-mail and session limits; the address limit only stops floods.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Sending an application (POST /apply and /apply/agency, counted together).
# 40 people x 3 posts = 120 in an hour; a full day of sessions stays under 600.
RATELIMIT_SUBMIT = "120 per hour;600 per day"
# One form applies to several programs, so a person sends it once; 5 leaves room for
# an individual and an agency application and a few second thoughts. Each accepted
# form e-mails the address, so this is also what stops filling someone's inbox.
RATELIMIT_SUBMIT_EMAIL = "5 per hour;10 per day"
# A browser shared at a sign-up table by several people in turn still fits.
RATELIMIT_SUBMIT_SESSION = "10 per hour"
# Screener answers: with JavaScript every changed answer posts. 40 people answering
# ~15 questions within two minutes is ~300 a minute; a person alone never needs 60.
RATELIMIT_SCREENER = "600 per minute"
RATELIMIT_SCREENER_SESSION = "60 per minute"
# E-mails to a director on a staff member's request (POST /screener/agency/refer): a
# room of agency staff may each refer their own director. One e-mail per director
# address a day is sent anyway (intake.screener.services); the e-mail limit keeps the
# page from being a way to probe it.
RATELIMIT_REFERRAL = "60 per hour;200 per day"
RATELIMIT_REFERRAL_EMAIL = "3 per day"
RATELIMIT_REFERRAL_SESSION = "5 per hour"
# Answers to the action links in e-mails (accept, decline, still interested, …).
RATELIMIT_RESPOND = "30 per minute"
# "E-mail me when it opens" on a closed program (POST /programs/<slug>/notify): per
# client address, per address typed and per browser session (accepted posts).
RATELIMIT_OPENING_NOTICE = "60 per hour;200 per day"
RATELIMIT_OPENING_NOTICE_EMAIL = "5 per day"
RATELIMIT_OPENING_NOTICE_SESSION = "10 per hour"
# "E-mail me my link again" (POST /manage/link). The service sends one e-mail per
# applicant per ten minutes whatever is asked; these stop the page being used to
# e-mail someone over and over, or to try many addresses.
RATELIMIT_MANAGE_LINK = "30 per hour"
RATELIMIT_MANAGE_LINK_EMAIL = "3 per hour"
RATELIMIT_MANAGE_LINK_SESSION = "5 per hour"
# Looking up a letter by its verification code (GET /verify/<code> and its PDF), per
# client address, found or not: an employer checks a few letters, nobody needs more,
# and codes are not to be guessed by the thousand.
RATELIMIT_VERIFY = "20 per minute;200 per day"

# Retention (`flask --app wsgi retention purge`): an applicant whose applications have
# all ended (closed, withdrawn, declined, offer expired, not eligible, completed) and
# not changed status for this many days is anonymised. Two years covers a program's
# yearly cycle and a funder's report on the year before; the counts stay.
RETENTION_DAYS = 730
# A manage link works for this many days after the e-mail it came in was sent; using
# it does not extend it. Every e-mail carries a fresh link, and "E-mail me my link"
# sends one on request.
MANAGE_LINK_DAYS = 30
# A finished screener's answers wait on the server (never in the cookie) this long
# for the application form; each change of an answer restarts it. The waitlist tick
# deletes expired ones.
SCREENER_DRAFT_MINUTES = 120
# Each active participant is reminded of a session this many hours before it starts
# (by the waitlist tick; a moved session is reminded of again).
SESSION_REMINDER_HOURS = 24
# The daily digest e-mail to coordinators (intake.digest): sent by the first waitlist
# tick at or after this hour (0-23, in BABEL_DEFAULT_TIMEZONE) that finds something to
# say; it lists open offers that end within DIGEST_OFFER_HOURS.
DIGEST_HOUR = 7
DIGEST_OFFER_HOURS = 48

# Cost of argon2id password hashing (argon2-cffi's defaults: 3 passes, 64 MiB).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536

# Coordinator sessions end after this many minutes without a request.
COORDINATOR_IDLE_MINUTES = 30
# Password reset links work once, for this long.
PASSWORD_RESET_MAX_AGE_SECONDS = 3600
# A new coordinator's link to choose their first password works once, this long.
WELCOME_LINK_MAX_AGE_SECONDS = 7 * 24 * 3600
# Coordinator sign-in, code and password-reset posts, per client address (an office
# behind one address signs in together at nine), and per account's e-mail address
# whichever address tries it: every try counts there, failed ones included.
RATELIMIT_LOGIN = "10 per minute;50 per hour"
RATELIMIT_LOGIN_EMAIL = "5 per minute;20 per hour"
# "Forgot my password" e-mails, per account's address (accepted posts).
RATELIMIT_FORGOT_EMAIL = "3 per hour"
# Name shown in one-time-password apps.
TOTP_ISSUER = "Reflective practice intake"

LANGUAGES = ["en", "es", "zh"]
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "America/Los_Angeles"


def _utcnow() -> datetime:
    return datetime.now(UTC)


# The app's clock. Tests replace it to move time without sleeping.
CLOCK = _utcnow
