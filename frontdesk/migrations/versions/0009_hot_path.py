"""Hot path: the cache versions every process checks, bumped by triggers on the catalogue,
the users and the API tokens

Revision ID: 0009_hot_path
Revises: 0008_vocabulary_checks
Create Date: 2026-12-04 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_hot_path'
down_revision = '0008_vocabulary_checks'
branch_labels = None
depends_on = None

# Which version a change of each table bumps (frontdesk/cache.py reads them). A later
# SQLite batch migration that recreates one of these tables drops its triggers with it:
# it must create them again.
BUMPS = {
    'organisations': 'catalogue',
    'queues': 'catalogue',
    'offices': 'catalogue',
    'case_types': 'catalogue',
    'mandates': 'catalogue',
    'users': 'tokens',
    'api_tokens': 'tokens',
}


def _bump(column: str) -> str:
    # An upsert, not an UPDATE: a missing row (emptied by hand, TRUNCATE in tests) comes
    # back, one above the (0, 0) that readers take a missing row for.
    catalogue, tokens = (1, 0) if column == 'catalogue' else (0, 1)
    return (
        f"INSERT INTO cache_versions (id, catalogue, tokens) VALUES (1, {catalogue}, {tokens})"
        f" ON CONFLICT (id) DO UPDATE SET {column} = cache_versions.{column} + 1"
    )


def upgrade():
    op.create_table('cache_versions',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('catalogue', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('tokens', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_versions'))
    )
    op.execute("INSERT INTO cache_versions (id, catalogue, tokens) VALUES (1, 1, 1)")
    if op.get_bind().dialect.name == 'postgresql':
        for column in ('catalogue', 'tokens'):
            op.execute(
                f"CREATE FUNCTION bump_{column}_version() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {_bump(column)}; RETURN NULL; END $$"
            )
        for table, column in BUMPS.items():
            # Once per statement: a bulk import bumps once, not once per row.
            op.execute(
                f"CREATE TRIGGER {table}_bump_{column} AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_{column}_version()"
            )
    else:  # SQLite has row triggers only
        for table, column in BUMPS.items():
            for event in ('insert', 'update', 'delete'):
                op.execute(
                    f"CREATE TRIGGER {table}_{event}_bump_{column} AFTER {event.upper()}"
                    f" ON {table} BEGIN {_bump(column)}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in BUMPS.items():
            op.execute(f"DROP TRIGGER {table}_bump_{column} ON {table}")
        for column in ('catalogue', 'tokens'):
            op.execute(f"DROP FUNCTION bump_{column}_version()")
    else:
        for table, column in BUMPS.items():
            for event in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER {table}_{event}_bump_{column}")
    op.drop_table('cache_versions')
