"""The waitlist as a CSV file: streamed in batches, safe to open in a spreadsheet.

Never any self-identification answer: ``export_query`` names every column it reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, overload

from flask_babel import get_timezone, gettext, to_user_timezone
from sqlalchemy import Select, func, select

from intake import choices
from intake.auth.scope import Scope
from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    ApplicationWindow,
    Cohort,
    Program,
)
from intake.status.states import LABELS
from intake.waitlist.queries import Filters, days_waiting, ordered

BATCH_SIZE = 500

COLUMNS = [
    "Reference",
    "Kind",
    "Name",
    "Organisation or agency",
    "E-mail",
    "Phone",
    "Program",
    "Cycle",
    "Status",
    "Priority",
    "Seats",
    "Languages",
    "Days/times",
    "Access needs",
    "Joined",
    "Days waiting",
    # "phone" or "paper" when a coordinator entered it for the person (intake.entry).
    "Entered by coordinator",
]

# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) sends data away; a tab or carriage return hides the start).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell a spreadsheet shows as text instead of running it: text that starts
    like a formula gets a leading apostrophe. Numbers we computed pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@overload
def local_date(moment: datetime) -> date: ...


@overload
def local_date(moment: None) -> None: ...


def local_date(moment: datetime | None) -> date | None:
    """The calendar day in the programs' time zone (a 5 pm Pacific join is that day,
    not the next UTC one)."""
    return to_user_timezone(moment).date() if moment else None


def export_query(filters: Filters, cohort: Cohort | None = None, *, scope: Scope) -> Select:
    """The columns the file shows, named one by one (so nothing else, and nothing
    sensitive, can slip in), for the filtered list of the programs ``scope`` sees, in
    its order. Plain rows, not ORM objects: tens of thousands of them are read."""
    columns = select(
        Application.reference,
        Applicant.kind,
        Applicant.name,
        AgencyDetails.agency_name,
        Applicant.organisation,
        Applicant.email,
        Applicant.phone,
        Program.name.label("program_name"),
        # The cycle (application window) it came in, if the program has windows.
        select(ApplicationWindow.name)
        .where(ApplicationWindow.id == Application.window_id)
        .scalar_subquery()
        .label("cycle_name"),
        Application.status,
        Application.priority,
        Application.seats_requested,
        Applicant.access_needs,
        Applicant.access_needs_other,
        Application.joined_at,
        Application.created_at,
        Applicant.entered_via,
        _codes(ApplicantLanguage.code).label("language_codes"),
        _codes(ApplicantAvailability.slot).label("slots"),
    ).select_from(Application)
    return ordered(columns, filters, cohort, scope=scope)


def _codes(column):
    """A person's values in a per-applicant table (languages, days/times) as one
    comma-separated text: string_agg on PostgreSQL, group_concat on SQLite."""
    table = column.class_
    return (
        select(func.aggregate_strings(column, ","))
        .where(table.applicant_id == Application.applicant_id)
        .scalar_subquery()
    )


class _Labels:
    """Every label the file uses, translated once rather than once per row."""

    def __init__(self):
        self.languages = dict(choices.LANGUAGES)
        self.availability = {k: gettext(v) for k, v in choices.AVAILABILITY}
        self.access_needs = {k: gettext(v) for k, v in choices.ACCESS_NEEDS}
        self.statuses = {k: gettext(v) for k, v in LABELS.items()}
        self.timezone = get_timezone()

    def join(self, values, labels: dict[str, str]) -> str:
        return "; ".join(labels.get(value, value) for value in values)

    def join_codes(self, codes: str | None, labels: dict[str, str]) -> str:
        # Aggregates have no guaranteed order: sort, as the table does.
        return self.join(sorted(codes.split(",")) if codes else [], labels)


def row(record, now: datetime, labels: _Labels) -> list[object]:
    needs = labels.join(record.access_needs or [], labels.access_needs)
    if record.access_needs_other:
        needs = "; ".join(filter(None, [needs, record.access_needs_other]))
    joined = record.joined_at.astimezone(labels.timezone).date() if record.joined_at else None
    return [
        record.reference,
        record.kind,
        record.name,
        record.agency_name or record.organisation or "",
        record.email,
        record.phone or "",
        record.program_name,
        record.cycle_name or "",
        labels.statuses.get(record.status, record.status),
        record.priority,
        record.seats_requested,
        labels.join_codes(record.language_codes, labels.languages),
        labels.join_codes(record.slots, labels.availability),
        needs,
        joined.isoformat() if joined else "",
        days_waiting(record, now),
        record.entered_via or "",
    ]


def csv_chunks(stmt: Select, now: datetime, batch_size: int | None = None) -> Iterator[str]:
    """The CSV text of every row of ``stmt`` (an ``export_query``), one chunk per
    batch of rows fetched ``batch_size`` at a time: the list is never whole in
    memory."""
    labels = _Labels()
    return stream_csv(COLUMNS, stmt, lambda record: row(record, now, labels), batch_size)


def stream_csv(
    header: list[str], stmt: Select, cells: Callable[[Any], list[object]], batch_size=None
) -> Iterator[str]:
    """A CSV file, streamed: ``header``, then ``cells(record)`` (neutralised) for every
    row of ``stmt``, one chunk per batch of ``batch_size`` rows (every export).

    Starts with a byte order mark so spreadsheets read the file as UTF-8 (names in
    Spanish and Chinese come out right).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + drain(buffer)
    result = db.session.execute(stmt.execution_options(yield_per=batch_size or BATCH_SIZE))
    for batch in result.partitions():
        for record in batch:
            writer.writerow([neutralise(cell) for cell in cells(record)])
        yield drain(buffer)


def drain(buffer: io.StringIO) -> str:
    """What was written to ``buffer`` since the last time, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
