"""Keeping the contact tallies in step with the contacts table.

Five tallies count the contacts at the grains their readers need (the staircase,
the recommendations, the overview's series, its per-case-type tables and its
heat map). Every operation that adds, corrects or removes a contact calls
`tally()` in its own transaction, so the tallies commit or roll back with the
contact. Bulk loads call `rebuild()` (everything) or `add_counts()` (new rows only).
"""

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.models import (
    Contact,
    ContactDayStat,
    ContactDayTally,
    ContactMonthTally,
    OfficeDayStat,
    OfficeHourStat,
    Referral,
    ReferralMonthStat,
)
from frontdesk.timeutil import to_local


@dataclass(frozen=True)
class Tally:
    """A tally table: the columns that key a row and the counts added to it."""

    table: sa.Table
    key: tuple[str, ...]
    counts: tuple[str, ...]


# Upserted in this order by every transaction, so PostgreSQL's row locks are always
# taken table by table in the same sequence.
TALLIES = (
    Tally(
        ContactDayTally.__table__, ("day", "office_id", "case_type_id", "rosa_level"), ("contacts",)
    ),
    Tally(
        ContactMonthTally.__table__,
        ("month", "office_id", "case_type_id", "channel", "rosa_level", "outcome"),
        ("contacts", "repeats", "duration_sum", "duration_n"),
    ),
    Tally(
        ContactDayStat.__table__,
        ("day", "office_id", "case_type_id", "channel", "rosa_level", "outcome"),
        ("contacts", "repeats"),
    ),
    Tally(
        OfficeDayStat.__table__,
        ("day", "office_id", "channel", "rosa_level", "outcome"),
        ("contacts", "repeats"),
    ),
    Tally(OfficeHourStat.__table__, ("day", "hour", "office_id", "channel"), ("contacts",)),
)


REFERRALS = Tally(
    ReferralMonthStat.__table__,
    ("month", "office_id", "case_type_id", "channel", "answer_bucket"),
    ("referrals",),
)
NOT_ANSWERED = -1
# (below this many minutes, round down to this many): exact to the minute for quick
# answers, to the hour past a day, to the day past a month; about 300 buckets in all.
_ANSWER_GRID = ((10, 1), (120, 5), (1440, 15), (10_080, 60), (43_200, 360))


def answer_bucket(created_at: datetime, answered_at: datetime | None) -> int:
    """The referral's time to answer in minutes, rounded down to the grid; -1 if unanswered."""
    if answered_at is None:
        return NOT_ANSWERED
    minutes = max(int((answered_at - created_at).total_seconds() // 60), 0)
    for limit, step in _ANSWER_GRID:
        if minutes < limit:
            return minutes - minutes % step
    return minutes - minutes % 1440


@functools.cache
def _upsert_statement(dialect: str, tally: Tally):
    """INSERT ... ON CONFLICT DO UPDATE adding to the counts, built once per dialect.

    Building it per contact (the `excluded` alias above all) cost more than the
    INSERTs themselves on the counter's hot path.
    """
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(tally.table)
    return insert.on_conflict_do_update(
        index_elements=list(tally.key),
        set_={name: tally.table.c[name] + insert.excluded[name] for name in tally.counts},
    )


def _values(local: datetime, fields: dict, delta: int) -> dict:
    """Every column any tally needs, for one contact counted `delta` times."""
    seconds = fields["duration_seconds"]
    day = local.date()
    return {
        "day": day,
        "month": day.replace(day=1),
        "hour": local.hour,
        "office_id": fields["office_id"],
        "case_type_id": fields["case_type_id"],
        "channel": fields["channel"],
        "rosa_level": fields["rosa_level"],
        "outcome": fields["outcome"],
        "contacts": delta,
        "repeats": delta if fields["is_repeat"] else 0,
        "duration_sum": delta * (seconds or 0),
        "duration_n": delta if seconds is not None else 0,
    }


def tally(*, delta: int, **fields) -> None:
    """Add (delta 1) or take away (delta -1) one contact from every tally.

    `fields` are those of `tally_fields()`: occurred_at, office_id, case_type_id,
    channel, rosa_level, outcome, duration_seconds, is_repeat.
    """
    values = _values(to_local(fields["occurred_at"]), fields, delta)
    connection = db.session.connection()
    for each in TALLIES:
        connection.execute(_upsert_statement(connection.dialect.name, each), values)


def tally_referral(
    created_at: datetime, answered_at: datetime | None, contact_fields: dict, delta: int
) -> None:
    """Add or take away a referral with its contact's fields (office, case type, channel)."""
    connection = db.session.connection()
    connection.execute(
        _upsert_statement(connection.dialect.name, REFERRALS),
        _referral_values(created_at, answered_at, contact_fields, delta),
    )


def _referral_values(created_at, answered_at, fields: dict, delta: int) -> dict:
    return {
        "month": to_local(created_at).date().replace(day=1),
        "office_id": fields["office_id"],
        "case_type_id": fields["case_type_id"],
        "channel": fields["channel"],
        "answer_bucket": answer_bucket(created_at, answered_at),
        "referrals": delta,
    }


def referral_answered(referral: Referral, answered_at: datetime) -> None:
    """Move an answered referral from the unanswered row to its time-to-answer bucket."""
    fields = tally_fields(referral.contact)
    tally_referral(referral.created_at, None, fields, -1)
    tally_referral(referral.created_at, answered_at, fields, 1)


def tally_fields(contact: Contact) -> dict:
    """What `tally()` needs of a contact, as it is now."""
    return {
        "occurred_at": contact.occurred_at,
        "office_id": contact.office_id,
        "case_type_id": contact.case_type_id,
        "channel": contact.channel,
        "rosa_level": contact.rosa_level,
        "outcome": contact.outcome,
        "duration_seconds": contact.duration_seconds,
        "is_repeat": contact.is_repeat,
    }


def lock_order(fields: dict) -> tuple:
    """The order in which two moves of one contact take their tally rows (the rows' keys)."""
    return tuple(
        fields[name]
        for name in ("office_id", "case_type_id", "channel", "rosa_level", "outcome", "is_repeat")
    )


def tally_contact(contact: Contact, delta: int) -> None:
    tally(**tally_fields(contact), delta=delta)


def move(before: dict, after: dict) -> None:
    """Move a changed contact from the rows of its old fields to those of its new ones.

    The rows are taken in key order, so two corrections in opposite directions on
    PostgreSQL lock them in the same order instead of deadlocking.
    """
    for fields, delta in sorted(((before, -1), (after, 1)), key=lambda m: lock_order(m[0])):
        tally(**fields, delta=delta)


def _getter(names: tuple[str, ...]):
    """A function from a values dict to the tuple of those names' values."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names)


class Counts:
    """Tally rows counted in memory, for bulk loads: per tally, key to a list of counts.

    The counter's per-row work is most of a bulk load's time, so it is plain tuples and
    lists, with getters built once.
    """

    def __init__(self):
        self.rows: dict[Tally, dict[tuple, list[int]]] = {t: {} for t in TALLIES}
        self._plans = [(_getter(t.key), _getter(t.counts), self.rows[t]) for t in TALLIES]
        self._local_hours = LocalHours()

    def add_row(self, row: tuple) -> None:
        """Count one raw contact row: the columns of RAW_COLUMNS, in that order."""
        fields = dict(zip(_FIELD_NAMES, row, strict=True))
        self.add(self._local_hours(fields["occurred_at"]), fields)

    def add(self, local: datetime, fields: dict) -> None:
        values = _values(local, fields, 1)
        for key_of, counts_of, rows in self._plans:
            key = key_of(values)
            row = rows.get(key)
            if row is None:
                rows[key] = list(counts_of(values))
            else:
                for i, n in enumerate(counts_of(values)):
                    row[i] += n

    def write(self, *, upsert: bool) -> dict[str, int]:
        """Insert the rows (into empty tallies) or add them to what is there."""
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            return {
                each.table.name: _copy_and_add(connection, each, rows)
                for each, rows in self.rows.items()
            }
        written = {}
        for each, rows in self.rows.items():
            records = [
                {
                    **dict(zip(each.key, key, strict=True)),
                    **dict(zip(each.counts, row, strict=True)),
                }
                for key, row in rows.items()
            ]
            for start in range(0, len(records), 20_000):
                chunk = records[start : start + 20_000]
                statement = (
                    _upsert_statement(connection.dialect.name, each)
                    if upsert
                    else sa.insert(each.table)
                )
                connection.execute(statement, chunk)
            written[each.table.name] = len(records)
        return written


def _copy_and_add(connection, tally: Tally, rows: dict) -> int:
    """PostgreSQL: COPY the rows into a temporary table, then add them in one statement.

    Row-by-row upserts of a million-contact import took minutes; COPY and a single
    INSERT ... SELECT ... ON CONFLICT take seconds, in the same transaction.
    """
    columns = (*tally.key, *tally.counts)
    names = ", ".join(columns)
    scratch = f"scratch_{tally.table.name}"
    additions = ", ".join(f"{n} = {tally.table.name}.{n} + excluded.{n}" for n in tally.counts)
    with connection.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch}"
            f" (LIKE {tally.table.name}) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {scratch}")
        with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for key, row in rows.items():
                copy.write_row((*key, *row))
        cursor.execute(
            f"INSERT INTO {tally.table.name} ({names}) SELECT {names} FROM {scratch}"
            f" ON CONFLICT ({', '.join(tally.key)}) DO UPDATE SET {additions}"
        )
    return len(rows)


class LocalHours:
    """UTC instants to local time, one zone conversion per distinct UTC hour.

    Stockholm's offset is whole hours, so the UTC hour decides the local day and hour.
    Accepts the driver's raw values: ISO text (SQLite) or datetimes (PostgreSQL).
    """

    def __init__(self):
        self._cache: dict = {}

    def __call__(self, occurred_at) -> datetime:
        hour = (
            occurred_at[:13]
            if isinstance(occurred_at, str)
            else occurred_at.replace(minute=0, second=0, microsecond=0)
        )
        local = self._cache.get(hour)
        if local is None:
            moment = datetime.fromisoformat(hour + ":00") if isinstance(hour, str) else hour
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            local = self._cache[hour] = to_local(moment)
        return local


RAW_COLUMNS = (
    "occurred_at, office_id, case_type_id, channel, rosa_level, outcome,"
    " duration_seconds, is_repeat"
)
_FIELD_NAMES = tuple(name.strip() for name in RAW_COLUMNS.split(","))


def add_counts(counts: Counts) -> dict[str, int]:
    """Add counted rows (of contacts just bulk-inserted) to the tallies."""
    return counts.write(upsert=True)


def rebuild(batch: int = 50_000) -> dict[str, int]:
    """Recount every tally from the contacts (after a bulk load); returns row counts by table."""
    # Clear first: the DELETE takes the write lock (SQLite; the write gate) before the
    # contacts are read, and on PostgreSQL the SHARE lock holds off new contacts until
    # commit, so none logged meanwhile can fall between the read and the write.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE contacts IN SHARE MODE")
    for each in (*TALLIES, REFERRALS):
        db.session.execute(sa.delete(each.table))
    # Raw driver rows: the typed column would build an aware datetime per contact, which
    # is most of the cost at a million rows.
    cursor = connection.exec_driver_sql(f"SELECT {RAW_COLUMNS} FROM contacts")
    counts = Counts()
    while rows := cursor.fetchmany(batch):
        for row in rows:
            counts.add_row(row)
    written = counts.write(upsert=False)
    written[REFERRALS.table.name] = _rebuild_referrals()
    return written


def _rebuild_referrals() -> int:
    """Recount the referral tally (typed rows: there are far fewer referrals than contacts)."""
    counted: Counter = Counter()
    rows = db.session.execute(
        sa.select(
            Referral.created_at,
            Referral.answered_at,
            Contact.office_id,
            Contact.case_type_id,
            Contact.channel,
        ).join(Contact, Contact.id == Referral.contact_id)
    )
    for created_at, answered_at, office_id, case_type_id, channel in rows:
        fields = {"office_id": office_id, "case_type_id": case_type_id, "channel": channel}
        values = _referral_values(created_at, answered_at, fields, 1)
        counted[tuple(values[name] for name in REFERRALS.key)] += 1
    records = [
        {**dict(zip(REFERRALS.key, key, strict=True)), "referrals": n} for key, n in counted.items()
    ]
    for start in range(0, len(records), 20_000):
        db.session.execute(sa.insert(REFERRALS.table), records[start : start + 20_000])
    return len(records)
