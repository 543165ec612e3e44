"""Keeping the contact tallies in step with the contacts table.

Five tallies count the contacts at the grains their readers need (the staircase,
the recommendations, the overview's series, its per-case-type tables and its
heat map), and a sixth the referrals by month and time to answer. Every operation
that adds, corrects or removes a contact or changes its referral calls one function,
`contact_changed(before, after)`, in its own transaction, so the tallies commit or
roll back with the change. Bulk loads count the same rows (`_values`) in memory and call
`rebuild()` (everything) or `add_counts()` (new rows only).
"""

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from operator import itemgetter

import sqlalchemy as sa

from frontdesk.cache import catalogue
from frontdesk.extensions import db
from frontdesk.models import (
    Contact,
    ContactDayStat,
    ContactDayTally,
    ContactMonthTally,
    Office,
    OfficeDayStat,
    OfficeHourStat,
    Referral,
    ReferralMonthStat,
)
from frontdesk.timeutil import to_local
from rosa.calendar import DEFAULT_HOURS, WorkingHours, working_time_between


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
# answers, to the hour past a working day and a half, to six hours past a working week
# (of 24 h days: 168 h), then to the day; about 300 buckets in all. Every SLA in whole
# hours below 168 h is a bucket boundary, so "answered within the SLA" is exact.
_ANSWER_GRID = ((10, 1), (120, 5), (1440, 15), (10_080, 60), (43_200, 360))


def answer_bucket(
    created_at: datetime, answered_at: datetime | None, hours: WorkingHours = DEFAULT_HOURS
) -> int:
    """The referral's time to answer in working minutes, rounded down to the grid; -1 if not.

    Working time is the office's opening hours (rosa.calendar: weekdays, Swedish public
    holidays and their eves closed), the unit its SLAs are set in; parked time counts, as
    the citizen waited it too. Naive times are UTC (the driver's raw values).
    """
    if answered_at is None:
        return NOT_ANSWERED
    start = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    end = answered_at if answered_at.tzinfo else answered_at.replace(tzinfo=UTC)
    minutes = int(working_time_between(start, end, hours).total_seconds() // 60)
    for limit, step in _ANSWER_GRID:
        if minutes < limit:
            return minutes - minutes % step
    return minutes - minutes % 1440


@functools.lru_cache(maxsize=64)
def working_hours(opens: time, closes: time) -> WorkingHours:
    """An office's working hours (as backoffice.deadlines counts due times)."""
    return WorkingHours(opens=opens, closes=closes)


def office_hours(office_id: int) -> WorkingHours:
    """The working hours of an office (by id), from the cached catalogue."""
    office = catalogue().office(office_id)
    return DEFAULT_HOURS if office is None else working_hours(office.opens, office.closes)


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


CONTACT_FIELDS = (
    "occurred_at",
    "office_id",
    "case_type_id",
    "channel",
    "rosa_level",
    "outcome",
    "duration_seconds",
    "is_repeat",
)


def tally_fields(contact: Contact, referral: Referral | None | bool = True) -> dict:
    """What the tallies count of a contact as it is now, with its referral's times.

    `referral`: the contact's referral (True: read `contact.referral`; None: it has none).
    """
    if referral is True:
        referral = contact.referral
    fields = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    fields["referral"] = None if referral is None else (referral.created_at, referral.answered_at)
    return fields


def lock_order(fields: dict) -> tuple:
    """The order in which two moves of one contact take their tally rows (the rows' keys)."""
    return tuple(
        fields[name]
        for name in ("office_id", "case_type_id", "channel", "rosa_level", "outcome", "is_repeat")
    )


def contact_changed(before: dict | None, after: dict | None) -> None:
    """Keep every tally in step with one contact's change: the one way a contact is counted.

    `before` and `after` are `tally_fields()` of the contact before and after the change
    (None before it was logged, None after it was deleted), each with its referral's
    created and answered times under "referral" (None without a referral). Every path
    that writes a contact or a referral calls this in its transaction: logging,
    correcting, deleting, flagging a repeat, answering a referral. The bulk paths (seed,
    history import, rebuild) count the same rows (`_values`) in memory with `Counts`.

    Rows are taken in the same order by every transaction (contact tallies table by
    table, the old and new rows in key order, then the referral tally), so two
    transactions on PostgreSQL never wait for each other's rows in opposite orders.
    Python upserts rather than triggers: see bench/README.md (issue 14) for the A/B.
    """
    connection = db.session.connection()
    dialect = connection.dialect.name
    # The driver's cursor with SQL written once per dialect: through SQLAlchemy's execute
    # the six upserts cost about twice as much CPU on the counter's hot path.
    cursor = connection.connection.driver_connection.cursor()
    contact_moves = []
    if before is None or after is None or _counted(before) != _counted(after):
        contact_moves = [(f, d) for f, d in ((before, -1), (after, 1)) if f is not None]
        contact_moves.sort(key=lambda move: lock_order(move[0]))
    for fields, delta in contact_moves:
        values = _values(to_local(fields["occurred_at"]), fields, delta)
        for each in TALLIES:
            cursor.execute(*_upsert(dialect, each, values))
    old = _referral_row(before, -1)
    new = _referral_row(after, 1)
    if not (old is not None and new is not None and old[1:] == new[1:]):
        for row in (old, new):  # unless the referral counts the same as before
            if row is not None:
                cursor.execute(*_upsert(dialect, REFERRALS, row[0]))
    cursor.close()


@functools.cache
def _insert_sql(dialect: str, tally: Tally, upsert: bool) -> str:
    """INSERT (adding to the counts on conflict) in the driver's parameter style."""
    columns = (*tally.key, *tally.counts)
    marker = "%s" if dialect == "postgresql" else "?"
    sql = (
        f"INSERT INTO {tally.table.name} ({', '.join(columns)})"
        f" VALUES ({', '.join(marker for _ in columns)})"
    )
    if upsert:
        name = tally.table.name
        additions = ", ".join(f"{n} = {name}.{n} + excluded.{n}" for n in tally.counts)
        sql += f" ON CONFLICT ({', '.join(tally.key)}) DO UPDATE SET {additions}"
    return sql


def _upsert(dialect: str, tally: Tally, values: dict) -> tuple[str, tuple]:
    """The upsert adding `values` to the tally, and its parameters as the driver takes them."""
    params = tuple(values[name] for name in (*tally.key, *tally.counts))
    if dialect != "postgresql":  # dates as ISO text, as SQLAlchemy stores them on SQLite
        params = tuple(v.isoformat() if isinstance(v, date) else v for v in params)
    return _insert_sql(dialect, tally, True), params


def _counted(fields: dict) -> tuple:
    """What decides a contact's tally rows and counts (everything but its referral)."""
    return tuple(fields[name] for name in CONTACT_FIELDS)


def _referral_row(fields: dict | None, delta: int) -> tuple | None:
    """(the referral tally's values, its key and fields) or None without a referral."""
    if fields is None or fields["referral"] is None:
        return None
    created_at, answered_at = fields["referral"]
    values = _referral_values(created_at, answered_at, fields, delta)
    return (values, *(values[name] for name in REFERRALS.key))


def _referral_values(created_at, answered_at, fields: dict, delta: int) -> dict:
    return {
        "month": to_local(created_at).date().replace(day=1),
        "office_id": fields["office_id"],
        "case_type_id": fields["case_type_id"],
        "channel": fields["channel"],
        "answer_bucket": answer_bucket(created_at, answered_at, office_hours(fields["office_id"]))
        if answered_at is not None
        else NOT_ANSWERED,
        "referrals": delta,
    }


def referral_answered(referral: Referral, answered_at: datetime) -> None:
    """Move an answered referral from the unanswered row to its time-to-answer bucket."""
    contact = referral.contact
    before = tally_fields(contact, None)
    before["referral"] = (referral.created_at, None)
    contact_changed(before, {**before, "referral": (referral.created_at, answered_at)})


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
        # SQLite: the driver's executemany with the SQL written once. Through SQLAlchemy
        # most of the time went into building a parameter dict per row (a million-contact
        # seed writes some 700,000 tally rows).
        cursor = connection.connection.driver_connection.cursor()
        written = {}
        for each, rows in self.rows.items():
            cursor.executemany(_insert_sql("sqlite", each, upsert), _sqlite_rows(each, rows))
            written[each.table.name] = len(rows)
        cursor.close()
        return written


_DATE_KEYS = ("day", "month")


def _sqlite_rows(tally: Tally, rows: dict):
    """Key and counts as the driver takes them: dates as ISO text, as SQLAlchemy stores them."""
    dates = [i for i, name in enumerate(tally.key) if name in _DATE_KEYS]
    for key, counts in rows.items():
        key = list(key)
        for i in dates:
            key[i] = key[i].isoformat()
        yield (*key, *counts)


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
    """Recount the referral tally from raw driver rows (typed ones cost twice as much)."""
    connection = db.session.connection()
    local = LocalHours()
    counted: Counter = Counter()
    hours = {
        office_id: working_hours(opens, closes)
        for office_id, opens, closes in db.session.execute(
            sa.select(Office.id, Office.opens, Office.closes)
        )
    }
    cursor = connection.exec_driver_sql(
        "SELECT r.created_at, r.answered_at, c.office_id, c.case_type_id, c.channel"
        " FROM referrals r JOIN contacts c ON c.id = r.contact_id"
    )
    while rows := cursor.fetchmany(50_000):
        for created_at, answered_at, office_id, case_type_id, channel in rows:
            bucket = (
                NOT_ANSWERED
                if answered_at is None
                else answer_bucket(_naive(created_at), _naive(answered_at), hours[office_id])
            )
            month = local(created_at).date().replace(day=1)
            counted[(month, office_id, case_type_id, channel, bucket)] += 1
    rows = {key: (n,) for key, n in counted.items()}
    if connection.dialect.name == "postgresql":
        _copy_and_add(connection, REFERRALS, rows)
    else:
        raw = connection.connection.driver_connection.cursor()
        raw.executemany(_insert_sql("sqlite", REFERRALS, False), _sqlite_rows(REFERRALS, rows))
        raw.close()
    return len(rows)


def _naive(value) -> datetime:
    """A raw driver timestamp (ISO text on SQLite) as a naive UTC datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
