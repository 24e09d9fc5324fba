"""applications.search_text: the waitlist's name search on the application itself

Issue 13: the search for "chen" at 100,000 applications took 55-80 ms in its statement
on PostgreSQL (76 ms p95 for the page under ``make bench``), 52-69 ms on SQLite. The
trigram (PostgreSQL) and FTS5 (SQLite) indexes of 0015_waitlist found the 7,960
matching applicants in 8 ms; the rest was looking up each one's applications by
``applicant_id`` (``Nested Loop``, 7,867 loops, 33 ms), then counting and sorting them.

``applications.search_text`` = ``lower(name) || line break || lower(agency name)`` of
the applicant (the agency part empty for a person), set by the triggers that already
keep ``sort_name``:

- PostgreSQL: a ``pg_trgm`` GIN index on it (``ix_applications_search_trgm``); the
  search is ``search_text LIKE lower('%q%')`` OR the applicant's e-mail prefix OR the
  reference, one ``BitmapOr`` of three indexes under a ``Bitmap Heap Scan on
  applications``. At 100,000 rows, after VACUUM ANALYZE, timed in psql: the count of
  "chen" 9-10 ms and the page of fifty 2 ms (the queue index walked until fifty
  match; a search with few matches reads its ids first and sorts them,
  intake.waitlist.queries.FEW_MATCHES), against 76-112 ms for the one statement
  before. The applicants' and
  agencies' trigram indexes are dropped: nothing reads them now, and every applicant
  written paid for them.
- SQLite: the FTS5 table of 0015 still gives the candidates by applicant; each is
  checked with ``search_text LIKE`` on the application row instead of its
  applicant's and agency's rows (``MULTI-INDEX OR``): 36 ms against 52 ms.

``q`` never holds a line break, so one ``LIKE`` over both names matches exactly
what the two ``ILIKE`` did (ILIKE is ``lower()`` of both sides).

Revision ID: 0021_search_text
Revises: 0020_agency_bit
Create Date: 2026-11-26 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_search_text'
down_revision = '0020_agency_bit'
branch_labels = None
depends_on = None

# Copied from intake.waitlist.search: a migration must not change when the app does
# (tests/waitlist/test_at_scale.py checks the copy).
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

# 0015_waitlist's, for the downgrade.
POSTGRESQL_BEFORE = [
    "CREATE INDEX ix_applicants_name_trgm ON applicants USING gin (name gin_trgm_ops)",
    "CREATE INDEX ix_agency_details_name_trgm ON agency_details"
    " USING gin (agency_name gin_trgm_ops)",
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
    """
    CREATE TRIGGER applications_sort_name
    BEFORE INSERT OR UPDATE OF sort_name, applicant_id ON applications
    FOR EACH ROW EXECUTE FUNCTION applications_sort_name()
    """,
]

SQLITE_BEFORE = [
    """
    CREATE TRIGGER applications_sort_name AFTER INSERT ON applications BEGIN
        UPDATE applications SET sort_name = lower(coalesce(
            (SELECT agency_name FROM agency_details WHERE applicant_id = NEW.applicant_id),
            (SELECT name FROM applicants WHERE id = NEW.applicant_id)))
        WHERE id = NEW.id;
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

# The SQLite triggers both lists create, dropped before either is created.
SQLITE_TRIGGERS = [
    "applications_sort_name",
    "applicants_search_update",
    "agency_details_search_insert",
    "agency_details_search_update",
    "agency_details_search_delete",
]


def upgrade():
    # A plain ALTER TABLE on both databases: SQLite's batch mode would copy the table
    # and lose its triggers and expression indexes.
    op.add_column('applications', sa.Column('search_text', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER applications_sort_name ON applications")
        for statement in POSTGRESQL_SEARCH_TEXT[1:]:
            op.execute(statement)
        # The trigger computes both keys on any update of sort_name.
        op.execute("UPDATE applications SET sort_name = NULL")
        op.execute(POSTGRESQL_SEARCH_TEXT[0])
        op.execute("DROP INDEX ix_applicants_name_trgm")
        op.execute("DROP INDEX ix_agency_details_name_trgm")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        for statement in SQLITE_SEARCH_TEXT:
            op.execute(statement)
        op.execute(
            "UPDATE applications SET search_text = lower((SELECT name FROM applicants"
            " WHERE id = applications.applicant_id)) || char(10) || coalesce(lower((SELECT"
            " agency_name FROM agency_details WHERE applicant_id = applications.applicant_id)),"
            " '')"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_applications_search_trgm")
        op.execute("DROP TRIGGER applications_sort_name ON applications")
        for statement in POSTGRESQL_BEFORE:
            op.execute(statement)
    else:
        # SQLite drops a column only once no trigger names it.
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        for statement in SQLITE_BEFORE:
            op.execute(statement)
    op.drop_column('applications', 'search_text')
