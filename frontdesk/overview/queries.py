"""The overview's figures, read from the tallies (contacts) and the referrals table.

Which tally answers depends on the filters: without a case type or organisation the
office-grain tallies (a few tens of thousands of rows a year) serve the series; with
one, the day-and-case-type tally is read through its case-type index. Tables per case
type take whole months from the monthly tally and only the odd days at the ends of
the period from the daily one.
"""

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.extensions import db
from frontdesk.mandates.history import MandateHistory
from frontdesk.models import (
    CaseType,
    Contact,
    ContactDayStat,
    ContactMonthTally,
    Office,
    OfficeDayStat,
    OfficeHourStat,
    Organisation,
    Referral,
    ReferralMonthStat,
)
from frontdesk.models.referral import OPEN_FILTER, ReferralStatus, overdue_clause
from frontdesk.overview.filters import (
    OverviewFilters,
    bucket_start,
    bucket_starts,
    contact_conditions,
)
from frontdesk.periods import Period
from frontdesk.tallies import NOT_ANSWERED, LocalHours, answer_bucket, office_hours
from frontdesk.timeutil import local_day_bounds, local_today, utcnow
from kanaler import CHANNEL_CODES
from rosa import LEVELS, Outcome

AT_DESK = Outcome.INFORMERAT.value


def _filtered(query, table, filters: OverviewFilters, day_column):
    query = query.where(day_column >= filters.period.first, day_column <= filters.period.last)
    if filters.office is not None:
        query = query.where(table.office_id == filters.office.id)
    if filters.channel is not None and hasattr(table, "channel"):
        query = query.where(table.channel == filters.channel)
    case_type_ids = filters.case_type_ids()
    if case_type_ids is not None:
        query = query.where(table.case_type_id.in_(case_type_ids))
    return query


def _day_counts(filters: OverviewFilters, *group: str) -> list[tuple]:
    """(group values..., contacts, repeats) over the period, from the tally that fits."""
    table = ContactDayStat if filters.by_case_type else OfficeDayStat
    columns = [getattr(table, name) for name in group]
    query = sa.select(*columns, sa.func.sum(table.contacts), sa.func.sum(table.repeats))
    query = _filtered(query, table, filters, table.day).group_by(*columns)
    return [tuple(row) for row in db.session.execute(query)]


@dataclass
class Volumes:
    buckets: list[date]
    by_channel: dict[str, list[int]]
    by_level: dict[int, list[int]]
    total: int


def volumes(filters: OverviewFilters) -> Volumes:
    """Contacts per time bucket, by channel and by ROSA level."""
    starts = bucket_starts(filters.period, filters.bucket)
    position = {start: i for i, start in enumerate(starts)}
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    by_level: dict[int, list[int]] = defaultdict(lambda: [0] * len(starts))
    total = 0
    for day, channel, contacts, _ in _day_counts(filters, "day", "channel"):
        by_channel[channel][position[bucket_start(day, filters.bucket)]] += contacts
        total += contacts
    for day, level, contacts, _ in _day_counts(filters, "day", "rosa_level"):
        by_level[level][position[bucket_start(day, filters.bucket)]] += contacts
    return Volumes(
        starts,
        {code: by_channel[code] for code in CHANNEL_CODES if code in by_channel},
        # Every level, also one without contacts: a column of zeros says so.
        {level.number: by_level[level.number] for level in LEVELS},
        total,
    )


@dataclass
class Totals:
    contacts: int
    at_desk: int
    repeats: int
    by_channel: dict[str, int]
    by_level: dict[int, int]


def totals(filters: OverviewFilters) -> Totals:
    """The period's contacts in one small query: by channel, by level, answered at the desk."""
    by_channel: dict[str, int] = defaultdict(int)
    by_level: dict[int, int] = defaultdict(int)
    contacts = at_desk = repeats = 0
    for channel, level, outcome, n, repeated in _day_counts(
        filters, "channel", "rosa_level", "outcome"
    ):
        by_channel[channel] += n
        by_level[level] += n
        contacts += n
        repeats += repeated
        at_desk += n if outcome == AT_DESK else 0
    return Totals(
        contacts,
        at_desk,
        repeats,
        {code: by_channel[code] for code in CHANNEL_CODES if code in by_channel},
        dict(sorted(by_level.items())),
    )


def newest_referrals(conditions: list, before: int | None, limit: int) -> list[Referral]:
    """Referrals matching the conditions, newest first, older than referral `before`.

    Ordered by creation time, so the database walks its creation-time index backwards
    and stops at the page's end instead of sorting the period's referrals by id.
    """
    query = sa.select(Referral).join(Contact, Contact.id == Referral.contact_id).where(*conditions)
    if before is not None:
        anchor = db.session.get(Referral, before)
        if anchor is not None:
            query = query.where(
                sa.tuple_(Referral.created_at, Referral.id)
                < sa.tuple_(anchor.created_at, anchor.id)
            )
    query = query.order_by(Referral.created_at.desc(), Referral.id.desc()).limit(limit)
    return db.session.scalars(query).all()


def contact_count(filters: OverviewFilters, narrowing, narrowed: list) -> int:
    """How many contacts the filters and a figure's narrowing select.

    From the tallies, except for one cell of the busy-hours map: those contacts are
    counted office by office through the (office, time) index, an hour a week at a time.
    """
    if narrowing.by_hour and not filters.by_case_type and narrowing.only_hour:
        busy = busy_hours(filters)
        return busy.counts.get((narrowing.weekday, narrowing.hour), 0)
    if narrowing.by_hour:
        conditions = contact_conditions(filters, dated=False) + narrowed
        offices = (
            [filters.office.id] if filters.office else db.session.scalars(sa.select(Office.id))
        )
        return sum(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Contact)
                .where(Contact.office_id == office_id, *conditions)
            )
            for office_id in offices
        )
    total = 0
    for level, outcome, contacts, repeats in _day_counts(filters, "rosa_level", "outcome"):
        if narrowing.rosa_level is not None and level != narrowing.rosa_level:
            continue
        if narrowing.outcome is not None and outcome != narrowing.outcome:
            continue
        total += repeats if narrowing.repeat else contacts
    return total


def newest_contacts(
    conditions: list,
    office: Office | None,
    before: int | None,
    limit: int,
    windows: list[tuple[datetime, datetime]] | None = None,
):
    """Contacts matching the conditions, newest first, older than contact `before`.

    One query per office, each walking its (office, time) index backwards, merged here:
    without an office the database would otherwise sort a whole period's contacts.
    With `windows` (one local hour a week: a busy-hours cell) the database reads the
    windows' index ranges unordered and only ids and times come back to be sorted here:
    ordering in SQL would make it walk the office's whole period instead.
    """
    if before is not None:
        anchor = db.session.get(Contact, before)
        if anchor is not None:
            conditions = [
                *conditions,
                sa.or_(
                    Contact.occurred_at < anchor.occurred_at,
                    sa.and_(Contact.occurred_at == anchor.occurred_at, Contact.id < anchor.id),
                ),
            ]
    office_ids = [office.id] if office else db.session.scalars(sa.select(Office.id)).all()
    if windows is not None:
        # The driver's own time values (ISO text on SQLite): they sort the same, and a year
        # of a busy hour is tens of thousands of them to convert otherwise.
        raw_time = sa.type_coerce(Contact.occurred_at, sa.String)
        start, end = sa.bindparam("start"), sa.bindparam("end")
        keys = []
        for office_id in office_ids:
            # One small covered index range per window; one query over all windows
            # makes SQLite fetch every row from the table instead.
            statement = sa.select(raw_time, Contact.id).where(
                Contact.office_id == office_id,
                Contact.occurred_at >= start,
                Contact.occurred_at < end,
                *conditions,
            )
            for a, b in windows:
                keys += map(tuple, db.session.execute(statement, {"start": a, "end": b}))
        ids = [id_ for _, id_ in heapq.nlargest(limit, keys)]
        contacts = db.session.scalars(sa.select(Contact).where(Contact.id.in_(ids))).all()
        return sorted(contacts, key=lambda c: (c.occurred_at, c.id), reverse=True)
    rows = []
    for office_id in office_ids:
        rows += db.session.scalars(
            sa.select(Contact)
            .where(Contact.office_id == office_id, *conditions)
            .order_by(Contact.occurred_at.desc(), Contact.id.desc())
            .limit(limit)
        ).all()
    rows.sort(key=lambda c: (c.occurred_at, c.id), reverse=True)
    return rows[:limit]


WEEKDAYS = ("Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag")


@dataclass
class BusyHours:
    hours: list[int]  # the hours of the day shown, in order
    weekdays: list[int]  # 0 = Monday
    counts: dict[tuple[int, int], int]  # (weekday, hour) to contacts
    # Contacts per (weekday, hour) divided by how many such weekdays the period holds.
    per_day: dict[tuple[int, int], float]
    total: int


def _hour_counts_from_contacts(filters: OverviewFilters) -> dict[tuple[date, int], int]:
    """Contacts per local day and hour, counted from the contacts by UTC hour."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        hour = sa.func.date_trunc("hour", Contact.occurred_at)
    else:  # stored as ISO text: the first 13 characters are the UTC hour
        hour = sa.func.substr(Contact.occurred_at, 1, 13)
    query = sa.select(hour, sa.func.count()).where(*contact_conditions(filters)).group_by(hour)
    counts: dict[tuple[date, int], int] = defaultdict(int)
    local_hours = LocalHours()
    for utc_hour, contacts in db.session.execute(query):
        local = local_hours(utc_hour)
        counts[(local.date(), local.hour)] += contacts
    return counts


def busy_hours(filters: OverviewFilters) -> BusyHours:
    """When contacts come: weekday by hour of the day, for staffing."""
    if filters.by_case_type:
        day_hours = _hour_counts_from_contacts(filters)
    else:
        query = sa.select(
            OfficeHourStat.day, OfficeHourStat.hour, sa.func.sum(OfficeHourStat.contacts)
        )
        query = _filtered(query, OfficeHourStat, filters, OfficeHourStat.day)
        query = query.group_by(OfficeHourStat.day, OfficeHourStat.hour)
        day_hours = {(day, hour): n for day, hour, n in db.session.execute(query)}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for (day, hour), contacts in day_hours.items():
        counts[(day.weekday(), hour)] += contacts
    days_of_weekday = [0] * 7
    day = filters.period.first
    while day <= filters.period.last:
        days_of_weekday[day.weekday()] += 1
        day += timedelta(days=1)
    used_hours = {hour for _, hour in counts}
    hours = list(range(min(used_hours | {8}), max(used_hours | {16}) + 1))
    weekdays = [w for w in range(7) if w < 5 or any(counts.get((w, h)) for h in hours)]
    return BusyHours(
        hours,
        weekdays,
        dict(counts),
        {key: n / days_of_weekday[key[0]] for key, n in counts.items() if days_of_weekday[key[0]]},
        sum(counts.values()),
    )


@dataclass
class ResolutionRow:
    office: Office | None
    case_type: CaseType | None
    contacts: int = 0
    at_desk: int = 0
    repeats: int = 0

    @property
    def at_desk_share(self) -> float | None:
        return self.at_desk / self.contacts if self.contacts else None

    @property
    def repeat_share(self) -> float | None:
        return self.repeats / self.contacts if self.contacts else None


@dataclass
class Resolution:
    total: ResolutionRow
    rows: list[ResolutionRow]  # per office and case type, most contacts first
    buckets: list[date]
    at_desk_trend: list[float | None]
    repeat_trend: list[float | None]


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _whole_months(period: Period) -> tuple[date, date] | None:
    """The first and last month (first days) wholly inside the period, if any."""
    first = period.first if period.first.day == 1 else _next_month(period.first)
    last = ((period.last + timedelta(days=1)).replace(day=1) - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else None


def _per_case_type_counts(filters: OverviewFilters) -> list[tuple]:
    """(office_id, case_type_id, outcome, contacts, repeats) over the period.

    Whole months come from the monthly tally, the days outside them from the daily one.
    """
    months = _whole_months(filters.period)
    day_ranges = [(filters.period.first, filters.period.last)]
    rows = []
    if months is not None:
        first_month, last_month = months
        day_ranges = [
            (filters.period.first, first_month - timedelta(days=1)),
            (_next_month(last_month), filters.period.last),
        ]
        table = ContactMonthTally
        group = (table.office_id, table.case_type_id, table.outcome)
        query = sa.select(*group, sa.func.sum(table.contacts), sa.func.sum(table.repeats))
        month_filters = replace(filters, period=Period(first_month, last_month))
        query = _filtered(query, table, month_filters, table.month).group_by(*group)
        rows.extend(db.session.execute(query))
    table = ContactDayStat
    group = (table.office_id, table.case_type_id, table.outcome)
    for first, last in day_ranges:
        if first > last:
            continue
        edge = replace(filters, period=Period(first, last))
        query = sa.select(*group, sa.func.sum(table.contacts), sa.func.sum(table.repeats))
        rows.extend(db.session.execute(_filtered(query, table, edge, table.day).group_by(*group)))
    return [tuple(row) for row in rows]


def resolution(filters: OverviewFilters) -> Resolution:
    """First-contact resolution and the repeat share, per office and case type and over time."""
    offices = {o.id: o for o in db.session.scalars(sa.select(Office))}
    case_types = {c.id: c for c in db.session.scalars(sa.select(CaseType))}
    per_pair: dict[tuple[int, int], ResolutionRow] = {}
    total = ResolutionRow(None, None)
    for office_id, case_type_id, outcome, contacts, repeats in _per_case_type_counts(filters):
        row = per_pair.get((office_id, case_type_id))
        if row is None:
            row = per_pair[(office_id, case_type_id)] = ResolutionRow(
                offices[office_id], case_types[case_type_id]
            )
        for each in (row, total):
            each.contacts += contacts
            each.repeats += repeats
            each.at_desk += contacts if outcome == AT_DESK else 0
    starts = bucket_starts(filters.period, filters.bucket)
    position = {start: i for i, start in enumerate(starts)}
    contacts, at_desk, repeats = [0] * len(starts), [0] * len(starts), [0] * len(starts)
    for day, outcome, n, repeated in _day_counts(filters, "day", "outcome"):
        i = position[bucket_start(day, filters.bucket)]
        contacts[i] += n
        repeats[i] += repeated
        at_desk[i] += n if outcome == AT_DESK else 0
    return Resolution(
        total,
        sorted(per_pair.values(), key=lambda r: (-r.contacts, r.case_type.name, r.office.code)),
        starts,
        [a / n if n else None for a, n in zip(at_desk, contacts, strict=True)],
        [r / n if n else None for r, n in zip(repeats, contacts, strict=True)],
    )


@dataclass
class ReferralRow:
    organisation: Organisation | None
    case_type: CaseType | None
    created: int = 0
    answered: int = 0
    overdue: int = 0
    awaiting_callback: int = 0
    median_hours: float | None = None  # working hours (the office's opening hours)
    p90_hours: float | None = None
    within_sla: int = 0  # answered in fewer working hours than the case type's SLA

    @property
    def within_sla_share(self) -> float | None:
        return self.within_sla / self.answered if self.answered else None


@dataclass
class ReferralFigures:
    total: ReferralRow
    rows: list[ReferralRow] = field(default_factory=list)


def _referral_months_and_edges(period: Period) -> tuple[tuple[date, date] | None, list]:
    """The months the referral tally answers exactly, and the days it cannot.

    A month counts whole when the period covers it, or when the period runs to today
    (no referral is created after today).
    """
    today = local_today()
    first_month = period.first if period.first.day == 1 else _next_month(period.first)
    months, month = [], first_month
    while month <= period.last:
        if _next_month(month) - timedelta(days=1) <= period.last or period.last >= today:
            months.append(month)
        month = _next_month(month)
    if not months:
        return None, [(period.first, period.last)]
    edges = [(period.first, months[0] - timedelta(days=1))]
    edges.append((_next_month(months[-1]), period.last))
    return (months[0], months[-1]), [(a, b) for a, b in edges if a <= b]


def _answer_histograms(filters: OverviewFilters) -> dict[int, Counter]:
    """Per case type, the referrals created in the period by time-to-answer bucket.

    Whole months come from the referral tally; days at the ends it cannot answer are
    read from the referrals themselves (at most two part-months).
    """
    histograms: dict[int, Counter] = defaultdict(Counter)
    months, edges = _referral_months_and_edges(filters.period)
    if months is not None:
        table = ReferralMonthStat
        query = sa.select(table.case_type_id, table.answer_bucket, sa.func.sum(table.referrals))
        month_filters = replace(filters, period=Period(*months))
        query = _filtered(query, table, month_filters, table.month)
        for case_type_id, bucket, n in db.session.execute(
            query.group_by(table.case_type_id, table.answer_bucket)
        ):
            histograms[case_type_id][bucket] += n
    for first, last in edges:
        start, end = Period(first, last).bounds
        query = (
            sa.select(
                Referral.created_at, Referral.answered_at, Contact.case_type_id, Contact.office_id
            )
            .join(Contact, Contact.id == Referral.contact_id)
            .where(Referral.created_at >= start, Referral.created_at < end)
        )
        for created_at, answered_at, case_type_id, office_id in db.session.execute(
            query.where(*contact_conditions(filters, dated=False))
        ):
            bucket = answer_bucket(created_at, answered_at, office_hours(office_id))
            histograms[case_type_id][bucket] += 1
    return histograms


def _open_counts(filters: OverviewFilters, now: datetime) -> dict[int, tuple[int, int]]:
    """Per case type, referrals created in the period that are overdue or await the call-back.

    Read live (they change with the clock) from the few referrals not yet closed,
    through the status indexes. The period and the other filters are applied here
    rather than in SQL, so that no filter can tempt the database into walking a year
    of contacts or referrals instead.
    """
    start, end = filters.period.bounds
    case_type_ids = filters.case_type_ids()
    wanted = None if case_type_ids is None else set(case_type_ids)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for column, status_condition, flag in (
        (0, OPEN_FILTER, overdue_clause(now)),
        (1, Referral.status == ReferralStatus.ATERFORD, sa.true()),
    ):
        query = (
            sa.select(Contact.case_type_id, Contact.office_id, Contact.channel, Referral.created_at)
            .join(Contact, Contact.id == Referral.contact_id)
            .where(status_condition, flag)
        )
        for case_type_id, office_id, channel, created_at in db.session.execute(query):
            if (
                start <= created_at < end
                and (wanted is None or case_type_id in wanted)
                and (filters.office is None or office_id == filters.office.id)
                and (filters.channel is None or channel == filters.channel)
            ):
                counts[case_type_id][column] += 1
    return {case_type_id: (o, c) for case_type_id, (o, c) in counts.items()}


def _quantile_hours(histogram: Counter, share: float) -> float | None:
    """The share-quantile of the answered referrals' hours, interpolated between ranks."""
    answered = sorted((bucket, n) for bucket, n in histogram.items() if bucket >= 0 and n)
    total = sum(n for _, n in answered)
    if not total:
        return None
    position = (total - 1) * share
    below = int(position)

    def value_at(rank: int) -> int:  # 0-based rank in the sorted answers
        seen = 0
        for bucket, n in answered:
            seen += n
            if rank < seen:
                return bucket
        return answered[-1][0]

    low, high = value_at(below), value_at(min(below + 1, total - 1))
    return (low + (high - low) * (position - below)) / 60


def _referral_row(
    organisation, case_type, histogram: Counter, live: tuple[int, int], within_sla: int = 0
):
    created = sum(histogram.values())
    answered = created - histogram.get(NOT_ANSWERED, 0)
    row = ReferralRow(organisation, case_type, created, answered, *live, within_sla=within_sla)
    row.median_hours = _quantile_hours(histogram, 0.5)
    row.p90_hours = _quantile_hours(histogram, 0.9)
    return row


def _within(histogram: Counter, sla_hours: int) -> int:
    """Answered in less working time than the SLA (the buckets' grid has the SLA's hours)."""
    limit = sla_hours * 60
    return sum(n for bucket, n in histogram.items() if 0 <= bucket < limit)


def referral_totals(filters: OverviewFilters, now: datetime | None = None) -> ReferralRow:
    """All referrals created in the period, without the breakdown."""
    return referral_figures(filters, now).total


def referral_figures(filters: OverviewFilters, now: datetime | None = None) -> ReferralFigures:
    """Referrals created in the period per owning organisation and case type.

    The organisation is the case type's owner (as in the filter), also for a referral
    forwarded to another organisation's queue.
    """
    histograms = _answer_histograms(filters)
    live = _open_counts(filters, now or utcnow())
    case_types = {
        c.id: c
        for c in db.session.scalars(sa.select(CaseType).options(joinedload(CaseType.organisation)))
    }
    rows = [
        _referral_row(
            case_types[id_].organisation,
            case_types[id_],
            histograms[id_],
            live.get(id_, (0, 0)),
            _within(histograms[id_], case_types[id_].sla_hours),
        )
        for id_ in histograms
        if sum(histograms[id_].values())
    ]
    rows.sort(key=lambda r: (r.organisation.name, -r.created, r.case_type.name))
    everything: Counter = Counter()
    for histogram in histograms.values():
        everything.update(histogram)
    overdue = sum(o for o, _ in live.values())
    callbacks = sum(c for _, c in live.values())
    within = sum(row.within_sla for row in rows)
    return ReferralFigures(
        _referral_row(None, None, everything, (overdue, callbacks), within), rows
    )


@dataclass
class BreadthRow:
    case_type: CaseType
    mandate: int
    contacts: int


@dataclass
class Breadth:
    office: Office
    rows: list[BreadthRow]
    index: float | None  # the period's volumes weighted by today's mandates
    months: list[date]
    index_by_month: list[float | None]  # each month weighted by its own volumes and mandates


def breadth(filters: OverviewFilters, office: Office) -> Breadth:
    """The office's uppdragsindex: its mandates weighted by volume, and how it moved.

    Read from the monthly tally, so the period counts in whole months from the month of
    its first day (as the recommendations do).
    """
    first_month = filters.period.first.replace(day=1)
    table = ContactMonthTally
    query = sa.select(table.month, table.case_type_id, sa.func.sum(table.contacts)).where(
        table.office_id == office.id, table.month >= first_month, table.month <= filters.period.last
    )
    if filters.channel is not None:
        query = query.where(table.channel == filters.channel)
    case_type_ids = filters.case_type_ids()
    if case_type_ids is not None:
        query = query.where(table.case_type_id.in_(case_type_ids))
    monthly = db.session.execute(query.group_by(table.month, table.case_type_id)).all()
    history = MandateHistory()
    case_types = {c.id: c for c in db.session.scalars(sa.select(CaseType))}
    months = bucket_starts(Period(first_month, filters.period.last), "manad")
    weighted = defaultdict(float)
    volume = defaultdict(int)
    per_case_type: dict[int, int] = defaultdict(int)
    for month, case_type_id, contacts in monthly:
        month_end = local_day_bounds(_next_month(month))[0]
        level = history.at(office.id, case_type_id, month_end)
        weighted[month] += level * contacts
        volume[month] += contacts
        per_case_type[case_type_id] += contacts
    rows = [
        BreadthRow(case_types[id_], history.at(office.id, id_, utcnow()), n)
        for id_, n in per_case_type.items()
    ]
    rows.sort(key=lambda r: (-r.contacts, r.case_type.name))
    total = sum(r.contacts for r in rows)
    return Breadth(
        office,
        rows,
        sum(r.mandate * r.contacts for r in rows) / total if total else None,
        months,
        [weighted[m] / volume[m] if volume[m] else None for m in months],
    )
