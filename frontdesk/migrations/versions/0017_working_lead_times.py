"""Referral lead times in working hours: recount the referral tally's answer buckets

Revision ID: 0017_working_lead_times
Revises: 0014_audit_view
Create Date: 2026-12-05 04:40:00

The tally's `answer_bucket` was calendar minutes from creation to answer; it is now the
office's working minutes (the unit SLAs are set in), so the overview's lead times sit next
to the SLA. The tally is recounted from the referrals (down: in calendar minutes again).
Working time is rosa.calendar's (pure domain code, the one definition of a working day);
the bucket grid is a copy of frontdesk.tallies at this revision.
"""
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from rosa.calendar import WorkingHours, working_time_between

# revision identifiers, used by Alembic.
revision = '0017_working_lead_times'
down_revision = '0014_audit_view'
branch_labels = None
depends_on = None

GRID = ((10, 1), (120, 5), (1440, 15), (10_080, 60), (43_200, 360))


def _bucket(minutes):
    for limit, step in GRID:
        if minutes < limit:
            return minutes - minutes % step
    return minutes - minutes % 1440


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _time(value):
    return time.fromisoformat(value) if isinstance(value, str) else value


def _recount(working: bool):
    bind = op.get_bind()
    zone = ZoneInfo("Europe/Stockholm")
    hours = {
        office_id: WorkingHours(opens=_time(opens), closes=_time(closes))
        for office_id, opens, closes in bind.execute(
            sa.text("SELECT id, opens, closes FROM offices")
        )
    }
    counted = Counter()
    rows = bind.execute(sa.text(
        "SELECT r.created_at, r.answered_at, c.office_id, c.case_type_id, c.channel"
        " FROM referrals r JOIN contacts c ON c.id = r.contact_id"
    ))
    for created_at, answered_at, office_id, case_type_id, channel in rows:
        created_at = _aware(created_at)
        bucket = -1
        if answered_at is not None:
            answered_at = _aware(answered_at)
            if working:
                spent = working_time_between(created_at, answered_at, hours[office_id])
            else:
                spent = max(answered_at - created_at, timedelta(0))
            bucket = _bucket(int(spent.total_seconds() // 60))
        month = created_at.astimezone(zone).date().replace(day=1)
        counted[(month, office_id, case_type_id, channel, bucket)] += 1
    bind.execute(sa.text("DELETE FROM referral_month_stats"))
    columns = ("month", "office_id", "case_type_id", "channel", "answer_bucket")
    target = sa.table("referral_month_stats", *(sa.column(c) for c in columns + ("referrals",)))
    if counted:
        op.bulk_insert(target, [
            {**dict(zip(columns, key)), "referrals": n} for key, n in counted.items()
        ])


def upgrade():
    _recount(working=True)


def downgrade():
    _recount(working=False)
