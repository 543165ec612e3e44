"""Guidance as a small knowledge base: links and search keywords per case type

Revision ID: 0012_guidance
Revises: 0011_admin
Create Date: 2026-12-05 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_guidance'
down_revision = '0011_admin'
branch_labels = None
depends_on = None

COLUMNS = ('guidance_links', 'guidance_keywords')


def upgrade():
    # Plain ADD COLUMN: a batch would recreate case_types on SQLite and lose the
    # cache-version triggers migration 0009 put on it.
    for name in COLUMNS:
        op.add_column(
            'case_types',
            sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        )


def downgrade():
    # SQLite (3.35+) and PostgreSQL both drop a column in place; the triggers stay.
    for name in reversed(COLUMNS):
        op.execute(f'ALTER TABLE case_types DROP COLUMN {name}')
