"""Reading the period, office and case type filters shared by the pages and the API."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import CaseType, Office
from frontdesk.recommendations.queries import Period, months_back

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
