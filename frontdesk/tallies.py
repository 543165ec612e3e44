"""Keeping the daily and monthly contact tallies in step with the contacts table.

Every operation that adds, corrects or removes a contact calls `tally()` in its
own transaction, so the tallies commit or roll back with the contact. Bulk loads
call `rebuild()` once afterwards.
"""

import functools
from collections import Counter
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.models import Contact, ContactDayTally, ContactMonthTally
from frontdesk.timeutil import to_local

_DAY = ContactDayTally.__table__
_MONTH = ContactMonthTally.__table__
_DAY_KEY = ("day", "office_id", "case_type_id", "rosa_level")
_MONTH_KEY = ("month", "office_id", "case_type_id", "rosa_level", "outcome")


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, key: tuple[str, ...], added: tuple[str, ...]):
    """INSERT ... ON CONFLICT DO UPDATE adding to the counts, built once per dialect.

    Building it per contact (the `excluded` alias above all) cost more than the
    INSERTs themselves on the counter's hot path.
    """
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + insert.excluded[name] for name in added},
    )


def _upsert(table: sa.Table, key: tuple[str, ...], row: dict, added: tuple[str, ...]) -> None:
    connection = db.session.connection()
    connection.execute(_upsert_statement(connection.dialect.name, table, key, added), row)


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def tally(
    *,
    occurred_at: datetime,
    office_id: int,
    case_type_id: int,
    rosa_level: int,
    outcome: str,
    duration_seconds: int | None,
    delta: int,
) -> None:
    """Add (delta 1) or take away (delta -1) one contact from both tallies."""
    day = local_day(occurred_at)
    common = {"office_id": office_id, "case_type_id": case_type_id, "rosa_level": rosa_level}
    _upsert(_DAY, _DAY_KEY, {"day": day, **common, "contacts": delta}, ("contacts",))
    timed = duration_seconds is not None
    _upsert(
        _MONTH,
        _MONTH_KEY,
        {
            "month": day.replace(day=1),
            **common,
            "outcome": outcome,
            "contacts": delta,
            "duration_sum": delta * (duration_seconds or 0),
            "duration_n": delta if timed else 0,
        },
        ("contacts", "duration_sum", "duration_n"),
    )


def tally_fields(contact: Contact) -> dict:
    """What `tally()` needs of a contact, as it is now."""
    return {
        "occurred_at": contact.occurred_at,
        "office_id": contact.office_id,
        "case_type_id": contact.case_type_id,
        "rosa_level": contact.rosa_level,
        "outcome": contact.outcome,
        "duration_seconds": contact.duration_seconds,
    }


def lock_order(fields: dict) -> tuple:
    """The order in which tally rows are taken (the rows' keys, the day being the same)."""
    return (fields["office_id"], fields["case_type_id"], fields["rosa_level"], fields["outcome"])


def tally_contact(contact: Contact, delta: int) -> None:
    tally(**tally_fields(contact), delta=delta)


def rebuild(batch: int = 50_000) -> tuple[int, int]:
    """Recount both tallies from the contacts (after a bulk load); returns their row counts.

    The local day needs the time zone, which SQLite cannot apply, so the contacts are
    streamed through Python once.
    """
    days: Counter = Counter()
    months: Counter = Counter()
    month_time: Counter = Counter()
    month_timed: Counter = Counter()
    # Clear first: the DELETE takes the write lock (SQLite; the write gate) before the
    # contacts are read, and on PostgreSQL the SHARE lock holds off new contacts until
    # commit, so none logged meanwhile can fall between the read and the write.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE contacts IN SHARE MODE")
    db.session.execute(sa.delete(_DAY))
    db.session.execute(sa.delete(_MONTH))
    # Raw driver rows: the typed column would build an aware datetime per contact, which
    # is most of the cost at a million rows. SQLite hands back text, PostgreSQL datetimes.
    cursor = db.session.connection().exec_driver_sql(
        "SELECT occurred_at, office_id, case_type_id, rosa_level, outcome, duration_seconds"
        " FROM contacts"
    )
    day_of_hour: dict = {}
    while rows := cursor.fetchmany(batch):
        for occurred_at, office_id, case_type_id, level, outcome, seconds in rows:
            # Stockholm's offset is whole hours: the UTC hour decides the local day.
            hour = (
                occurred_at[:13]
                if isinstance(occurred_at, str)
                else occurred_at.replace(minute=0, second=0, microsecond=0)
            )
            day = day_of_hour.get(hour)
            if day is None:
                moment = datetime.fromisoformat(hour + ":00") if isinstance(hour, str) else hour
                day = day_of_hour[hour] = local_day(moment.replace(tzinfo=UTC))
            days[(day, office_id, case_type_id, level)] += 1
            month_key = (day.replace(day=1), office_id, case_type_id, level, outcome)
            months[month_key] += 1
            if seconds is not None:
                month_time[month_key] += seconds
                month_timed[month_key] += 1
    if days:
        db.session.execute(
            sa.insert(_DAY),
            [dict(zip(_DAY_KEY, key, strict=True), contacts=n) for key, n in days.items()],
        )
    if months:
        db.session.execute(
            sa.insert(_MONTH),
            [
                dict(
                    zip(_MONTH_KEY, key, strict=True),
                    contacts=n,
                    duration_sum=month_time[key],
                    duration_n=month_timed[key],
                )
                for key, n in months.items()
            ],
        )
    return len(days), len(months)
