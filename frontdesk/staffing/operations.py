"""Setting the channels' staffing targets."""

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import StaffingTarget, User
from frontdesk.timeutil import utcnow


def set_targets(values: dict[str, tuple[float, int]], user: User) -> None:
    """Store each channel's target (share, seconds); one audit event for the change."""
    now = utcnow()
    for channel, (level, within) in values.items():
        row = db.session.get(StaffingTarget, channel)
        if row is None:
            db.session.add(
                StaffingTarget(
                    channel=channel, service_level=level, within_seconds=within, updated_at=now
                )
            )
        else:
            row.service_level, row.within_seconds, row.updated_at = level, within, now
    db.session.flush()
    record(
        "staffing.targets_set",
        "staffing_target",
        None,
        user,
        targets={c: {"service_level": v[0], "within_seconds": v[1]} for c, v in values.items()},
    )
