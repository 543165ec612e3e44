"""Times are stored in UTC and shown in the office's time zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

LOCAL_TZ = ZoneInfo("Europe/Stockholm")
# Clocks on phones and PCs drift; a minute ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=1)
# Older contacts belong to an archive, not to a log of the office's work.
EARLIEST_YEAR = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a Stockholm calendar day starts and ends."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def parse_moment(text: str) -> datetime:
    """A moment a client gives (ISO 8601; local time without an offset) in UTC.

    Refused with a Swedish ValueError when it is unreadable, before EARLIEST_YEAR or in
    the future (beyond CLOCK_SKEW).
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError(
            "Ange tidpunkten som ISO 8601, t.ex. 2026-03-01T09:30:00+01:00."
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as error:  # the first or last day of the calendar, far from UTC
        raise ValueError(
            f"Tidpunkten ligger före {EARLIEST_YEAR}."
            if moment.year < EARLIEST_YEAR
            else "Tidpunkten ligger i framtiden."
        ) from error
    # Checked in UTC, as stored: 2000-01-01T00:00+14:00 is 1999 in the database.
    if moment.year < EARLIEST_YEAR:
        raise ValueError(f"Tidpunkten ligger före {EARLIEST_YEAR}.")
    if moment > utcnow() + CLOCK_SKEW:
        raise ValueError("Tidpunkten ligger i framtiden.")
    return moment


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC on every database, read back as aware UTC.

    SQLite has no time zones, so storing naive UTC everywhere keeps comparisons
    and indexes identical on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
