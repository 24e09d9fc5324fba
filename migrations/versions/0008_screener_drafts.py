"""screener answers kept on the server, not in the session cookie

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('screener_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screener_drafts')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_screener_drafts_key_hash'))
    )
    with op.batch_alter_table('screener_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screener_drafts_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('screener_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screener_drafts_expires_at'))

    op.drop_table('screener_drafts')
