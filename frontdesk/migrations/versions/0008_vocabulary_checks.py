"""Vocabulary checks: a parked referral carries the date it is parked until

The status and role CHECKs (status_known, role_known, claimed_has_handler,
new_has_no_handler, guide_office, handler_organisation) are generated from
ReferralStatus and Role in the models and were already in the database with the same
text; this revision adds the one rule of the state machine the database did not hold.
The SQL is spelled out (not read from the enums) so that the revision stays what it
was when a value is added later: that change gets its own revision.

Revision ID: 0008_vocabulary_checks
Revises: 0007
Create Date: 2026-12-04 21:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_vocabulary_checks'
down_revision = '0007'
branch_labels = None
depends_on = None

OPEN_PREDICATE = "status IN ('ny', 'pagar', 'vantar')"


def _keep_partial_index(batch_op):
    # SQLite's batch mode copies the table; the partial index is recreated with its
    # predicate spelled out rather than trusting reflection to carry the WHERE clause.
    batch_op.drop_index('ix_referrals_open_due')
    batch_op.create_index(
        'ix_referrals_open_due', ['due_at', 'queue_id', 'status'], unique=False,
        sqlite_where=sa.text(OPEN_PREDICATE),
        postgresql_where=sa.text(OPEN_PREDICATE),
    )


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'parked_has_date', "status <> 'vantar' OR parked_until IS NOT NULL"
        )
        if op.get_context().dialect.name == 'sqlite':
            _keep_partial_index(batch_op)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_referrals_parked_has_date'), type_='check')
        if op.get_context().dialect.name == 'sqlite':
            _keep_partial_index(batch_op)
