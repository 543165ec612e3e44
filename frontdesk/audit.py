"""Writing the audit log. Every operation that changes data calls record()."""

from typing import Any

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, User


def record(
    action: str, entity: str, entity_id: int | None, user: User | None, **data: Any
) -> AuditEvent:
    """Add an audit event to the current transaction (flushed with the change it describes)."""
    event = AuditEvent(
        action=action,
        entity=entity,
        entity_id=entity_id,
        user_id=user.id if user else None,
        data=data,
    )
    db.session.add(event)
    return event
