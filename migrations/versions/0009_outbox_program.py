"""outbox messages say which program a coordinators' notice is about

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_program_id'), ['program_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_program_id_programs'), 'programs', ['program_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_program_id_programs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_program_id'))
        batch_op.drop_column('program_id')
