"""The admin's audit view: indexes to filter the audit log by kind and by person

Revision ID: 0014_audit_view
Revises: 0012_guidance
Create Date: 2026-12-05 01:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_audit_view'
down_revision = '0012_guidance'
branch_labels = None
depends_on = None


def upgrade():
    # Newest first within a kind or a person: a rare kind (backups) among a million
    # contact events is found without reading them all.
    op.create_index('ix_audit_events_action', 'audit_events', ['action', 'id'])
    op.create_index('ix_audit_events_user', 'audit_events', ['user_id', 'id'])


def downgrade():
    op.drop_index('ix_audit_events_user', table_name='audit_events')
    op.drop_index('ix_audit_events_action', table_name='audit_events')
