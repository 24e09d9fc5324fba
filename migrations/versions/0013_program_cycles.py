"""cycles, bulk e-mail, on-behalf entry, digest, screened-out counts, program translations

Application windows and "e-mail me when it opens"; the cycle an application came in
and the part of an agency's request split off it; who entered a form on someone's
behalf; the daily digest switch; anonymous screened-out counts; bulk e-mails; program
and cohort text in other languages, how a program's groups meet, a cohort's delivery.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 09:03:16.955105

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('application_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_translations', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('notices_sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_application_windows_closes_after_opens')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_application_windows_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_windows'))
    )
    with op.batch_alter_table('application_windows', schema=None) as batch_op:
        batch_op.create_index('ix_application_windows_program', ['program_id', 'opens_at'], unique=False)

    op.create_table('bulk_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_token', sa.String(length=64), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['coordinators.id'], name=op.f('fk_bulk_messages_created_by_id_coordinators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_bulk_messages_program_id_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_messages')),
    sa.UniqueConstraint('form_token', name=op.f('uq_bulk_messages_form_token'))
    )
    with op.batch_alter_table('bulk_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_messages_program_id'), ['program_id'], unique=False)

    op.create_table('opening_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_opening_notices_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_notices'))
    )
    with op.batch_alter_table('opening_notices', schema=None) as batch_op:
        batch_op.create_index('uq_opening_notices_program_email', ['program_id', 'email_key'], unique=True)

    op.create_table('screened_out_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_screened_out_counts_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screened_out_counts'))
    )
    with op.batch_alter_table('screened_out_counts', schema=None) as batch_op:
        batch_op.create_index('uq_screened_out_counts_key', ['program_id', 'on_date', 'rule_key', 'locale'], unique=True)

    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('entered_via', sa.String(length=10), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_applicants_entered_by_id_coordinators'), 'coordinators', ['entered_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('split_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_applications_split_from_id'), ['split_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_window_id'), ['window_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_applications_window_id_application_windows'), 'application_windows', ['window_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_applications_split_from_id_applications'), 'applications', ['split_from_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_translations', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_cohorts_delivery'), "delivery in ('online', 'in_person', 'hybrid')"
        )

    with op.batch_alter_table('coordinators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('digest_sent_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))



def downgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('translations')
        batch_op.drop_column('format_note')

    with op.batch_alter_table('coordinators', schema=None) as batch_op:
        batch_op.drop_column('digest_sent_at')
        batch_op.drop_column('digest_enabled')

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cohorts_delivery'), type_='check')
        batch_op.drop_column('delivery')
        batch_op.drop_column('schedule_translations')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_applications_split_from_id_applications'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_applications_window_id_application_windows'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_applications_window_id'))
        batch_op.drop_index(batch_op.f('ix_applications_split_from_id'))
        batch_op.drop_column('split_from_id')
        batch_op.drop_column('window_id')

    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_applicants_entered_by_id_coordinators'), type_='foreignkey')
        batch_op.drop_column('entered_via')
        batch_op.drop_column('entered_by_id')

    with op.batch_alter_table('screened_out_counts', schema=None) as batch_op:
        batch_op.drop_index('uq_screened_out_counts_key')

    op.drop_table('screened_out_counts')
    with op.batch_alter_table('opening_notices', schema=None) as batch_op:
        batch_op.drop_index('uq_opening_notices_program_email')

    op.drop_table('opening_notices')
    with op.batch_alter_table('bulk_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_messages_program_id'))

    op.drop_table('bulk_messages')
    with op.batch_alter_table('application_windows', schema=None) as batch_op:
        batch_op.drop_index('ix_application_windows_program')

    op.drop_table('application_windows')
