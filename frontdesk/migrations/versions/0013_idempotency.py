"""Idempotent submissions: a contact's submission key, unique per staff member

Revision ID: 0013_idempotency
Revises: 0010_sessions
Create Date: 2026-12-05 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_idempotency'
down_revision = '0010_sessions'
branch_labels = None
depends_on = None

WHERE = sa.text('submission_key IS NOT NULL')


def upgrade():
    # A plain ADD COLUMN: a batch would copy the whole contacts table on SQLite.
    op.add_column('contacts', sa.Column('submission_key', sa.String(length=100), nullable=True))
    op.create_index(
        'ux_contacts_submission', 'contacts', ['staff_id', 'submission_key'], unique=True,
        sqlite_where=WHERE, postgresql_where=WHERE,
    )


def downgrade():
    op.drop_index('ux_contacts_submission', table_name='contacts')
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_column('submission_key')
