"""What the waitlist's name search and name sort read, kept right by the database.

- ``applicants.sort_name``: ``lower(coalesce(agency_name, name))``, the name sort's
  key, indexed. Triggers on ``applicants`` and ``agency_details`` set it on every
  write (the form, a coordinator's or the applicant's edit, retention's anonymising,
  bulk inserts), so no Python path has to remember it.
- PostgreSQL: ``pg_trgm`` GIN indexes on ``lower(name)`` and ``lower(agency_name)``,
  which the search's ``LIKE '%q%'`` uses as it is written.
- SQLite: an FTS5 table ``applicant_search`` (trigram tokenizer) holding each
  applicant's name and agency name, rowid = applicant id, kept by triggers. It only
  narrows: a match is checked again with the same ``LIKE`` as before, so the
  results are exactly those of the plain scan (see ``intake.waitlist.queries``).

The same statements run from ``db.create_all()`` (the tests) and from migration
0015_waitlist (which keeps its own copy, as migrations do).
"""

from __future__ import annotations

from sqlalchemy import DDL, ColumnElement, event, literal, true
from sqlalchemy.ext.compiler import compiles

FTS_TABLE = "applicant_search"
# The trigram tokenizer indexes runs of three characters: a shorter search has
# nothing to look up and must scan.
MIN_FTS_LENGTH = 3

POSTGRESQL_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"

# Expression indexes with an operator class: alembic cannot compare them, so they
# are made here rather than in the models (and left out of the compare).
TRIGRAM_INDEXES = ("ix_applicants_name_trgm", "ix_agency_details_name_trgm")

POSTGRESQL = [
    "CREATE INDEX ix_applicants_name_trgm ON applicants USING gin (name gin_trgm_ops)",
    """
    CREATE INDEX ix_agency_details_name_trgm ON agency_details
    USING gin (agency_name gin_trgm_ops)
    """,
    """
    CREATE OR REPLACE FUNCTION applicants_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.sort_name := lower(coalesce(
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id), NEW.name));
        RETURN NEW;
    END $$
    """,
    # Any write of the name (or of the key itself: the agency trigger below touches
    # it to have it recomputed) sets the key from the row and its agency.
    """
    CREATE TRIGGER applicants_sort_name BEFORE INSERT OR UPDATE OF name, sort_name
    ON applicants FOR EACH ROW EXECUTE FUNCTION applicants_sort_name()
    """,
    """
    CREATE OR REPLACE FUNCTION agency_details_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE applicants SET sort_name = NULL
        WHERE id IN (OLD.applicant_id, NEW.applicant_id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER agency_details_sort_name
    AFTER INSERT OR DELETE OR UPDATE OF agency_name, applicant_id ON agency_details
    FOR EACH ROW EXECUTE FUNCTION agency_details_sort_name()
    """,
]

POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS ix_agency_details_name_trgm",
    "DROP INDEX IF EXISTS ix_applicants_name_trgm",
    "DROP TRIGGER IF EXISTS agency_details_sort_name ON agency_details",
    "DROP FUNCTION IF EXISTS agency_details_sort_name()",
    "DROP TRIGGER IF EXISTS applicants_sort_name ON applicants",
    "DROP FUNCTION IF EXISTS applicants_sort_name()",
]

_AGENCY_OF_NEW = "(SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id)"

SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(name, agency_name, tokenize='trigram')",
    f"""
    CREATE TRIGGER applicants_search_insert AFTER INSERT ON applicants BEGIN
        INSERT INTO {FTS_TABLE} (rowid, name, agency_name)
        VALUES (NEW.id, NEW.name, {_AGENCY_OF_NEW});
        UPDATE applicants SET sort_name = lower(coalesce({_AGENCY_OF_NEW}, NEW.name))
        WHERE id = NEW.id;
    END
    """,  # noqa: S608 - constants, no input
    f"""
    CREATE TRIGGER applicants_search_update AFTER UPDATE OF name ON applicants BEGIN
        UPDATE {FTS_TABLE} SET name = NEW.name WHERE rowid = NEW.id;
        UPDATE applicants SET sort_name = lower(coalesce({_AGENCY_OF_NEW}, NEW.name))
        WHERE id = NEW.id;
    END
    """,  # noqa: S608 - constants, no input
    f"""
    CREATE TRIGGER applicants_search_delete AFTER DELETE ON applicants BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id;
    END
    """,  # noqa: S608 - constants, no input
    f"""
    CREATE TRIGGER agency_details_search_insert AFTER INSERT ON agency_details BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applicants SET sort_name = lower(NEW.agency_name) WHERE id = NEW.applicant_id;
    END
    """,  # noqa: S608 - constants, no input
    f"""
    CREATE TRIGGER agency_details_search_update AFTER UPDATE OF agency_name ON agency_details
    BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applicants SET sort_name = lower(NEW.agency_name) WHERE id = NEW.applicant_id;
    END
    """,  # noqa: S608 - constants, no input
    f"""
    CREATE TRIGGER agency_details_search_delete AFTER DELETE ON agency_details BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NULL WHERE rowid = OLD.applicant_id;
        UPDATE applicants SET sort_name = lower(name) WHERE id = OLD.applicant_id;
    END
    """,  # noqa: S608 - constants, no input
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS agency_details_search_delete",
    "DROP TRIGGER IF EXISTS agency_details_search_update",
    "DROP TRIGGER IF EXISTS agency_details_search_insert",
    "DROP TRIGGER IF EXISTS applicants_search_delete",
    "DROP TRIGGER IF EXISTS applicants_search_update",
    "DROP TRIGGER IF EXISTS applicants_search_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def include_name(name, type_, parent_names) -> bool:  # noqa: ARG001 - alembic's signature
    """For alembic's autogenerate and compare: the FTS5 table (and its shadow
    tables) and the trigram indexes are made by hand (above), not from the models."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "index":
        return name not in TRIGRAM_INDEXES
    return True


def fts_phrase(q: str) -> str:
    """``q`` as one FTS5 phrase: a double-quoted string, its quotes doubled; nothing
    inside it is query syntax."""
    return '"' + q.replace('"', '""') + '"'


class Candidates(ColumnElement[bool]):
    """``column`` (an applicant id) is one the FTS5 table matches for ``q``: on
    SQLite, and for a ``q`` of three characters or more; elsewhere always true (a
    narrowing only: the caller keeps its own exact condition). Decided when the
    statement is compiled, so building a query needs no database."""

    # Not cached: the SQL depends on ``q`` (its length, its phrase, bound at compile).
    inherit_cache = False
    # No Boolean type: SQLite would be sent "IN (...) = 1", which no index serves.

    def __init__(self, column, q: str):
        self.column = column
        self.q = q


@compiles(Candidates)
def _candidates_default(element, compiler, **kw):  # noqa: ARG001 - the hook's signature
    return compiler.process(true(), **kw)


@compiles(Candidates, "sqlite")
def _candidates_sqlite(element, compiler, **kw):
    if len(element.q) < MIN_FTS_LENGTH:
        return compiler.process(true(), **kw)
    column = compiler.process(element.column, **kw)
    phrase = compiler.process(literal(fts_phrase(element.q)), **kw)
    # The phrase is a bound parameter; the rest are our own names.
    return f"{column} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {phrase})"  # noqa: S608


def register(metadata, agency_details) -> None:
    """Run the statements above when ``create_all`` makes the tables (both exist by
    the time ``agency_details`` is made: it refers to ``applicants``)."""
    extension = DDL(POSTGRESQL_EXTENSION).execute_if(dialect="postgresql")
    event.listen(metadata, "before_create", extension)
    for statement in POSTGRESQL:
        ddl = DDL(statement).execute_if(dialect="postgresql")
        event.listen(agency_details, "after_create", ddl)
    for statement in SQLITE:
        event.listen(agency_details, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    # drop_all drops tables only; the FTS table would outlive them.
    for statement in SQLITE_DROP:
        event.listen(agency_details, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
