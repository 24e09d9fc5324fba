"""outbox link specs: the links a message carries, stored as data

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 03:30:00

Messages queued before this revision keep their old placeholders as plain text: the
worker no longer reads links out of a body. Drain the outbox (``flask --app wsgi
outbox deliver``) before upgrading.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('links', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('link_nonce', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_application_id_applications'), 'applications', ['application_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_application_id'))
        batch_op.drop_column('link_nonce')
        batch_op.drop_column('links')
        batch_op.drop_column('application_id')
