"""The waiting room and the citizens' verdict: queue tickets, NKI answers, staffing targets

Revision ID: 0019_waiting_room
Revises: 0018_delegable
Create Date: 2026-12-05 09:40:00

Contacts gain the ticket they served and the visitor's wait, as plain ADD COLUMNs: a
batch would recreate `contacts` on SQLite for nothing.
"""
from alembic import op
import sqlalchemy as sa

from frontdesk.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0019_waiting_room'
down_revision = '0018_delegable'
branch_labels = None
depends_on = None

TICKET_STATUSES = ('vantar', 'inropad', 'parkerad', 'ej_pa_plats', 'betjanad')
CHANNELS = ('besok', 'telefon', 'epost', 'brev', 'webb', 'chatt')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        'queue_tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('called_at', UTCDateTime(), nullable=True),
        sa.Column('shown_at', UTCDateTime(), nullable=True),
        sa.Column('desk', sa.String(length=20), nullable=False),
        sa.Column('called_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(_in('status', TICKET_STATUSES), name=op.f('ck_queue_tickets_status_known')),
        sa.ForeignKeyConstraint(['called_by_id'], ['users.id'], name=op.f('fk_queue_tickets_called_by_id_users')),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_queue_tickets_office_id_offices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_tickets')),
        sa.UniqueConstraint('office_id', 'day', 'number', name='uq_queue_tickets_number'),
    )
    op.create_index('ix_queue_tickets_waiting', 'queue_tickets', ['office_id', 'status', 'issued_at'])

    op.create_table(
        'feedback_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_key', sa.String(length=64), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('case_type_id', sa.Integer(), nullable=False),
        sa.Column('rosa_level', sa.Integer(), nullable=False),
        sa.Column('contact_day', sa.Date(), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=False),
        sa.Column('q1', sa.Integer(), nullable=False),
        sa.Column('q2', sa.Integer(), nullable=False),
        sa.Column('q3', sa.Integer(), nullable=False),
        sa.Column('comment', sa.String(length=2000), nullable=False),
        sa.CheckConstraint('q1 BETWEEN 1 AND 10', name=op.f('ck_feedback_answers_q1_range')),
        sa.CheckConstraint('q2 BETWEEN 1 AND 10', name=op.f('ck_feedback_answers_q2_range')),
        sa.CheckConstraint('q3 BETWEEN 1 AND 10', name=op.f('ck_feedback_answers_q3_range')),
        sa.CheckConstraint(_in('channel', CHANNELS), name=op.f('ck_feedback_answers_channel_known')),
        sa.ForeignKeyConstraint(['case_type_id'], ['case_types.id'], name=op.f('fk_feedback_answers_case_type_id_case_types')),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_feedback_answers_office_id_offices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answers')),
        sa.UniqueConstraint('contact_key', name=op.f('uq_feedback_answers_contact_key')),
    )
    op.create_index('ix_feedback_answers_office_day', 'feedback_answers', ['office_id', 'contact_day'])
    op.create_index('ix_feedback_answers_case_type_day', 'feedback_answers', ['case_type_id', 'contact_day'])

    op.create_table(
        'staffing_targets',
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('service_level', sa.Float(), nullable=False),
        sa.Column('within_seconds', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in('channel', CHANNELS), name=op.f('ck_staffing_targets_channel_known')),
        sa.CheckConstraint('service_level > 0 AND service_level < 1', name=op.f('ck_staffing_targets_level_range')),
        sa.CheckConstraint('within_seconds > 0', name=op.f('ck_staffing_targets_within_positive')),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_staffing_targets')),
    )

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in one statement (no ALTER ... ADD CONSTRAINT).
        op.execute('ALTER TABLE contacts ADD COLUMN ticket_id INTEGER REFERENCES queue_tickets (id)')
    else:
        op.add_column('contacts', sa.Column('ticket_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_contacts_ticket_id_queue_tickets'), 'contacts', 'queue_tickets', ['ticket_id'], ['id']
        )
    op.add_column('contacts', sa.Column('wait_seconds', sa.Integer(), nullable=True))
    op.create_index(
        'ux_contacts_ticket', 'contacts', ['ticket_id'], unique=True,
        sqlite_where=sa.text('ticket_id IS NOT NULL'), postgresql_where=sa.text('ticket_id IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ux_contacts_ticket', table_name='contacts')
    op.execute('ALTER TABLE contacts DROP COLUMN wait_seconds')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite does not drop a column with a reference in place: the batch copies the
        # table (contacts has no triggers to lose).
        with op.batch_alter_table('contacts') as batch:
            batch.drop_column('ticket_id')
    else:
        op.drop_constraint(op.f('fk_contacts_ticket_id_queue_tickets'), 'contacts', type_='foreignkey')
        op.drop_column('contacts', 'ticket_id')
    op.drop_table('staffing_targets')
    op.drop_index('ix_feedback_answers_case_type_day', table_name='feedback_answers')
    op.drop_index('ix_feedback_answers_office_day', table_name='feedback_answers')
    op.drop_table('feedback_answers')
    op.drop_index('ix_queue_tickets_waiting', table_name='queue_tickets')
    op.drop_table('queue_tickets')
