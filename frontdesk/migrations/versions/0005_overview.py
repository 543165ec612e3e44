"""Overview: contact tallies by channel (monthly, with repeats), by day and case type, by day and office, by hour; referrals by month and time to answer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:40:00

"""
from collections import Counter, defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_KEYS = {
    "contact_month_tallies": ("month", "office_id", "case_type_id", "channel", "rosa_level", "outcome"),
    "contact_day_stats": ("day", "office_id", "case_type_id", "channel", "rosa_level", "outcome"),
    "office_day_stats": ("day", "office_id", "channel", "rosa_level", "outcome"),
    "office_hour_stats": ("day", "hour", "office_id", "channel"),
}
_COUNTS = {
    "contact_month_tallies": ("contacts", "repeats", "duration_sum", "duration_n"),
    "contact_day_stats": ("contacts", "repeats"),
    "office_day_stats": ("contacts", "repeats"),
    "office_hour_stats": ("contacts",),
}


def _foreign_keys(table, *columns):
    targets = {"office_id": "offices", "case_type_id": "case_types"}
    return [
        sa.ForeignKeyConstraint([c], [f"{targets[c]}.id"], name=op.f(f"fk_{table}_{c}_{targets[c]}"))
        for c in columns
    ]


def upgrade():
    # The monthly tally gains the channel and the repeats: recreated and recounted below.
    op.drop_table('contact_month_tallies')
    op.create_table('contact_month_tallies',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('rosa_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('duration_sum', sa.BigInteger(), nullable=False),
    sa.Column('duration_n', sa.Integer(), nullable=False),
    *_foreign_keys('contact_month_tallies', 'office_id', 'case_type_id'),
    sa.PrimaryKeyConstraint(*_KEYS['contact_month_tallies'], name=op.f('pk_contact_month_tallies'))
    )
    op.create_table('contact_day_stats',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('rosa_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    *_foreign_keys('contact_day_stats', 'office_id', 'case_type_id'),
    sa.PrimaryKeyConstraint(*_KEYS['contact_day_stats'], name=op.f('pk_contact_day_stats')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_contact_day_stats_case_type', 'contact_day_stats', ['case_type_id', 'day', 'contacts', 'repeats'], unique=False)
    op.create_table('office_day_stats',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('rosa_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    *_foreign_keys('office_day_stats', 'office_id'),
    sa.PrimaryKeyConstraint(*_KEYS['office_day_stats'], name=op.f('pk_office_day_stats')),
    sqlite_with_rowid=False,
    )
    op.create_table('office_hour_stats',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    *_foreign_keys('office_hour_stats', 'office_id'),
    sa.PrimaryKeyConstraint(*_KEYS['office_hour_stats'], name=op.f('pk_office_hour_stats')),
    sqlite_with_rowid=False,
    )
    op.create_table('referral_month_stats',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('answer_bucket', sa.Integer(), nullable=False),
    sa.Column('referrals', sa.Integer(), nullable=False),
    *_foreign_keys('referral_month_stats', 'office_id', 'case_type_id'),
    sa.PrimaryKeyConstraint('month', 'office_id', 'case_type_id', 'channel', 'answer_bucket', name=op.f('pk_referral_month_stats')),
    sqlite_with_rowid=False,
    )
    _fill()
    _fill_referrals()


def downgrade():
    op.drop_table('referral_month_stats')
    op.drop_table('office_hour_stats')
    op.drop_table('office_day_stats')
    op.drop_index('ix_contact_day_stats_case_type', table_name='contact_day_stats')
    op.drop_table('contact_day_stats')
    # Back to the monthly tally of 0003, left empty: the `rebuild-tallies` command of
    # that release recounts it.
    op.drop_table('contact_month_tallies')
    op.create_table('contact_month_tallies',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=False),
    sa.Column('rosa_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.Column('duration_sum', sa.BigInteger(), nullable=False),
    sa.Column('duration_n', sa.Integer(), nullable=False),
    *_foreign_keys('contact_month_tallies', 'office_id', 'case_type_id'),
    sa.PrimaryKeyConstraint('month', 'office_id', 'case_type_id', 'rosa_level', 'outcome', name=op.f('pk_contact_month_tallies'))
    )


def _fill():
    """Count the contacts already logged into the new tallies (local Stockholm time).

    A copy of frontdesk.tallies at this revision: migrations do not import the app.
    """
    zone = ZoneInfo("Europe/Stockholm")
    counted = {table: defaultdict(Counter) for table in _KEYS}
    rows = op.get_bind().execute(sa.text(
        "SELECT occurred_at, office_id, case_type_id, channel, rosa_level, outcome,"
        " duration_seconds, is_repeat FROM contacts"
    ))
    for occurred_at, office_id, case_type_id, channel, level, outcome, seconds, repeat in rows:
        if isinstance(occurred_at, str):  # SQLite hands back text
            occurred_at = datetime.fromisoformat(occurred_at)
        local = occurred_at.replace(tzinfo=UTC).astimezone(zone)
        values = {
            "day": local.date(), "month": local.date().replace(day=1), "hour": local.hour,
            "office_id": office_id, "case_type_id": case_type_id, "channel": channel,
            "rosa_level": level, "outcome": outcome, "contacts": 1, "repeats": 1 if repeat else 0,
            "duration_sum": seconds or 0, "duration_n": 0 if seconds is None else 1,
        }
        for table, key in _KEYS.items():
            row = counted[table][tuple(values[name] for name in key)]
            for name in _COUNTS[table]:
                row[name] += values[name]
    for table, key in _KEYS.items():
        target = sa.table(table, *(sa.column(c) for c in key + _COUNTS[table]))
        records = [
            {**dict(zip(key, k)), **{n: row[n] for n in _COUNTS[table]}}
            for k, row in counted[table].items()
        ]
        if records:
            op.bulk_insert(target, records)


def _answer_bucket(created_at, answered_at):
    """frontdesk.tallies.answer_bucket at this revision."""
    if answered_at is None:
        return -1
    minutes = max(int((answered_at - created_at).total_seconds() // 60), 0)
    for limit, step in ((10, 1), (120, 5), (1440, 15), (10_080, 60), (43_200, 360)):
        if minutes < limit:
            return minutes - minutes % step
    return minutes - minutes % 1440


def _fill_referrals():
    zone = ZoneInfo("Europe/Stockholm")
    counted = Counter()
    rows = op.get_bind().execute(sa.text(
        "SELECT r.created_at, r.answered_at, c.office_id, c.case_type_id, c.channel"
        " FROM referrals r JOIN contacts c ON c.id = r.contact_id"
    ))
    for created_at, answered_at, office_id, case_type_id, channel in rows:
        if isinstance(created_at, str):
            created_at = datetime.fromisoformat(created_at)
        if isinstance(answered_at, str):
            answered_at = datetime.fromisoformat(answered_at)
        month = created_at.replace(tzinfo=UTC).astimezone(zone).date().replace(day=1)
        counted[(month, office_id, case_type_id, channel, _answer_bucket(created_at, answered_at))] += 1
    columns = ("month", "office_id", "case_type_id", "channel", "answer_bucket")
    target = sa.table("referral_month_stats", *(sa.column(c) for c in columns + ("referrals",)))
    if counted:
        op.bulk_insert(target, [
            {**dict(zip(columns, key)), "referrals": n} for key, n in counted.items()
        ])
