"""Swedish display formats: every number, share, date, weekday and duration a page shows.

One module for the whole app (pages, charts, the ROSA diagram, channel messages, the
Swedish CSV and XLSX exports), built on Babel's CLDR data for ``sv_SE``: a no-break space
between thousands ("10 651"), a decimal comma ("67,2 %"), ISO dates ("2026-12-05", which is
also Swedish standard), Swedish weekday names. Pure functions, no Flask: ``rosa`` and
``kanaler`` may use it as well as ``frontdesk``.

Durations are shown the way a person reads them, never as thousands of minutes: minutes under
an hour and a half, hours under two days, then days ("dygn" for calendar time). Working time is
counted in working hours ("arbetstimmar") and shown in hours, since an SLA is a number of
working hours.
"""

from datetime import date as _date
from datetime import datetime as _datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = [
    "LOCALE",
    "NBSP",
    "date",
    "date_long",
    "decimal",
    "duration",
    "hours",
    "number",
    "percent",
    "weekday",
]

LOCALE = "sv_SE"
NBSP = "\u00a0"
MINUS = "\u2212"


def _rounded(value: float, decimals: int) -> Decimal:
    # Half up, as people round (2,25 -> 2,3), not Babel's banker's rounding; "+ 0" drops -0.
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP) + 0


def number(value: float | int | None, decimals: int = 1) -> str:
    """ "12 345", "2,5", "3" (no trailing zeros), "−4" with a real minus; "" for None."""
    if value is None:
        return ""
    rounded = _rounded(value, decimals)
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    text = format_decimal(abs(rounded), format=pattern, locale=LOCALE)
    return (MINUS if rounded < 0 else "") + text


def decimal(value: float | int | None, decimals: int = 1) -> str:
    """A number for a spreadsheet cell: "2,5" or "12345" (decimal comma, no grouping)."""
    if value is None:
        return ""
    rounded = _rounded(value, decimals)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A share 0..1 as "42 %" or "42,5 %" (a no-break space before the sign); "" for None."""
    if fraction is None:
        return ""
    return f"{number(fraction * 100, decimals)}{NBSP}%"


def date(day: _date | _datetime | None) -> str:
    """ "2026-12-05" (Swedish standard, sorts as text)."""
    if day is None:
        return ""
    return format_date(day, format="short", locale=LOCALE)


def date_long(day: _date | _datetime | None) -> str:
    """ "5 dec. 2026"."""
    if day is None:
        return ""
    return format_date(day, format="medium", locale=LOCALE)


def weekday(day: _date | _datetime | int, short: bool = False) -> str:
    """ "måndag" (or "mån") for a date, or for an ISO weekday index 0 = Monday."""
    if isinstance(day, int):
        day = _date(2024, 1, 1 + day)  # 2024-01-01 is a Monday
    return format_date(day, format="EEE" if short else "EEEE", locale=LOCALE)


def duration(seconds: float | None) -> str:
    """Calendar time: "45 min", "5,5 h", "3,2 dygn"; "" for None."""
    if seconds is None:
        return ""
    minutes = seconds / 60
    if abs(minutes) < 90:
        return f"{number(minutes, 0)}{NBSP}min"
    if abs(minutes) < 48 * 60:
        return f"{number(minutes / 60, 1)}{NBSP}h"
    return f"{number(minutes / 1440, 1)}{NBSP}dygn"


def hours(value: float | None, decimals: int = 1) -> str:
    """A number of hours, e.g. working hours against an SLA: "12,5 h"; "" for None."""
    if value is None:
        return ""
    return f"{number(value, decimals)}{NBSP}h"
