"""``applications.match_mask``: the languages and time slots of an application's
applicant as bits of one integer, so the count of a place in line tests a column of
the queue index instead of joining ``applicant_languages`` and
``applicant_availability`` for every application ahead
(``intake.manage.services.places_in_line``).

One bit per language code (``intake.choices.LANGUAGES``) and one per time slot
(``intake.choices.AVAILABILITY``), defined here once. A code or slot not listed has
no bit: a cohort asking for one is checked by the joins, as before
(``cohort_bits`` returns None). One more bit says the applicant is an agency
(``AGENCY_BIT``), for the waitlist's kind filter.

The database keeps the mask right, so no writer has to remember it (the forms,
on-behalf entry, the manage page's details edit, split parts, retention, bulk
inserts such as bench/seed.py): triggers on ``applicant_languages`` and
``applicant_availability`` (insert, update, delete) recompute the masks of the
applicant's applications, a trigger on ``applicants`` does so when its ``kind``
changes, and triggers on ``applications`` (insert, and a change of
``applicant_id``) compute a new row's. The same statements run from
``db.create_all()`` (the tests, ``register``) and from migrations 0017_queue_mask
and 0020_agency_bit (the agency bit), which keep their own copies of them (a
migration must not change when the app does).

Pure: no import of the app, so a migration or a script could read the values too.
"""

# ruff: noqa: S608 - the SQL here is built from our own constants, never from input

from __future__ import annotations

from sqlalchemy import DDL, Integer, event, literal

# Bit values. Never renumber one: stored masks would mean something else (a new
# code or slot takes the next free bit, 1 << 10 now that AGENCY_BIT holds 1 << 9,
# with a migration that recomputes the masks).
LANGUAGE_BITS: dict[str, int] = {
    "en": 1 << 0,
    "es": 1 << 1,
    "cmn": 1 << 2,
    "asl": 1 << 3,
}
SLOT_BITS: dict[str, int] = {
    "weekday_morning": 1 << 4,
    "weekday_midday": 1 << 5,
    "weekday_afternoon": 1 << 6,
    "weekday_evening": 1 << 7,
    "weekend": 1 << 8,
}


# An agency's application (``applicants.kind``): the waitlist's kind filter tests it
# instead of joining the applicants (migration 0020_agency_bit).
AGENCY_BIT = 1 << 9


def cohort_bits(language: str, time_slot: str | None) -> int | None:
    """The bits an application's mask must all have to fit a cohort of ``language``
    at ``time_slot`` (None: any time), or None when one of them has no bit."""
    if language not in LANGUAGE_BITS:
        return None
    if time_slot is None:
        return LANGUAGE_BITS[language]
    if time_slot not in SLOT_BITS:
        return None
    return LANGUAGE_BITS[language] | SLOT_BITS[time_slot]


def has_bits(mask, bits: int):
    """A condition: ``mask`` (``applications.match_mask``, or a column selected from
    it) has every one of ``bits``."""
    return mask.op("&")(literal(bits, Integer)) == bits


def _case(column: str, bits: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{key}' THEN {value}" for key, value in bits.items())
    return f"CASE {column} {whens} ELSE 0 END"


def mask_sql(applicant_id: str) -> str:
    """SQL for the mask of the applicant whose id is the expression ``applicant_id``
    (both databases): the sum of the bits of their languages and slots, each row
    once by the tables' primary keys, and the agency bit."""
    languages = (
        f"(SELECT coalesce(sum({_case('code', LANGUAGE_BITS)}), 0)"
        f" FROM applicant_languages WHERE applicant_id = {applicant_id})"
    )
    slots = (
        f"(SELECT coalesce(sum({_case('slot', SLOT_BITS)}), 0)"
        f" FROM applicant_availability WHERE applicant_id = {applicant_id})"
    )
    agency = (
        f"coalesce((SELECT CASE kind WHEN 'agency' THEN {AGENCY_BIT} ELSE 0 END"
        f" FROM applicants WHERE id = {applicant_id}), 0)"
    )
    return f"{languages} + {slots} + {agency}"


# PostgreSQL: a BEFORE trigger sets the mask on any insert of an application, and on
# any update of its mask or applicant (the other triggers write the column to have
# it recomputed).
POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION applications_match_mask() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.match_mask := {mask_sql("NEW.applicant_id")};
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER applications_match_mask
    BEFORE INSERT OR UPDATE OF match_mask, applicant_id ON applications
    FOR EACH ROW EXECUTE FUNCTION applications_match_mask()
    """,
    """
    CREATE OR REPLACE FUNCTION applicant_match_mask_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE applications SET match_mask = 0
        WHERE applicant_id IN (OLD.applicant_id, NEW.applicant_id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER applicant_languages_match_mask
    AFTER INSERT OR DELETE OR UPDATE ON applicant_languages
    FOR EACH ROW EXECUTE FUNCTION applicant_match_mask_changed()
    """,
    """
    CREATE TRIGGER applicant_availability_match_mask
    AFTER INSERT OR DELETE OR UPDATE ON applicant_availability
    FOR EACH ROW EXECUTE FUNCTION applicant_match_mask_changed()
    """,
    """
    CREATE OR REPLACE FUNCTION applicant_kind_match_mask() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE applications SET match_mask = 0 WHERE applicant_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER applicants_match_mask
    AFTER UPDATE OF kind ON applicants
    FOR EACH ROW EXECUTE FUNCTION applicant_kind_match_mask()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS applicants_match_mask ON applicants",
    "DROP FUNCTION IF EXISTS applicant_kind_match_mask()",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask ON applicant_availability",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask ON applicant_languages",
    "DROP TRIGGER IF EXISTS applications_match_mask ON applications",
    "DROP FUNCTION IF EXISTS applicant_match_mask_changed()",
    "DROP FUNCTION IF EXISTS applications_match_mask()",
]


def _sqlite_recompute(table: str, event_: str, rows: tuple[str, ...]) -> str:
    """An AFTER trigger on ``table`` that recomputes the masks of the applications
    of the applicant of ``rows`` (NEW, OLD or both)."""
    body = "\n".join(
        f"UPDATE applications SET match_mask = {mask_sql(f'{row}.applicant_id')}"
        f" WHERE applicant_id = {row}.applicant_id;"
        for row in rows
    )
    name = f"{table}_match_mask_{event_.lower()}"
    return f"CREATE TRIGGER {name} AFTER {event_} ON {table} BEGIN\n{body}\nEND"


# SQLite: no BEFORE trigger can change NEW, so AFTER triggers update the row.
SQLITE = [
    f"""
    CREATE TRIGGER applications_match_mask_insert AFTER INSERT ON applications BEGIN
        UPDATE applications SET match_mask = {mask_sql("NEW.applicant_id")}
        WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER applications_match_mask_update AFTER UPDATE OF applicant_id
    ON applications BEGIN
        UPDATE applications SET match_mask = {mask_sql("NEW.applicant_id")}
        WHERE id = NEW.id;
    END
    """,
    *(
        _sqlite_recompute(table, event_, rows)
        for table in ("applicant_languages", "applicant_availability")
        for event_, rows in (
            ("INSERT", ("NEW",)),
            ("DELETE", ("OLD",)),
            ("UPDATE", ("OLD", "NEW")),
        )
    ),
    f"""
    CREATE TRIGGER applicants_match_mask_update AFTER UPDATE OF kind ON applicants BEGIN
        UPDATE applications SET match_mask = {mask_sql("NEW.id")}
        WHERE applicant_id = NEW.id;
    END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS applicants_match_mask_update",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_update",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_delete",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_insert",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_update",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_delete",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_insert",
    "DROP TRIGGER IF EXISTS applications_match_mask_update",
    "DROP TRIGGER IF EXISTS applications_match_mask_insert",
]


def register(metadata) -> None:
    """Make the triggers above when ``create_all`` has made the tables."""
    for statement in POSTGRESQL:
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE:
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="sqlite"))
