"""The overview's filters: period, office, organisation, case type, channel and time bucket.

The pages, the exports and the API read them the same way, so a figure's link, the
CSV behind it and the API's summary always agree on what was counted.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Organisation
from frontdesk.periods import FilterError, Period, read_filters
from frontdesk.timeutil import LOCAL_TZ
from kanaler import CHANNEL_CODES
from rosa import OUTCOMES

# Three months: a quarter is what managers report on, and it keeps pages quick.
DEFAULT_MONTHS = 3
BUCKETS = {"dag": "dag", "vecka": "vecka", "manad": "månad"}


@dataclass(frozen=True)
class OverviewFilters:
    period: Period
    office: Office | None = None
    organisation: Organisation | None = None
    case_type: CaseType | None = None
    channel: str | None = None
    bucket: str = "vecka"

    @property
    def by_case_type(self) -> bool:
        """Whether the figures must be counted per case type (a case type or owner chosen)."""
        return self.case_type is not None or self.organisation is not None

    def case_type_ids(self) -> list[int] | None:
        """The case types chosen (by the case type or its owner); None: all of them."""
        if self.case_type is not None:
            if self.organisation and self.case_type.organisation_id != self.organisation.id:
                return []
            return [self.case_type.id]
        if self.organisation is not None:
            return list(
                db.session.scalars(
                    sa.select(CaseType.id).where(CaseType.organisation_id == self.organisation.id)
                )
            )
        return None

    def query_args(self, **changes) -> dict[str, str]:
        """The filters as query arguments (for links), with some changed or dropped (None)."""
        args = {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "office": self.office.code if self.office else None,
            "organisation": self.organisation.code if self.organisation else None,
            "case_type": self.case_type.code if self.case_type else None,
            "channel": self.channel,
            "bucket": self.bucket,
        }
        args.update(changes)
        return {name: value for name, value in args.items() if value not in (None, "")}


def read_overview_filters(args, default_months: int = DEFAULT_MONTHS) -> OverviewFilters:
    """The filters from query arguments; FilterError names each bad one in Swedish."""
    errors: dict[str, str] = {}
    try:
        base = read_filters(args, default_months)
    except FilterError as error:
        errors.update(error.fields)
        base = None
    organisation = None
    if args.get("organisation"):
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.code == args["organisation"])
        )
        if organisation is None:
            errors["organisation"] = "Okänd förvaltning eller organisation."
    channel = args.get("channel") or None
    if channel is not None and channel not in CHANNEL_CODES:
        errors["channel"] = "Okänd kanal."
    bucket = args.get("bucket") or "vecka"
    if bucket not in BUCKETS:
        errors["bucket"] = "Välj dag, vecka eller månad."
    if errors:
        raise FilterError(errors)
    return OverviewFilters(base.period, base.office, organisation, base.case_type, channel, bucket)


def contact_conditions(
    filters: OverviewFilters, *, dated: bool = True
) -> list[sa.ColumnElement[bool]]:
    """The filters as conditions on contacts (exports, lists and the event log).

    dated=False leaves the period out, for lists dated by something else (referrals).
    """
    conditions = []
    if dated:
        start, end = filters.period.bounds
        conditions += [Contact.occurred_at >= start, Contact.occurred_at < end]
    if filters.office is not None:
        conditions.append(Contact.office_id == filters.office.id)
    if filters.channel is not None:
        conditions.append(Contact.channel == filters.channel)
    case_type_ids = filters.case_type_ids()
    if case_type_ids is not None:
        conditions.append(Contact.case_type_id.in_(case_type_ids))
    return conditions


@dataclass(frozen=True)
class ContactNarrowing:
    """What a figure's link adds to the filters: a level, an outcome, or repeats only.

    A bucket's link narrows the period itself (from and to).
    """

    rosa_level: int | None = None
    outcome: str | None = None
    repeat: bool = False
    weekday: int | None = None  # 0 = Monday; with hour: a cell of the busy-hours map
    hour: int | None = None

    def query_args(self) -> dict[str, str]:
        """The narrowing as query arguments (for the list's downloads)."""
        args = {
            "level": self.rosa_level,
            "outcome": self.outcome,
            "repeat": "1" if self.repeat else None,
            "weekday": self.weekday,
            "hour": self.hour,
        }
        return {name: str(value) for name, value in args.items() if value is not None}

    @property
    def by_hour(self) -> bool:
        return self.weekday is not None and self.hour is not None

    @property
    def only_hour(self) -> bool:
        """A busy-hours cell and nothing else: the hour tally can count it."""
        return self.by_hour and self == ContactNarrowing(weekday=self.weekday, hour=self.hour)


def read_narrowing(args) -> ContactNarrowing:
    """The narrowing a figure's link carries; FilterError for values out of range."""
    errors: dict[str, str] = {}
    level = None
    if args.get("level"):
        try:
            level = int(args["level"])
        except ValueError:
            level = 0
        if not 1 <= level <= 8:
            errors["level"] = "Nivån ska vara 1–8."
    outcome = args.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        errors["outcome"] = "Okänt utfall."
    weekday = _small_int(args, "weekday", 6, "Veckodagen ska vara 0 (måndag) till 6.", errors)
    hour = _small_int(args, "hour", 23, "Timmen ska vara 0–23.", errors)
    if (weekday is None) != (hour is None):
        errors["hour" if hour is None else "weekday"] = "Ange både veckodag och timme."
    if errors:
        raise FilterError(errors)
    return ContactNarrowing(level, outcome, args.get("repeat") == "1", weekday, hour)


def read_before(args) -> int | None:
    """The list's page marker (the last id shown); FilterError when it is no id at all."""
    if not args.get("before"):
        return None
    try:
        before = int(args["before"])
    except ValueError:
        before = 0
    if not 1 <= before <= 2**63 - 1:
        raise FilterError({"before": "Ogiltig sidmarkering."})
    return before


def _small_int(args, name: str, highest: int, message: str, errors: dict) -> int | None:
    if not args.get(name):
        return None
    try:
        value = int(args[name])
    except ValueError:
        value = -1
    if not 0 <= value <= highest:
        errors[name] = message
        return None
    return value


def hour_ranges(period: Period, weekday: int, hour: int) -> list[tuple[datetime, datetime]]:
    """The UTC intervals of one local hour on one weekday across the period.

    Built in local time, so the hour that repeats when summer time ends spans both
    of its UTC hours and the hour skipped when it starts is empty.
    """
    ranges = []
    day = period.first + timedelta(days=(weekday - period.first.weekday()) % 7)
    while day <= period.last:
        start = datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)
        end = (
            datetime.combine(day, time(hour + 1), tzinfo=LOCAL_TZ)
            if hour < 23
            else datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
        )
        if start.astimezone(UTC) < end.astimezone(UTC):
            ranges.append((start.astimezone(UTC), end.astimezone(UTC)))
        day += timedelta(days=7)
    return ranges


def narrowing_conditions(
    narrowing: ContactNarrowing, period: Period
) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if narrowing.by_hour:
        ranges = hour_ranges(period, narrowing.weekday, narrowing.hour)
        conditions.append(
            sa.or_(
                sa.false(),
                *(sa.and_(Contact.occurred_at >= a, Contact.occurred_at < b) for a, b in ranges),
            )
        )
    if narrowing.rosa_level is not None:
        conditions.append(Contact.rosa_level == narrowing.rosa_level)
    if narrowing.outcome is not None:
        conditions.append(Contact.outcome == narrowing.outcome)
    if narrowing.repeat:
        conditions.append(Contact.is_repeat.is_(True))
    return conditions


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the day's bucket: itself, its ISO week's Monday, or its month's 1st."""
    if bucket == "dag":
        return day
    if bucket == "vecka":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bucket_end(start: date, bucket: str) -> date:
    """The last day of the bucket that starts on `start`."""
    if bucket == "dag":
        return start
    if bucket == "vecka":
        return start + timedelta(days=6)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def bucket_label(start: date, bucket: str) -> str:
    if bucket == "dag":
        return start.isoformat()
    if bucket == "vecka":
        year, week, _ = start.isocalendar()
        return f"v{week} {year}"
    return start.strftime("%Y-%m")


PARTIAL_MARK = " (del)"


def is_partial(start: date, bucket: str, period: Period, today: date) -> bool:
    """Whether the period (or the clock) covers only part of the bucket.

    A week cut by the period's first or last day, or still running today, has fewer
    days than its neighbours: in a chart it looks like a drop that did not happen.
    """
    return start < period.first or bucket_end(start, bucket) > min(
        period.last, today - timedelta(days=1)
    )


def bucket_labels(period: Period, bucket: str, starts: list[date], today: date) -> list[str]:
    """The buckets' labels, partial ones marked (in the charts and the tables alike)."""
    return [
        bucket_label(start, bucket)
        + (PARTIAL_MARK if is_partial(start, bucket, period, today) else "")
        for start in starts
    ]


def bucket_starts(period: Period, bucket: str) -> list[date]:
    """Every bucket the period touches, in order, so empty ones show as zero."""
    starts, day = [], bucket_start(period.first, bucket)
    while day <= period.last:
        starts.append(day)
        day = bucket_end(day, bucket) + timedelta(days=1)
    return starts
