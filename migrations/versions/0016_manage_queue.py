"""the queue index covers counting a place in line

``ix_applications_queue`` was (program_id, status, priority, joined_at). It becomes
(program_id, status, priority, joined_at, id, applicant_id, seats_requested): the fair
order to its tie-breaker (id), then the two columns the manage page's count reads of
every application ahead (intake.manage.services.places_in_line), so the count walks one
range of the index and never the table.

EXPLAIN, 100,000 applications (bench/seed.py), the last of 34,267 in line: before, a
BitmapOr of three ranges of the old index and then the table's rows (PostgreSQL), a
MULTI-INDEX OR and the table row of each (SQLite: 138 ms of CPU for one language
look-up per row, 32 ms with this index). After: "Index Only Scan using
ix_applications_queue", Index Cond (program_id, status, priority > p) and (program_id,
status, priority = p, ROW(joined_at, id) < ROW(...)) on PostgreSQL; "SEARCH applications
USING COVERING INDEX ix_applications_queue (program_id=? AND status=? AND priority>?)"
and "(... priority=? AND joined_at<?)" on SQLite. See docs/PERFORMANCE.md.

Revision ID: 0016_manage_queue
Revises: 0015_waitlist
Create Date: 2026-11-26 12:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_manage_queue'
down_revision = '0015_waitlist'
branch_labels = None
depends_on = None

WIDE = ['program_id', 'status', 'priority', 'joined_at', 'id', 'applicant_id', 'seats_requested']
NARROW = ['program_id', 'status', 'priority', 'joined_at']


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_queue')
        batch_op.create_index('ix_applications_queue', WIDE, unique=False)


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_queue')
        batch_op.create_index('ix_applications_queue', NARROW, unique=False)
