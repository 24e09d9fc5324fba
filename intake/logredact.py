"""Keep secrets and personal data out of the logs.

The links in e-mails carry their secret in the URL path (``/manage/<token>``,
``/respond/<purpose>/<token>``, ``/coord/reset/<token>``), so any log line with a
path would keep a working key to someone's application. Everything that writes a
request's path or query to a log goes through ``redact_path``/``redact_text``:

- gunicorn's access log (``AccessLogger``, named by ``gunicorn.conf.py``),
- the development server's request lines (werkzeug) and every other log record,
  through a log record factory (``install``) that rewrites each record's message
  and traceback as it is made, whatever logger or handler it goes to.

Redacted: the token segments of those paths; every query value except a few
harmless keys (``lang``, ``program``, ``page``, …), so a search for a name or an
e-mail address in a coordinator's list never reaches the log; e-mail addresses
anywhere in a message; and the row values PostgreSQL quotes in constraint errors
(``Key (email_key)=(…)``, ``Failing row contains (…)``). SQL parameters are kept
out at the source (``hide_parameters`` on the engine, see intake.config).
"""

from __future__ import annotations

import logging
import re
import traceback

MASK = "[redacted]"

# The secret segment of each link; the segments before it are kept so a log still
# says which kind of page was asked for.
_SECRET_PATHS = (
    # /manage/<token>[/...], but not the pages without a token.
    re.compile(r"(/manage/)(?!(?:link|deleted)(?:[/?#\s\"']|$))[^/?#\s\"']+"),
    re.compile(r"(/respond/[^/?#\s\"']+/)[^/?#\s\"']+"),
    re.compile(r"(/coord/reset/)[^/?#\s\"']+"),
)
# Query keys whose values are kept: they choose a page, never carry a person's data.
SAFE_QUERY_KEYS = frozenset({"lang", "program", "page", "status", "sort", "order", "view"})
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.\-]{0,40}")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,40}")
# A query string after a path in free text: from "?" to the next space or quote
# (a path before it, so SQL's "?" placeholders are left alone).
_QUERY_IN_TEXT = re.compile(r"(/[^\s?\"'#<>]*)\?([^\s\"'#<>]*)")
# user@host, also percent-encoded (%40) as it appears in a logged URL.
_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
# PostgreSQL quotes the offending values in constraint errors.
_PG_KEY = re.compile(r"(Key \([^)]*\)=\().*?(\)(?: already exists| is not present|\.|$))", re.M)
_PG_ROW = re.compile(r"(Failing row contains \().*(\))", re.M)


def redact_query(query: str) -> str:
    """``a=1&token=x&lang=es`` -> ``a=[redacted]&token=[redacted]&lang=es``."""
    if not query:
        return query
    parts = []
    for part in re.split(r"[&;]", query):
        key, sep, value = part.partition("=")
        if not _SAFE_KEY.fullmatch(key):
            parts.append(MASK)
        elif key in SAFE_QUERY_KEYS and _SAFE_VALUE.fullmatch(value):
            parts.append(part)
        else:
            parts.append(f"{key}={MASK}" if sep or value else key)
    return "&".join(parts)


def _mask_secret_paths(text: str) -> str:
    for pattern in _SECRET_PATHS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_path(path: str) -> str:
    """A URL path with no secret segment in it (no query; see ``redact_url``)."""
    return _EMAIL.sub(MASK, _mask_secret_paths(path))


def redact_url(url: str) -> str:
    """A path with its query, or a full URL: secrets out of both."""
    path, sep, query = url.partition("?")
    return redact_path(path) + (sep + redact_query(query) if sep else "")


def redact_text(text: str) -> str:
    """Any log message: paths, query strings, e-mail addresses, database row values."""
    if not text:
        return text
    text = _QUERY_IN_TEXT.sub(lambda m: m.group(1) + "?" + redact_query(m.group(2)), text)
    text = _mask_secret_paths(text)
    text = _PG_KEY.sub(lambda m: m.group(1) + MASK + m.group(2), text)
    text = _PG_ROW.sub(lambda m: m.group(1) + MASK + m.group(2), text)
    return _EMAIL.sub(MASK, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record in place: its message rendered and redacted, its traceback
    formatted and redacted (handlers use ``exc_text`` when it is set)."""
    if getattr(record, "_intake_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the template, drop the arguments
        message = str(record.msg)
    record.msg = redact_text(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact_text(
            "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        )
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    record._intake_redacted = True
    return record


class RedactingFilter(logging.Filter):
    """For handlers and loggers that must redact on their own (gunicorn's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed = False


def install() -> None:
    """Redact every log record the process makes, whichever logger writes it.

    A record factory sees each record as it is created, before any filter or
    handler: records that propagate from child loggers (which skip their parents'
    filters) are covered too. Safe to call more than once.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
