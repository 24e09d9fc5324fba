"""CSV files for spreadsheets, the one way every export writes them (the waitlist, a
cohort's roster, the reports' tables): a byte order mark first, so spreadsheets read
the file as UTF-8 (names in Spanish and Chinese come out right); every text cell that
a spreadsheet would run as a formula made text; streamed, a chunk per batch of rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select

from intake.extensions import db

# Rows fetched (and written) at a time: a server-side cursor on PostgreSQL, so a long
# list is never whole in memory; large enough that round trips and chunks are few.
BATCH_SIZE = 2000

# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) sends data away; a tab or carriage return hides the start).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def neutralise(value: object) -> object:
    """A cell a spreadsheet shows as text instead of running it: text that starts
    like a formula gets a leading apostrophe. Numbers we computed pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(cells: Iterable[object]) -> list[object]:
    """``neutralise`` on every cell of a row."""
    return [
        ("'" + cell if cell.startswith(FORMULA_STARTS) else cell) if isinstance(cell, str) else cell
        for cell in cells
    ]


# Where a cell starts, in a column's cells joined with NUL between them.
_FORMULA_START_IN_COLUMN = re.compile(r"(?:^|\x00)[=+\-@\t\r]")


def safe_rows(rows: Iterable[Iterable[object]]) -> list[Sequence[object]]:
    """``safe_row`` on every row of a batch, column by column: a column of text is
    joined and searched once (in C), and only a column where a cell may start like
    a formula is gone through cell by cell. An export has millions of cells and
    almost none to change; a Python call per cell was most of its time.

    As exact as ``safe_row``: in the joined text every cell starts at the start or
    right after a NUL, so none is missed; a NUL inside a cell can only send its
    column the slow way, as does a column that is not all text (numbers, None)."""
    batch = [tuple(row) for row in rows]
    if len({len(row) for row in batch}) != 1 or not batch[0]:  # no columns to go by
        return [safe_row(row) for row in batch]
    columns: list[Sequence[object]] = list(zip(*batch, strict=True))
    for index, column in enumerate(columns):
        try:
            clean = _FORMULA_START_IN_COLUMN.search("\x00".join(column)) is None  # type: ignore[arg-type]
        except TypeError:  # not all text
            clean = False
        if not clean:
            columns[index] = safe_row(column)
    return list(zip(*columns, strict=True))


def csv_stream(
    header: Iterable[object], batches: Iterable[Iterable[Iterable[object]]]
) -> Iterator[str]:
    """The CSV text of ``header`` and then of every row of every batch (``safe_row``
    on each, the header too): the header (with the byte order mark) as the first
    chunk, at once, then a chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    yield BOM + drain(buffer)
    for rows in batches:
        writer.writerows(safe_rows(rows))
        yield drain(buffer)


def stream_csv(
    header: list[str],
    stmt: Select,
    cells: Callable[[Any], Iterable[object]],
    batch_size: int | None = None,
) -> Iterator[str]:
    """A CSV file of a query: ``header``, then ``cells(row)`` for every row of
    ``stmt``, fetched ``batch_size`` rows at a time, a chunk per batch. The query
    runs after the header has gone out."""

    def batches() -> Iterator[Iterable[Iterable[object]]]:
        result = db.session.execute(stmt.execution_options(yield_per=batch_size or BATCH_SIZE))
        for batch in result.partitions():
            yield map(cells, batch)

    return csv_stream(header, batches())


def drain(buffer: io.StringIO) -> str:
    """What was written to ``buffer`` since the last time, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
