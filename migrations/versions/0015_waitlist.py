"""waitlist at 100,000: name sort key, trigram search (PostgreSQL), FTS5 search (SQLite)

Issue 13: the waitlist searched ``lower(name) LIKE '%q%'`` over every applicant and
their agency (no index can serve a leading wildcard), twice (count and page), and
sorted by ``lower(coalesce(agency_name, name))`` across a join, with no index.

Chosen from EXPLAIN at 100,000 applications (figures in docs/PERFORMANCE.md,
"Waitlist at 100,000"):

- ``applicants.sort_name`` = ``lower(coalesce(agency_name, name))``, indexed with the
  id, kept by triggers on ``applicants`` and ``agency_details`` (every writer: the
  form, edits, retention, bulk inserts). Before, the name sort read every waiting
  row joined to applicants and agency details and sorted them (SQLite: ``USE TEMP
  B-TREE FOR ORDER BY`` over 68,000 rows, PostgreSQL: top-N heapsort after a hash
  join); now it walks ``ix_applicants_sort_name`` in order and stops after a page
  (SQLite: ``SCAN applicants USING INDEX ix_applicants_sort_name``; PostgreSQL:
  ``Index Scan using ix_applicants_sort_name`` under a nested loop, incremental sort
  for the id tie-break).
- PostgreSQL: ``pg_trgm`` (a trusted extension, 1.6 here) GIN indexes on
  ``lower(name)`` and ``lower(agency_name)``: the existing ``LIKE '%q%'`` uses them as
  written (``Bitmap Index Scan on ix_applicants_name_trgm``, rechecked by the same
  LIKE, so the results do not change). Before: ``Seq Scan on applicants`` with the
  LIKE as a filter, per query. Trigram over full-text: full-text matches words, the
  search matches substrings ("hen" finds "Chen").
- SQLite: an FTS5 table ``applicant_search`` with the trigram tokenizer (SQLite
  3.40: no ``remove_diacritics`` option, so it folds case only, a superset of
  ``lower() LIKE``'s ASCII-only folding); the query takes its matches as candidates
  and checks them again with the same LIKE, so the results are exactly those of the
  scan. ``SCAN applicant_search VIRTUAL TABLE INDEX 0:M`` replaces ``SCAN
  applicants``. Searches shorter than three characters have no trigram and scan,
  as before.

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
_AGENCY_OF_NEW = "(SELECT agency_name FROM agency_details WHERE applicant_id = NEW.id)"

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

SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(name, agency_name, tokenize='trigram')",
    f"""
    CREATE TRIGGER applicants_search_insert AFTER INSERT ON applicants BEGIN
        INSERT INTO {FTS_TABLE} (rowid, name, agency_name)
        VALUES (NEW.id, NEW.name, {_AGENCY_OF_NEW});
        UPDATE applicants SET sort_name = lower(coalesce({_AGENCY_OF_NEW}, NEW.name))
        WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER applicants_search_update AFTER UPDATE OF name ON applicants BEGIN
        UPDATE {FTS_TABLE} SET name = NEW.name WHERE rowid = NEW.id;
        UPDATE applicants SET sort_name = lower(coalesce({_AGENCY_OF_NEW}, NEW.name))
        WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER applicants_search_delete AFTER DELETE ON applicants BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id;
    END
    """,
    f"""
    CREATE TRIGGER agency_details_search_insert AFTER INSERT ON agency_details BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applicants SET sort_name = lower(NEW.agency_name) WHERE id = NEW.applicant_id;
    END
    """,
    f"""
    CREATE TRIGGER agency_details_search_update AFTER UPDATE OF agency_name ON agency_details
    BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NEW.agency_name WHERE rowid = NEW.applicant_id;
        UPDATE applicants SET sort_name = lower(NEW.agency_name) WHERE id = NEW.applicant_id;
    END
    """,
    f"""
    CREATE TRIGGER agency_details_search_delete AFTER DELETE ON agency_details BEGIN
        UPDATE {FTS_TABLE} SET agency_name = NULL WHERE rowid = OLD.applicant_id;
        UPDATE applicants SET sort_name = lower(name) WHERE id = OLD.applicant_id;
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
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_applicants_sort_name', ['sort_name', 'id'], unique=False)
    if postgresql:
        for statement in POSTGRESQL:
            op.execute(statement)
        # The trigger computes the key on any update of it.
        op.execute("UPDATE applicants SET sort_name = NULL")
    else:
        for statement in SQLITE:
            op.execute(statement)
        op.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, name, agency_name) SELECT applicants.id,"
            " applicants.name, agency_details.agency_name FROM applicants LEFT JOIN"
            " agency_details ON agency_details.applicant_id = applicants.id"
        )
        op.execute(
            "UPDATE applicants SET sort_name = lower(coalesce((SELECT agency_name FROM"
            " agency_details WHERE applicant_id = applicants.id), name))"
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for statement in POSTGRESQL_DROP:
            op.execute(statement)
    else:
        for statement in SQLITE_DROP:
            op.execute(statement)
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_index('ix_applicants_sort_name')
        batch_op.drop_column('sort_name')
    # The extension stays: other databases objects may use it, and it is harmless.
