"""Lawful recommendations: the highest level a case type's decisions may be delegated to

Revision ID: 0018_delegable
Revises: 0017_working_lead_times
Create Date: 2026-12-05 04:45:00

NULL: no cap set in the catalogue (a state agency's case types are then capped at level 3
by rule, see rosa.recommend.delegable_level).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_delegable'
down_revision = '0017_working_lead_times'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: a batch would recreate case_types on SQLite and lose the
    # cache-version triggers migration 0009 put on it.
    op.add_column(
        'case_types',
        sa.Column('max_delegable_level', sa.Integer(), nullable=True, server_default=sa.text('NULL')),
    )


def downgrade():
    # SQLite (3.35+) and PostgreSQL both drop a column in place; the triggers stay.
    op.execute('ALTER TABLE case_types DROP COLUMN max_delegable_level')
