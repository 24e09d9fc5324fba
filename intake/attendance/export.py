"""A cohort's roster as a CSV file for its facilitators and coordinators: names,
e-mail addresses, language, role and access needs (to book interpreters and
captions), streamed and safe to open in a spreadsheet (``intake.csvfile``, as every
export).

Never any self-identification answer: ``roster_query`` names every column it reads,
all of them from the participant.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select, func, select

from intake import choices
from intake.csvfile import stream_csv
from intake.i18n import LANGUAGE_NAMES, gettext
from intake.models import Participant

COLUMNS = ["Name", "E-mail", "Language", "Role", "Access needs", "Status"]
# People on the roster: in the group now, or finished it.
ON_ROSTER = ("active", "completed")
STATUS_LABELS = {"active": "In the group", "completed": "Completed"}


def roster_query(cohort_id: int) -> Select:
    """The columns the file shows, named one by one, in name order."""
    return (
        select(
            Participant.name,
            Participant.email,
            Participant.locale,
            Participant.role,
            Participant.access_needs,
            Participant.access_needs_other,
            Participant.status,
        )
        .where(Participant.cohort_id == cohort_id, Participant.status.in_(ON_ROSTER))
        .order_by(func.lower(Participant.name), Participant.id)
    )


def row(record, roles: dict[str, str], needs: dict[str, str]) -> list[object]:
    access = [needs.get(need, need) for need in record.access_needs or []]
    if record.access_needs_other:
        access.append(record.access_needs_other)
    return [
        record.name,
        record.email,
        LANGUAGE_NAMES.get(record.locale, record.locale),
        roles.get(record.role, record.role) if record.role else "",
        "; ".join(access),
        STATUS_LABELS.get(record.status, record.status),
    ]


def csv_chunks(cohort_id: int, batch_size: int | None = None) -> Iterator[str]:
    """The CSV text, a chunk per batch of rows (``stream_csv``, as every export)."""
    roles = {key: gettext(label) for key, label in choices.ROLES}
    needs = {key: gettext(label) for key, label in choices.ACCESS_NEEDS}
    return stream_csv(
        COLUMNS, roster_query(cohort_id), lambda record: row(record, roles, needs), batch_size
    )
