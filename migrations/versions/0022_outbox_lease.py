"""outbox_messages.lease_holder, leased_until: a pass's batch is leased before it is sent

With several delivery workers on PostgreSQL, each message was claimed with SELECT … FOR
UPDATE SKIP LOCKED for the moment of its sending. When the connection dropped after the
mail server took a message and before its "sent" mark was committed, the row lock went
with it, and another worker could claim the message and send it again. Now a pass first
leases its batch (one UPDATE, committed): another worker leaves a leased row alone until
``leased_until``, so the worker that sent it marks it on its next pass.

No index: the lease is read only on rows the due index (status, next_attempt_at) has
already found.

Revision ID: 0022_outbox_lease
Revises: 0021_search_text
Create Date: 2026-11-28 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_outbox_lease'
down_revision = '0021_search_text'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite adds and drops a column in place): the
# batch mode's copy of the table would reflect the tables it refers to, whose
# expression indexes SQLite's reflection cannot read.
def upgrade():
    op.add_column('outbox_messages', sa.Column('lease_holder', sa.String(length=32), nullable=True))
    op.add_column('outbox_messages', sa.Column('leased_until', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('outbox_messages', 'leased_until')
    op.drop_column('outbox_messages', 'lease_holder')
