"""Working-time arithmetic for referral deadlines: opening hours, weekends, Swedish holidays.

Pure domain code: standard library only, no Flask, no database. All instants passed in
must be timezone-aware; results are returned in UTC.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_HOURS",
    "WorkingHours",
    "add_working_hours",
    "easter_sunday",
    "is_working_day",
    "swedish_public_holidays",
    "working_time_between",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# The Gregorian calendar (and so the Easter algorithm) starts in 1583.
_FIRST_GREGORIAN_YEAR = 1583


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of a Gregorian year (anonymous algorithm, Meeus/Jones/Butcher)."""
    if year < _FIRST_GREGORIAN_YEAR:
        raise ValueError(f"Easter is computed for Gregorian years from 1583, got {year}")
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_from(first: date) -> date:
    """The first Saturday on or after `first`."""
    return first + timedelta(days=(_SATURDAY - first.weekday()) % 7)


def swedish_public_holidays(year: int, include_eves: bool = True) -> dict[date, str]:
    """Return Swedish public holidays (lag 1989:253, rules since 2005) as {date: Swedish name}."""
    easter = easter_sunday(year)
    midsummer_day = _saturday_from(date(year, 6, 20))
    holidays = [
        (date(year, 1, 1), "Nyårsdagen"),
        (date(year, 1, 6), "Trettondedag jul"),
        (easter - timedelta(days=2), "Långfredagen"),
        (easter, "Påskdagen"),
        (easter + timedelta(days=1), "Annandag påsk"),
        (date(year, 5, 1), "Första maj"),
        (easter + timedelta(days=39), "Kristi himmelsfärdsdag"),
        (easter + timedelta(days=49), "Pingstdagen"),
        (date(year, 6, 6), "Sveriges nationaldag"),
        (midsummer_day, "Midsommardagen"),
        (_saturday_from(date(year, 10, 31)), "Alla helgons dag"),
        (date(year, 12, 25), "Juldagen"),
        (date(year, 12, 26), "Annandag jul"),
    ]
    if include_eves:
        # Not holidays by law, but municipal offices are closed on them in practice.
        holidays += [
            (midsummer_day - _ONE_DAY, "Midsommarafton"),
            (date(year, 12, 24), "Julafton"),
            (date(year, 12, 31), "Nyårsafton"),
        ]
    result: dict[date, str] = {}
    for day, name in sorted(holidays):
        # Moveable feasts can fall on a fixed one (Kristi himmelsfärdsdag on Första maj in
        # 2008, Pingstdagen on the national day in 2049): keep both names, not just the last.
        result[day] = f"{result[day]} och {name}" if day in result else name
    return result


@lru_cache(maxsize=64)
def _closed_days(year: int, include_eves: bool) -> frozenset[date]:
    """Holiday dates of a year, cached because deadlines are computed on every request."""
    return frozenset(swedish_public_holidays(year, include_eves))


@dataclass(frozen=True)
class WorkingHours:
    """An office's opening hours: daily local opening and closing times on given weekdays."""

    opens: time = time(8, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    include_eves: bool = True
    tz: str = "Europe/Stockholm"

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local wall-clock times, without tzinfo")
        if not self.opens < self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        # Accept any iterable of weekdays but store a frozenset, so instances stay hashable.
        weekdays = frozenset(self.weekdays)
        if not weekdays or not weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0-6, got {set(weekdays)}")
        object.__setattr__(self, "weekdays", weekdays)
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone (ZoneInfo caches instances by key)."""
        return ZoneInfo(self.tz)


DEFAULT_HOURS = WorkingHours()


def is_working_day(day: date, hours: WorkingHours = DEFAULT_HOURS) -> bool:
    """Return whether the office is open on this calendar day."""
    # A datetime is a date, but it never equals a holiday date, so it would slip through.
    if isinstance(day, datetime):
        raise TypeError("is_working_day takes a date; use .date() in the office's time zone")
    return day.weekday() in hours.weekdays and day not in _closed_days(day.year, hours.include_eves)


def _opening_interval(day: date, hours: WorkingHours) -> tuple[datetime, datetime]:
    """The UTC instants at which the office opens and closes on a given local day."""
    # Combining wall-clock times with the zone gives the right offset for each day, so a
    # day is opens-to-closes long even when the clocks change (they change at night).
    zone = hours.zone
    opens = datetime.combine(day, hours.opens, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, hours.closes, tzinfo=zone).astimezone(UTC)
    return opens, closes


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def add_working_hours(
    start: datetime, hours: float, calendar: WorkingHours = DEFAULT_HOURS
) -> datetime:
    """Return the UTC instant `hours` of opening time after `start` (the deadline)."""
    _require_aware("start", start)
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, got {hours}")
    remaining = timedelta(hours=hours)
    # Compare and subtract in UTC only: aware datetimes sharing a tzinfo are compared by
    # wall clock, which is wrong across a DST change.
    current = start.astimezone(UTC)
    day = start.astimezone(calendar.zone).date()
    # One step per calendar day, taking a whole day's opening time at once, so large SLAs
    # cost a few hundred iterations.
    while True:
        if is_working_day(day, calendar):
            opens, closes = _opening_interval(day, calendar)
            begin = max(current, opens)
            # Opening hours are half-open [opens, closes): at closing time the office is
            # closed, so zero hours from then gives the next opening. A deadline that uses up
            # a day exactly ends at closing time that day, not at the next opening.
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += _ONE_DAY


def working_time_between(
    start: datetime, end: datetime, calendar: WorkingHours = DEFAULT_HOURS
) -> timedelta:
    """Return the opening time between two instants; timedelta(0) if end <= start."""
    _require_aware("start", start)
    _require_aware("end", end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    zone = calendar.zone
    day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = timedelta(0)
    while day <= last_day:
        if is_working_day(day, calendar):
            opens, closes = _opening_interval(day, calendar)
            overlap = min(end, closes) - max(start, opens)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total
