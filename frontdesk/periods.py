"""Periods of local calendar days and the filters the figure pages share.

The overview, the channels page and the ROSA pages (and their API endpoints) all read a
period, an office and a case type from query arguments the same way: one home for the
Period, its parsing and FilterError, so none of those features imports another.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import CaseType, Office
from frontdesk.timeutil import local_day_bounds, local_today


@dataclass(frozen=True)
class Period:
    """Local calendar days, both ends included."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return local_day_bounds(self.first)[0], local_day_bounds(self.last)[1]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def months_back(months: int, today: date | None = None) -> Period:
    """The last `months` calendar months, this one included (it runs to today)."""
    today = today or local_today()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    return Period(date(year, month + 1, 1), today)


MAX_PERIOD_DAYS = 366 * 10


class FilterError(Exception):
    """Bad filter values, as {field: Swedish message}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass
class Filters:
    period: Period
    office: Office | None
    case_type: CaseType | None


# Figures are about the office's work: nothing before 2000, nothing past what time zones reach.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)


def _date(value: str, name: str, errors: dict) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[name] = "Ange datum som ÅÅÅÅ-MM-DD."
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = f"Datumet ska ligga mellan {FIRST_DAY} och {LAST_DAY}."
        return None
    return day


def read_filters(args, default_months: int) -> Filters:
    """office, case_type (codes), from and to (dates, both included) from query arguments."""
    errors: dict[str, str] = {}
    default = months_back(default_months)
    first = _date(args["from"], "from", errors) if args.get("from") else default.first
    last = _date(args["to"], "to", errors) if args.get("to") else default.last
    if first and last:
        # The message goes with a date that was given, not with a default the user never saw.
        if first > last and args.get("to"):
            errors["to"] = "Slutdatum måste vara samma dag som startdatum eller senare."
        elif first > last:
            errors["from"] = f"Startdatum får inte ligga efter {last.isoformat()}."
        elif (last - first).days > MAX_PERIOD_DAYS:
            errors["from" if args.get("from") else "to"] = "Perioden får vara högst tio år."
    office = case_type = None
    if args.get("office"):
        office = db.session.scalar(sa.select(Office).where(Office.code == args["office"]))
        if office is None:
            errors["office"] = "Okänt kontor."
    if args.get("case_type"):
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == args["case_type"]))
        if case_type is None:
            errors["case_type"] = "Okänd ärendetyp."
    if errors:
        raise FilterError(errors)
    return Filters(Period(first, last), office, case_type)
