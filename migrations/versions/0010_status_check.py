"""applications.status only holds the state machine's statuses

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 06:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# intake.status.states.STATUSES when this was written. A migration is a snapshot, so
# the list is written out; tests/test_migrations.py checks that the upgraded database
# allows exactly the statuses of the state machine.
STATUSES = (
    'submitted',
    'needs_review',
    'eligible',
    'waitlisted',
    'offered',
    'declined',
    'expired',
    'inactive',
    'enrolled',
    'ineligible',
    'completed',
    'withdrawn',
    'closed',
)


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f('ck_applications_status'),
            "status in ({})".format(", ".join(f"'{status}'" for status in STATUSES)),
        )


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_applications_status'), type_='check')
