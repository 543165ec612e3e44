"""Administration: API tokens expire, the offices a chef manages, and password-reset mail

Revision ID: 0011_admin
Revises: 0013_idempotency
Create Date: 2026-12-05 00:40:00

Tokens that exist at the upgrade get a year from the day of the upgrade (not a year from
their creation): an integration that has run for more than a year keeps working on
upgrade day, and has a year to move to a new token. Every chef with a home office gets
that office as the first row of user_offices (it is managed either way; the row makes
the table the whole list).

The outbox takes a new kind, password_reset (an admin's reset link sent by e-mail); the
CHECK is spelled out as in 0007, so this revision stays what it was.

Plain add_column on SQLite, not a batch: a recreated api_tokens would lose its
cache-version triggers (migration 0009).
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_admin'
down_revision = '0013_idempotency'
branch_labels = None
depends_on = None


KINDS = "'answer', 'reply', 'receipt', 'new_referral', 'overdue_digest'"


def _mail_kinds(kinds: str) -> None:
    # A batch: SQLite changes a CHECK only by copying the table (outgoing_mail has no
    # cache-version triggers to lose).
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outgoing_mail_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', f"kind IN ({kinds})")


def upgrade():
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(), nullable=True))
    # Naive UTC, as UTCDateTime stores every timestamp.
    expiry = (datetime.now(UTC) + timedelta(days=365)).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text('UPDATE api_tokens SET expires_at = :expiry WHERE expires_at IS NULL'),
        {'expiry': expiry},
    )
    op.create_table('user_offices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_user_offices_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_offices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'office_id', name=op.f('pk_user_offices'))
    )
    op.execute(
        "INSERT INTO user_offices (user_id, office_id)"
        " SELECT id, office_id FROM users WHERE role = 'chef' AND office_id IS NOT NULL"
    )
    _mail_kinds(KINDS + ", 'password_reset'")


def downgrade():
    # Reset links are short-lived and single-use: their mails go with the kind.
    op.execute("DELETE FROM outgoing_mail WHERE kind = 'password_reset'")
    _mail_kinds(KINDS)
    op.drop_table('user_offices')
    # SQLite 3.35+ drops a column in place (the table and its triggers stay).
    op.drop_column('api_tokens', 'expires_at')
