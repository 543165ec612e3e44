"""Writing the audit log. Every operation that changes data calls record()."""

from typing import Any

import sqlalchemy as sa
from flask import g, request

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


def record_refusal(message: str) -> None:
    """Audit a request refused with 403 (a role or an office it may not touch).

    In a transaction of its own, after rolling back whatever the request had begun: the
    refusal is kept although the request fails. Only logged-in users are refused with
    403 (others are sent to the login page or get 401), so a stranger cannot fill the log.
    """
    user = g.get("user")
    if user is None:
        return
    db.session.rollback()
    record(
        "access.refused",
        "request",
        None,
        user,
        method=request.method,
        path=request.path[:200],
        reason=message[:200],
    )
    db.session.commit()
