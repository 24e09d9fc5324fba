"""What the app accepts from outside: text, whole numbers, ids, query strings and the
parts of a URL.

One place decides it, so no view or form has to remember that PostgreSQL refuses a
NUL character in text, integers beyond 32 bits and strings longer than their column.
Forms get these rules from their base class (intake.forms); views read the query
string through the ``arg_*`` helpers; routes get bounded converters from
``register_converters``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from flask import Flask, request
from werkzeug.routing import IntegerConverter, UnicodeConverter

# PostgreSQL's ``integer``: every id column and every whole number the app stores.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# A bound for query-string text nobody types by hand at this length (search, slugs).
MAX_ARG_LENGTH = 200

# Control characters (C0 but tab, line feed and carriage return; DEL; C1) and lone
# surrogates. Nobody types them; PostgreSQL refuses NUL outright, and the rest turn
# into invisible or garbled text on coordinators' screens and in e-mails.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\r\n]")


def clean_text(value: str, *, multiline: bool = True, normalise: bool = True) -> tuple[str, bool]:
    """``value`` without unwanted characters, in Unicode NFC; and whether any were
    removed. On one line, tabs and line breaks become spaces (a pasted answer)."""
    cleaned, removed = _UNWANTED.subn("", value)
    if not multiline:
        cleaned = _LINE_BREAKS.sub(" ", cleaned)
    if normalise:
        cleaned = unicodedata.normalize("NFC", cleaned)
    return cleaned, bool(removed)


def db_int(value, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """``value`` as a whole number the database can hold; ValueError otherwise.

    Usable as a WTForms ``coerce`` (a ValueError becomes the field's error)."""
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{number} is out of range")
    return number


def db_id(value) -> int:
    """An id: a whole number from 1 to PostgreSQL's largest integer."""
    return db_int(value, 1, INT_MAX)


def ids(values) -> list[int]:
    """The ids among ``values`` (a list from a form); anything else is left out."""
    chosen = []
    for value in values:
        try:
            chosen.append(db_id(value))
        except (TypeError, ValueError):
            continue
    return chosen


# The query string ---------------------------------------------------------------------


def arg_str(name: str, default: str | None = None, max_length: int = MAX_ARG_LENGTH):
    """A query-string value as text the database accepts: unwanted characters removed,
    NFC, at most ``max_length`` characters; ``default`` when missing or empty."""
    raw = request.args.get(name)
    if raw is None:
        return default
    cleaned, _ = clean_text(raw, multiline=False)
    cleaned = cleaned.strip()[:max_length]
    return cleaned or default


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def page_number(raw: str | None) -> int | None:
    """A page number from a query string's text: 1 when missing or empty, at least 1,
    None when it is not a whole number. There is no upper bound here: only the list
    knows its last page, and every list shows that one for a number beyond it
    (intake.pagination), so the OFFSET stays within the rows."""
    raw = (raw or "").strip()
    if not raw:
        return 1
    if not _WHOLE_NUMBER.fullmatch(raw):
        return None
    try:
        return max(int(raw), 1)
    except ValueError:  # more digits than Python converts
        return None


def arg_page(name: str = "page", args: Mapping[str, str] | None = None) -> int:
    """The page number in the query string (``args``, the request's by default):
    1 when missing or not a number."""
    return page_number((request.args if args is None else args).get(name)) or 1


# Routes -------------------------------------------------------------------------------


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in every route: an id the database can hold (1 to 2**31-1).
    Anything else does not match the route, so it is a 404, never a database error."""

    def __init__(self, map, fixed_digits=0, min=1, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class CleanStringConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>``: one path segment with no control character
    (a NUL in a slug or a token is a 404, not a database error)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        # The parent's class of characters, minus the control characters.
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]")


def register_converters(app: Flask) -> None:
    """Bound every route's parameters; call before any blueprint is registered."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.url_map.converters["default"] = CleanStringConverter
    app.url_map.converters["string"] = CleanStringConverter
