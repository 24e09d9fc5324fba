"""a narrow (status, program_id) index for counting the waitlist

The waitlist's count (intake.waitlist.queries.count) reads every waiting application:
68,215 of 100,000 in bench/seed.py's spread. The only index with status in it was the
wide queue index (program_id first, eight columns), so PostgreSQL chose a parallel
sequential scan for an admin's count and walked the wide index for a coordinator's.

EXPLAIN ANALYZE, 100,000 applications, PostgreSQL (after VACUUM ANALYZE): the admin's
count "Seq Scan on applications", 47.4 ms -> "Index Only Scan using
ix_applications_status", "Heap Fetches: 0", 12.8 ms; a coordinator of four programs
"Index Only Scan using ix_applications_queue" 30.2 ms -> 13.1 ms on this index. SQLite:
"SEARCH applications USING COVERING INDEX ix_applications_queue" 9.2–9.6 ms ->
"USING COVERING INDEX ix_applications_status (status=?)" 5.7–7.3 ms. See
docs/PERFORMANCE.md, "Waitlist at 100,000".

Revision ID: 0018_status_count
Revises: 0017_queue_mask
Create Date: 2026-11-26 16:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_status_count'
down_revision = '0017_queue_mask'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_applications_status', 'applications', ['status', 'program_id'], unique=False)


def downgrade():
    op.drop_index('ix_applications_status', table_name='applications')
