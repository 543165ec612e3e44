"""Writing the audit log. Every operation that changes data calls record()."""

from typing import Any

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, User
from frontdesk.timeutil import utcnow

_AUDIT = AuditEvent.__table__


def record(action: str, entity: str, entity_id: int | None, user: User | None, **data: Any) -> None:
    """Write an audit event in the current transaction (it commits or rolls back with the change).

    A plain INSERT on the session's connection: audit rows are never read back
    in the request that writes them, so they need no place in the unit of work.
    """
    db.session.connection().execute(
        sa.insert(_AUDIT),
        {
            "at": utcnow(),
            "user_id": user.id if user else None,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "data": data,
        },
    )
