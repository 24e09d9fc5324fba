"""waitlist at 100,000: name sort key, queue order index, trigram (PostgreSQL) and FTS5 (SQLite) search

Issue 13: the waitlist searched ``'%q%'`` (ILIKE on PostgreSQL, lower() LIKE on
SQLite) over every applicant and
their agency (no index can serve a leading wildcard), twice (count and page), and
sorted by ``lower(coalesce(agency_name, name))`` across a join, with no index.

Chosen from EXPLAIN at 100,000 applications (figures in docs/PERFORMANCE.md,
"Waitlist at 100,000"):

- ``applications.sort_name`` = ``lower(coalesce(agency_name, name))`` of its
  applicant, indexed with the id, kept by triggers on ``applications``,
  ``applicants`` and ``agency_details`` (every writer: the form, edits, retention,
  bulk inserts). Before, the name sort read every waiting row joined to applicants
  and agency details and sorted them (SQLite: ``USE TEMP B-TREE FOR ORDER BY`` over
  68,000 rows, 1.0-1.3 s; PostgreSQL: top-N heapsort after a hash join); now it
  walks ``ix_applications_sort_name`` and stops after a page (SQLite: ``SCAN
  applications USING INDEX ix_applications_sort_name``, 3 ms; PostgreSQL: ``Index
  Scan`` on it, 1.3 ms). On applicants the key needed a join SQLite's planner would
  not drive from (it still sorted 68,000 rows): on applications it is one table.
- ``ix_applications_queue_order`` (priority DESC, (joined_at IS NULL), joined_at,
  id), an expression index on both databases: the queue order, which every filter
  uses by default, read in index order (``Index Scan using
  ix_applications_queue_order``, 74 rows for a page of 50) instead of a top-N sort of
  68,000 (``NULLS LAST`` cannot be indexed on SQLite; ``joined_at IS NULL`` can).
- PostgreSQL: ``pg_trgm`` (a trusted extension, 1.6 here) GIN indexes on
  ``name`` and ``agency_name``: the existing ``ILIKE '%q%'`` uses them as
  written (``Bitmap Index Scan on ix_applicants_name_trgm``, rechecked by the same
  ILIKE, so the results do not change). Before: ``Seq Scan on applicants`` with the
  ILIKE as a filter, per query. Trigram over full-text: full-text matches words, the
  search matches substrings ("hen" finds "Chen").
- SQLite: an FTS5 table ``applicant_search`` with the trigram tokenizer (SQLite
  3.40: no ``remove_diacritics`` option, so it folds case only, a superset of
  ``lower() LIKE``'s ASCII-only folding); the query takes its matches as candidates
  and checks them again with the same LIKE, so the results are exactly those of the
  scan. ``SCAN applicant_search VIRTUAL TABLE INDEX 0:M2`` (4.5 ms for 7,867
  "chen" candidates) replaces ``SCAN applicants`` (72 ms). Searches shorter than
  three characters have no trigram and scan, as before.

Revision ID: 0015_waitlist
Revises: 0014
Create Date: 2026-11-26 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_waitlist'
down_revision = '0014'
branch_labels = None
depends_on = None

FTS_TABLE = "applicant_search"
# Copied from intake.waitlist.search: a migration must not change when the app does.

POSTGRESQL = [
    "CREATE INDEX ix_applicants_name_trgm ON applicants USING gin (name gin_trgm_ops)",
    """
    CREATE INDEX ix_agency_details_name_trgm ON agency_details
    USING gin (agency_name gin_trgm_ops)
    """,
    # The queue order as an index: NULLS LAST written as (joined_at IS NULL), which
    # SQLite can index too (intake.waitlist.queries._order writes the same).
    """
    CREATE INDEX ix_applications_queue_order
    ON applications (priority DESC, (joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE OR REPLACE FUNCTION applications_sort_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.sort_name := lower(coalesce(
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id),
            (SELECT name FROM applicants WHERE id = NEW.applicant_id)));
        RETURN NEW;
    END $$
    """,
    # Any write of the key (the triggers below touch it to have it recomputed) or of
    # the applicant sets it from the applicant and their agency.
    """
    CREATE TRIGGER applications_sort_name
    BEFORE INSERT OR UPDATE OF sort_name, applicant_id ON applications
    FOR EACH ROW EXECUTE FUNCTION applications_sort_name()
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
    "DROP INDEX IF EXISTS ix_agency_details_name_trgm",
    "DROP INDEX IF EXISTS ix_applicants_name_trgm",
]

SQLITE = [
    "CREATE VIRTUAL TABLE applicant_search USING fts5(name, agency_name, tokenize='trigram')",
    """
    CREATE INDEX ix_applications_queue_order
    ON applications (priority DESC, (joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE TRIGGER applications_sort_name AFTER INSERT ON applications BEGIN
        UPDATE applications SET sort_name = lower(coalesce(
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id),
            (SELECT name FROM applicants WHERE id = NEW.applicant_id)))
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER applicants_search_insert AFTER INSERT ON applicants BEGIN
        INSERT INTO applicant_search (rowid, name, agency_name) VALUES (NEW.id, NEW.name,
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id));
    END
    """,
    """
    CREATE TRIGGER applicants_search_update AFTER UPDATE OF name ON applicants BEGIN
        UPDATE applicant_search SET name = NEW.name WHERE rowid = NEW.id;
        UPDATE applications SET sort_name = lower(coalesce(
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id), NEW.name))
        WHERE applicant_id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER applicants_search_delete AFTER DELETE ON applicants BEGIN
        DELETE FROM applicant_search WHERE rowid = OLD.id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_insert AFTER INSERT ON agency_details BEGIN
        UPDATE applicant_search SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applications SET sort_name = lower(NEW.agency_name)
        WHERE applicant_id = NEW.applicant_id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_update AFTER UPDATE OF agency_name ON agency_details
    BEGIN
        UPDATE applicant_search SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applications SET sort_name = lower(NEW.agency_name)
        WHERE applicant_id = NEW.applicant_id;
    END
    """,
    """
    CREATE TRIGGER agency_details_search_delete AFTER DELETE ON agency_details BEGIN
        UPDATE applicant_search SET agency_name = NULL WHERE rowid = OLD.applicant_id;
        UPDATE applications
        SET sort_name = lower((SELECT name FROM applicants WHERE id = OLD.applicant_id))
        WHERE applicant_id = OLD.applicant_id;
    END
    """,
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


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_applications_sort_name', ['sort_name', 'id'], unique=False)
    if postgresql:
        for statement in POSTGRESQL:
            op.execute(statement)
        # The trigger computes the key on any update of it.
        op.execute("UPDATE applications SET sort_name = NULL")
    else:
        for statement in SQLITE:
            op.execute(statement)
        op.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, name, agency_name) SELECT applicants.id,"
            " applicants.name, agency_details.agency_name FROM applicants LEFT JOIN"
            " agency_details ON agency_details.applicant_id = applicants.id"
        )
        op.execute(
            "UPDATE applications SET sort_name = lower(coalesce((SELECT agency_name FROM"
            " agency_details WHERE applicant_id = applications.applicant_id), (SELECT name"
            " FROM applicants WHERE id = applications.applicant_id)))"
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for statement in POSTGRESQL_DROP:
            op.execute(statement)
    else:
        for statement in SQLITE_DROP:
            op.execute(statement)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_sort_name')
        batch_op.drop_column('sort_name')
    # The extension stays: other databases objects may use it, and it is harmless.
