"""the waitlist's joined and waiting sorts as expression indexes

Sorting the waitlist by when people joined, or by how long they have waited, sorted
every matching application (68,215 of 100,000 in bench/seed.py's spread) for a page
of 50. Each order is now an index, read forwards for one direction and backwards
for the other (intake.waitlist.queries._order writes the same expressions):

- joined: ``(joined_at IS NULL), joined_at, id``: people not yet on the list last,
  and first when reversed, as the queue order is reversed as a whole;
- waiting: ``coalesce(joined_at, created_at), id``: the id breaks a tie in the same
  direction as the start, so one index serves both.

EXPLAIN, 100,000 applications, admin, first page: PostgreSQL "Sort ... top-N heapsort"
over an index-only scan of every waiting row -> "Index Scan using
ix_applications_joined_order" / "Index Scan Backward using
ix_applications_waiting_order" with a Limit; SQLite "USE TEMP B-TREE FOR ORDER BY" ->
"SCAN applications USING INDEX ix_applications_joined_order". The page in process:
joined 32 -> 20 ms and waiting 36 -> 20 ms (PostgreSQL), 57 -> 14 ms and 58 -> 14 ms
(SQLite). See docs/PERFORMANCE.md, "Waitlist at 100,000".

Revision ID: 0019_sort_orders
Revises: 0018_status_count
Create Date: 2026-11-26 19:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_sort_orders'
down_revision = '0018_status_count'
branch_labels = None
depends_on = None

# Copied from intake.waitlist.search: a migration must not change when the app does.
# Expression indexes: made by hand on both databases (alembic's compare skips them).
INDEXES = [
    """
    CREATE INDEX ix_applications_joined_order
    ON applications ((joined_at IS NULL), joined_at, id)
    """,
    """
    CREATE INDEX ix_applications_waiting_order
    ON applications ((coalesce(joined_at, created_at)), id)
    """,
]
DROP = [
    "DROP INDEX IF EXISTS ix_applications_waiting_order",
    "DROP INDEX IF EXISTS ix_applications_joined_order",
]


def upgrade():
    for statement in INDEXES:
        op.execute(statement)


def downgrade():
    for statement in DROP:
        op.execute(statement)
