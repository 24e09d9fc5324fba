"""What the waitlist's name search and name sort read, kept right by the database.

- ``applications.search_text``: ``lower(name) || char(10) || lower(agency_name)`` of
  its applicant (the agency part empty for a person), what the search's ``LIKE
  lower('%q%')`` reads. On the application itself, so a search is one scan of the
  applications its index finds, with their status, program and queue order at hand,
  instead of a lookup of each application from its applicant's id (7,867 for "chen"
  at 100,000: most of the 55-80 ms that search took on PostgreSQL). ``q`` never holds
  a line break (``parse_filters`` joins its words with single spaces), so a match
  never spans the name and the agency name: one ``LIKE`` over both matches exactly
  what ``name ILIKE`` OR ``agency_name ILIKE`` matched (PostgreSQL's ILIKE is
  ``lower()`` of both sides; SQLAlchemy's on SQLite is written so). Set by the same
  triggers as ``sort_name`` (migration 0021_search_text).
- ``applications.sort_name``: ``lower(coalesce(agency_name, name))`` of its
  applicant, the name sort's key, indexed with the id (so the sort reads one table
  in index order). Triggers on ``applications``, ``applicants`` and
  ``agency_details`` set it on every write (the form, a coordinator's or the
  applicant's edit, retention's anonymising, bulk inserts), so no Python path has to
  remember it.
- PostgreSQL: a ``pg_trgm`` GIN index on ``search_text``, which the search's ``LIKE``
  uses as it is written; the e-mail prefix and the reference join it in one
  ``BitmapOr`` (``AnyOf`` below).
- SQLite: an FTS5 table ``applicant_search`` (trigram tokenizer) holding each
  applicant's name and agency name, rowid = applicant id, kept by triggers: its
  match narrows the applications to check (``Candidates`` below).
- Both: ``ix_applications_queue_order``, the queue order (priority, joined first,
  not yet joined last) as an expression index; ``ix_applications_joined_order`` and
  ``ix_applications_waiting_order``, the orders of the joined and waiting sorts
  (migration 0019_sort_orders), each read forwards or backwards. The FTS5 table only
  narrows: a match is checked again with the same ``LIKE`` as before, so the
  results are exactly those of the plain scan (see ``intake.waitlist.queries``).

The same statements run from ``db.create_all()`` (the tests) and from migrations
0015_waitlist and 0021_search_text (which keep their own copies, as migrations do).
"""

from __future__ import annotations

from sqlalchemy import DDL, ColumnElement, event, literal, true
from sqlalchemy.ext.compiler import compiles

FTS_TABLE = "applicant_search"
# The trigram tokenizer indexes runs of three characters: a shorter search has
# nothing to look up and must scan.
MIN_FTS_LENGTH = 3

POSTGRESQL_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"

# Expression indexes (and with an operator class): alembic cannot compare them, so
# they are made here rather than in the models (and left out of the compare).
HAND_MADE_INDEXES = (
    "ix_applications_search_trgm",
    "ix_applications_queue_order",
    "ix_applications_joined_order",
    "ix_applications_waiting_order",
)

# The joined and waiting sorts' orders (intake.waitlist.queries._order writes the
# same expressions), the same on both databases.
SORT_ORDER_INDEXES = [
    """
    CREATE INDEX ix_applications_joined_order
    ON applications ((joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE INDEX ix_applications_waiting_order
    ON applications ((coalesce(joined_at, created_at)), id)
    """,
]


# What migration 0021_search_text made (its copy is checked against these). The text
# searched is ``lower(name) || line break || lower(agency name)``, the agency part
# empty for a person; the name key ``lower(coalesce(agency name, name))``.
POSTGRESQL_SEARCH_TEXT = [
    "CREATE INDEX ix_applications_search_trgm ON applications USING gin (search_text gin_trgm_ops)",
    """
    CREATE OR REPLACE FUNCTION applications_sort_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        person text := (SELECT name FROM applicants WHERE id = NEW.applicant_id);
        agency text := (
            SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id
        );
    BEGIN
        NEW.sort_name := lower(coalesce(agency, person));
        NEW.search_text := lower(person) || chr(10) || coalesce(lower(agency), '');
        RETURN NEW;
    END $$
    """,
    # Any write of the keys (the triggers below touch sort_name to have both
    # recomputed) or of the applicant sets them from the applicant and their agency.
    """
    CREATE TRIGGER applications_sort_name
    BEFORE INSERT OR UPDATE OF sort_name, search_text, applicant_id ON applications
    FOR EACH ROW EXECUTE FUNCTION applications_sort_name()
    """,
]

SQLITE_SEARCH_TEXT = [
    """
    CREATE TRIGGER applications_sort_name AFTER INSERT ON applications BEGIN
        UPDATE applications SET
            sort_name = lower(coalesce(
                (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id),
                (SELECT name FROM applicants WHERE id = NEW.applicant_id))),
            search_text = lower((SELECT name FROM applicants WHERE id = NEW.applicant_id))
                || char(10) || coalesce(lower(
                (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id)
                ), '')
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER applicants_search_update AFTER UPDATE OF name ON applicants BEGIN
        UPDATE applicant_search SET name = NEW.name WHERE rowid = NEW.id;
        UPDATE applications SET
            sort_name = lower(coalesce(
                (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id), NEW.name)),
            search_text = lower(NEW.name) || char(10) || coalesce(lower(
                (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id)), '')
        WHERE applicant_id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_insert AFTER INSERT ON agency_details BEGIN
        UPDATE applicant_search SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applications SET
            sort_name = lower(NEW.agency_name),
            search_text = lower((SELECT name FROM applicants WHERE id = NEW.applicant_id))
                || char(10) || coalesce(lower(NEW.agency_name), '')
        WHERE applicant_id = NEW.applicant_id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_update AFTER UPDATE OF agency_name ON agency_details
    BEGIN
        UPDATE applicant_search SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applications SET
            sort_name = lower(NEW.agency_name),
            search_text = lower((SELECT name FROM applicants WHERE id = NEW.applicant_id))
                || char(10) || coalesce(lower(NEW.agency_name), '')
        WHERE applicant_id = NEW.applicant_id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_delete AFTER DELETE ON agency_details BEGIN
        UPDATE applicant_search SET agency_name = NULL WHERE rowid = OLD.applicant_id;
        UPDATE applications SET
            sort_name = lower((SELECT name FROM applicants WHERE id = OLD.applicant_id)),
            search_text = lower((SELECT name FROM applicants WHERE id = OLD.applicant_id))
                || char(10)
        WHERE applicant_id = OLD.applicant_id;
    END
    """,
]

POSTGRESQL = [
    *POSTGRESQL_SEARCH_TEXT,
    # The queue order as an index: NULLS LAST written as (joined_at IS NULL), which
    # SQLite can index too (intake.waitlist.queries._order writes the same).
    """
    CREATE INDEX ix_applications_queue_order
    ON applications (priority DESC, (joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE OR REPLACE FUNCTION agency_details_sort_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE applications SET sort_name = NULL
        WHERE applicant_id IN (OLD.applicant_id, NEW.applicant_id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION applicant_name_sort_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE applications SET sort_name = NULL WHERE applicant_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER applicants_sort_name AFTER UPDATE OF name ON applicants
    FOR EACH ROW EXECUTE FUNCTION applicant_name_sort_name()
    """,
    """
    CREATE TRIGGER agency_details_sort_name
    AFTER INSERT OR DELETE OR UPDATE OF agency_name, applicant_id ON agency_details
    FOR EACH ROW EXECUTE FUNCTION agency_details_sort_name()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS agency_details_sort_name ON agency_details",
    "DROP TRIGGER IF EXISTS applicants_sort_name ON applicants",
    "DROP TRIGGER IF EXISTS applications_sort_name ON applications",
    "DROP FUNCTION IF EXISTS applicant_name_sort_name()",
    "DROP FUNCTION IF EXISTS agency_details_sort_name()",
    "DROP FUNCTION IF EXISTS applications_sort_name()",
    "DROP INDEX IF EXISTS ix_applications_queue_order",
    "DROP INDEX IF EXISTS ix_applications_search_trgm",
]

SQLITE = [
    "CREATE VIRTUAL TABLE applicant_search USING fts5(name, agency_name, tokenize='trigram')",
    """
    CREATE INDEX ix_applications_queue_order
    ON applications (priority DESC, (joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE TRIGGER applicants_search_insert AFTER INSERT ON applicants BEGIN
        INSERT INTO applicant_search (rowid, name, agency_name) VALUES (NEW.id, NEW.name,
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id));
    END
    """,
    """
    CREATE TRIGGER applicants_search_delete AFTER DELETE ON applicants BEGIN
        DELETE FROM applicant_search WHERE rowid = OLD.id;
    END
    """,
    *SQLITE_SEARCH_TEXT,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS agency_details_search_delete",
    "DROP TRIGGER IF EXISTS agency_details_search_update",
    "DROP TRIGGER IF EXISTS agency_details_search_insert",
    "DROP TRIGGER IF EXISTS applicants_search_delete",
    "DROP TRIGGER IF EXISTS applicants_search_update",
    "DROP TRIGGER IF EXISTS applicants_search_insert",
    "DROP TRIGGER IF EXISTS applications_sort_name",
    "DROP INDEX IF EXISTS ix_applications_queue_order",
    "DROP TABLE IF EXISTS applicant_search",
]


def include_name(name, type_, parent_names) -> bool:  # noqa: ARG001 - alembic's signature
    """For alembic's autogenerate and compare: the FTS5 table (and its shadow
    tables) and the trigram indexes are made by hand (above), not from the models."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "index":
        return name not in HAND_MADE_INDEXES
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


class AnyOf(ColumnElement[bool]):
    """``column`` is one of the ids ``ids`` (a select of one column) gives. On
    PostgreSQL ``column = ANY(ARRAY(ids))``: the ids are read once and looked up in
    ``column``'s index, which can join the other parts of an OR in one ``BitmapOr``
    (``column IN (ids)`` inside an OR is a per-row filter, a scan of the table).
    Elsewhere ``column IN (ids)``, which SQLite's ``MULTI-INDEX OR`` serves."""

    inherit_cache = False

    def __init__(self, column, ids):
        self.column = column
        self.ids = ids


@compiles(AnyOf)
def _any_of_default(element, compiler, **kw):
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(AnyOf, "postgresql")
def _any_of_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{column} = ANY(ARRAY{ids})"


def register(metadata) -> None:
    """Run the statements above when ``create_all`` has made the tables."""
    extension = DDL(POSTGRESQL_EXTENSION).execute_if(dialect="postgresql")
    event.listen(metadata, "before_create", extension)
    for statement in POSTGRESQL:
        ddl = DDL(statement).execute_if(dialect="postgresql")
        event.listen(metadata, "after_create", ddl)
    for statement in SQLITE:
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in SORT_ORDER_INDEXES:
        event.listen(metadata, "after_create", DDL(statement))
    # drop_all drops tables only; the FTS table would outlive them.
    for statement in SQLITE_DROP:
        event.listen(metadata, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
