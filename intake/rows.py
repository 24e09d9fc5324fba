"""Changes the database decides: an ``UPDATE … WHERE guard`` (or a DELETE) whose
row count says whether the guard still held, so of two racing requests exactly one
wins (STYLE: never a read-then-write in Python).

The statements run without synchronising the session: callers refresh or expire
what they go on reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Update

from intake.extensions import db


def rows_changed(statement: Update | Delete, params: Mapping[str, Any] | None = None) -> int:
    """Run an UPDATE or DELETE (with ``params`` for its bound parameters, when it was
    built once with ``bindparam``) and return how many rows it changed."""
    result = db.session.execute(statement.execution_options(synchronize_session=False), params)
    # An UPDATE or DELETE answers with a CursorResult, the Result that has rowcount.
    return cast("CursorResult[Any]", result).rowcount


def update_guarded(
    statement: Update, expected: int = 1, params: Mapping[str, Any] | None = None
) -> bool:
    """Run ``UPDATE … WHERE guard`` and say whether exactly ``expected`` rows changed:
    False when the guard no longer held (someone else changed the row first)."""
    return rows_changed(statement, params) == expected
