"""The waitlist as a CSV file: streamed in batches, safe to open in a spreadsheet
(``intake.csvfile``).

Never any self-identification answer: ``export_query`` names every column it reads.

A long list is tens of thousands of rows: the query hands back plain tuples of stored
values, and each label, list and date is made into its cell with as little Python per
row as will do (docs/PERFORMANCE.md, "CSV export").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import overload

from flask_babel import to_user_timezone
from sqlalchemy import DateTime, Select, Text, cast, select, type_coerce

from intake import choices
from intake.auth.scope import Scope
from intake.csvfile import BATCH_SIZE, stream_csv
from intake.i18n import gettext
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
from intake.templating import programs_zone
from intake.waitlist.queries import Filters, aggregated_codes, codes_labeller, ordered

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
        # As stored, and converted once per distinct value (``_Cells``), not per row:
        # the JSON text of the list, and naive UTC moments.
        cast(Applicant.access_needs, Text).label("access_needs"),
        Applicant.access_needs_other,
        type_coerce(Application.joined_at, DateTime()).label("joined_at"),
        type_coerce(Application.created_at, DateTime()).label("created_at"),
        Applicant.entered_via,
        aggregated_codes(ApplicantLanguage.code).label("language_codes"),
        aggregated_codes(ApplicantAvailability.slot).label("slots"),
    ).select_from(Application)
    return ordered(columns, filters, cohort, scope=scope)


class _Cells:
    """A row of the file from a row of ``export_query``. Every label translated once,
    every list and label turned into its cell once per distinct value."""

    def __init__(self, now: datetime):
        languages = dict(choices.LANGUAGES)
        availability = {k: gettext(v) for k, v in choices.AVAILABILITY}
        access_needs = {k: gettext(v) for k, v in choices.ACCESS_NEEDS}
        statuses = {k: gettext(v) for k, v in LABELS.items()}
        self.languages = codes_labeller(languages, "; ")
        self.slots = codes_labeller(availability, "; ")
        self.needs = cache(lambda text: _join(json.loads(text) if text else None, access_needs))
        self.statuses = cache(lambda status: statuses.get(status, status))
        self.zone = programs_zone()
        # The query hands back naive UTC moments.
        self.now = now.astimezone(UTC).replace(tzinfo=None)

    def __call__(self, record) -> list[object]:
        (
            reference,
            kind,
            name,
            agency_name,
            organisation,
            email,
            phone,
            program_name,
            cycle_name,
            status,
            priority,
            seats_requested,
            access_needs,
            access_needs_other,
            joined_at,
            created_at,
            entered_via,
            language_codes,
            slots,
        ) = record
        needs = self.needs(access_needs)
        if access_needs_other:
            needs = "; ".join(filter(None, [needs, access_needs_other]))
        if joined_at is None:
            joined = ""
        else:
            zone = self.zone
            joined = zone.fromutc(joined_at.replace(tzinfo=zone)).date().isoformat()
        return [
            reference,
            kind,
            name,
            agency_name or organisation or "",
            email,
            phone or "",
            program_name,
            cycle_name or "",
            self.statuses(status),
            priority,
            seats_requested,
            self.languages(language_codes),
            self.slots(slots),
            needs,
            joined,
            max(0, (self.now - (joined_at or created_at)).days),
            entered_via or "",
        ]


def _join(values: list[str] | None, labels: dict[str, str]) -> str:
    return "; ".join(labels.get(value, value) for value in values or [])


def csv_chunks(stmt: Select, now: datetime, batch_size: int | None = None) -> Iterator[str]:
    """The CSV text of every row of ``stmt`` (an ``export_query``), one chunk per
    batch of rows fetched ``batch_size`` at a time: the list is never whole in
    memory. Safe to open in a spreadsheet (``intake.csvfile``)."""
    return stream_csv(COLUMNS, stmt, _Cells(now), batch_size or BATCH_SIZE)
