"""applications.match_mask: the applicant's languages and slots as bits, in the queue index

Counting a place in line (intake.manage.services.places_in_line) joined
applicant_languages and applicant_availability for every application ahead, to
check it fits each cohort: tens of thousands of rows hashed per request at the back
of a 100,000-application queue. ``match_mask`` holds the applicant's languages and
time slots as bits (intake.manage.queue_bits), kept by triggers on
applicant_languages, applicant_availability and applications on both databases (so
every writer, bulk inserts too, keeps it right), and is the last column of
``ix_applications_queue``: the check becomes ``(match_mask & bits) = bits`` on the
index row. Backfilled here with one UPDATE.

EXPLAIN, 100,000 applications (bench/seed.py), the last of 34,267 in line, three
fitting groups: before, five hash left joins over applicant_languages and
applicant_availability (77,212 language rows per worker), 212 ms (PostgreSQL); one
primary-key probe per person ahead per language and slot (SQLite). After:
"Index Only Scan using ix_applications_queue", "Filter: (((match_mask & 17) = 17) OR
((match_mask & 36) = 36) OR ((match_mask & 129) = 129))", "Heap Fetches: 0", 23.6 ms
(PostgreSQL, after VACUUM ANALYZE: the backfill rewrites every row, so the visibility
map must be set again before scans are index-only); "SEARCH applications USING
COVERING INDEX ix_applications_queue" and no other table (SQLite). CPU per manage page
count at the back: 117 -> 45 ms (PostgreSQL), 282 -> 35 ms (SQLite). The upgrade took
42 s (PostgreSQL) and 3.5 s (SQLite) at 100,000 rows. See docs/PERFORMANCE.md, "Manage
page: place in line".

Revision ID: 0017_queue_mask
Revises: 0016_manage_queue
Create Date: 2026-11-26 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_queue_mask'
down_revision = '0016_manage_queue'
branch_labels = None
depends_on = None

# Copied from intake.manage.queue_bits: a migration must not change when the app does.
LANGUAGE_BITS = {"en": 1, "es": 2, "cmn": 4, "asl": 8}
SLOT_BITS = {
    "weekday_morning": 16,
    "weekday_midday": 32,
    "weekday_afternoon": 64,
    "weekday_evening": 128,
    "weekend": 256,
}

OLD_INDEX = ['program_id', 'status', 'priority', 'joined_at', 'id', 'applicant_id', 'seats_requested']
NEW_INDEX = OLD_INDEX + ['match_mask']


def _case(column, bits):
    whens = " ".join(f"WHEN '{key}' THEN {value}" for key, value in bits.items())
    return f"CASE {column} {whens} ELSE 0 END"


def mask_sql(applicant_id):
    return (
        f"(SELECT coalesce(sum({_case('code', LANGUAGE_BITS)}), 0)"
        f" FROM applicant_languages WHERE applicant_id = {applicant_id})"
        f" + (SELECT coalesce(sum({_case('slot', SLOT_BITS)}), 0)"
        f" FROM applicant_availability WHERE applicant_id = {applicant_id})"
    )


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
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask ON applicant_availability",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask ON applicant_languages",
    "DROP TRIGGER IF EXISTS applications_match_mask ON applications",
    "DROP FUNCTION IF EXISTS applicant_match_mask_changed()",
    "DROP FUNCTION IF EXISTS applications_match_mask()",
]


def _sqlite_recompute(table, event_, rows):
    body = "\n".join(
        f"UPDATE applications SET match_mask = {mask_sql(f'{row}.applicant_id')}"
        f" WHERE applicant_id = {row}.applicant_id;"
        for row in rows
    )
    name = f"{table}_match_mask_{event_.lower()}"
    return f"CREATE TRIGGER {name} AFTER {event_} ON {table} BEGIN\n{body}\nEND"


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
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_update",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_delete",
    "DROP TRIGGER IF EXISTS applicant_availability_match_mask_insert",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_update",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_delete",
    "DROP TRIGGER IF EXISTS applicant_languages_match_mask_insert",
    "DROP TRIGGER IF EXISTS applications_match_mask_update",
    "DROP TRIGGER IF EXISTS applications_match_mask_insert",
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Plain ALTERs, no batch: on SQLite a batch that copied the table would lose the
    # triggers other migrations put on it.
    op.add_column(
        'applications',
        sa.Column('match_mask', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )
    op.drop_index('ix_applications_queue', table_name='applications')
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)
    # One UPDATE for the rows there are (before the index, so it is built once).
    op.execute(f"UPDATE applications SET match_mask = {mask_sql('applications.applicant_id')}")
    op.create_index('ix_applications_queue', 'applications', NEW_INDEX, unique=False)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    op.drop_index('ix_applications_queue', table_name='applications')
    op.execute("ALTER TABLE applications DROP COLUMN match_mask")
    op.create_index('ix_applications_queue', 'applications', OLD_INDEX, unique=False)
