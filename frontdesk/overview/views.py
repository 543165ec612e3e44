"""The manager's overview pages, the lists behind their figures, and the downloads."""

from dataclasses import replace

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    g,
    render_template,
    request,
    url_for,
)

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices, office_to_show
from frontdesk.exports.downloads import (
    REFERRAL_STATES,
    download_body,
    read_dialect,
    record_download,
    referral_conditions,
    streamed,
)
from frontdesk.exports.tables import CsvDialect
from frontdesk.extensions import db
from frontdesk.models import CaseType, Organisation
from frontdesk.overview import charts, queries
from frontdesk.overview.filters import (
    BUCKETS,
    PARTIAL_MARK,
    FilterError,
    OverviewFilters,
    bucket_end,
    bucket_labels,
    bucket_starts,
    contact_conditions,
    hour_ranges,
    narrowing_conditions,
    read_before,
    read_narrowing,
    read_overview_filters,
)
from frontdesk.overview.filters import (
    bucket_start as bucket_start_of,
)
from frontdesk.roles import MANAGER_ROLES
from frontdesk.staffing.queries import targets
from frontdesk.timeutil import local_today
from frontdesk.visitors import queries as visitor_queries
from kanaler import CHANNELS, channel_label

bp = Blueprint("overview", __name__, url_prefix="/oversikt")
PAGE_SIZE = 50
FIELD_LABELS = {
    "from": "Från",
    "to": "Till",
    "office": "Kontor",
    "organisation": "Förvaltning",
    "case_type": "Ärendetyp",
    "channel": "Kanal",
    "bucket": "Tidsindelning",
    "level": "Nivå",
    "outcome": "Utfall",
    "weekday": "Veckodag",
    "hour": "Timme",
}


def filter_choices() -> dict:
    return {
        "offices": all_offices(),
        "organisations": db.session.scalars(
            sa.select(Organisation).order_by(Organisation.name)
        ).all(),
        "case_types": db.session.scalars(sa.select(CaseType).order_by(CaseType.name)).all(),
        "channels": CHANNELS,
        "buckets": BUCKETS,
        "field_labels": FIELD_LABELS,
        "channel_label": channel_label,
        "weekdays": queries.WEEKDAYS,
        "excel_dialect": CsvDialect.EXCEL_SV.value,
    }


def _page(template: str, figures_of):
    """Read the filters, then the page's figures; bad filters give the form with messages."""
    try:
        filters = read_overview_filters(request.args)
    except FilterError as error:
        return render_template(
            template, filters=None, errors=error.fields, args=request.args, **filter_choices()
        ), 422
    return render_template(
        template,
        filters=filters,
        errors={},
        args=request.args,
        **figures_of(filters),
        **filter_choices(),
    )


def _buckets(filters: OverviewFilters):
    return bucket_starts(filters.period, filters.bucket)


def _labels(filters: OverviewFilters, starts) -> list[str]:
    return bucket_labels(filters.period, filters.bucket, starts, local_today())


def _contacts_link(filters: OverviewFilters, **changes) -> str:
    return url_for("overview.contacts", **filters.query_args(**changes))


def _bucket_links(filters: OverviewFilters, **changes) -> list[str]:
    """Per bucket, the contacts behind it (the bucket clipped to the period)."""
    links = []
    for start in _buckets(filters):
        first = max(start, filters.period.first)
        last = min(bucket_end(start, filters.bucket), filters.period.last)
        links.append(
            _contacts_link(
                filters, **{"from": first.isoformat(), "to": last.isoformat()}, **changes
            )
        )
    return links


@bp.get("/")
@roles_required(*MANAGER_ROLES)
def volumes():
    """Contacts over time by channel and by ROSA level."""

    def figures(filters):
        volumes = queries.volumes(filters)
        labels = _labels(filters, volumes.buckets)
        return {
            "volumes": volumes,
            "labels": labels,
            "partial": any(label.endswith(PARTIAL_MARK) for label in labels),
            "bucket_links": _bucket_links(filters),
            "channel_chart": charts.line_chart(
                "volymer-kanal",
                "Kontakter per kanal",
                labels,
                [(channel_label(code), values) for code, values in volumes.by_channel.items()],
                y_label="Kontakter",
            ),
            "level_chart": charts.stacked_bar_chart(
                "volymer-niva",
                "Kontakter per ROSA-nivå",
                labels,
                [(f"Nivå {level}", values) for level, values in volumes.by_level.items()],
                y_label="Kontakter",
            ),
            "contacts_link": lambda **changes: _contacts_link(filters, **changes),
        }

    return _page("overview/volumes.html", figures)


@bp.get("/timmar")
@roles_required(*MANAGER_ROLES)
def hours():
    """The busiest hours of the week, as a heat map."""

    def figures(filters):
        busy = queries.busy_hours(filters)
        weekday_names = [queries.WEEKDAYS[w] for w in busy.weekdays]
        hour_names = [f"{h:02d}" for h in busy.hours]
        grid = [[busy.counts.get((w, h), 0) for h in busy.hours] for w in busy.weekdays]
        links = [
            [
                _contacts_link(filters, weekday=w, hour=h) if busy.counts.get((w, h)) else None
                for h in busy.hours
            ]
            for w in busy.weekdays
        ]
        return {
            "busy": busy,
            "weekday_names": weekday_names,
            "grid": grid,
            "heat_chart": charts.heat_map(
                "timmar",
                "Kontakter per veckodag och timme",
                weekday_names,
                hour_names,
                grid,
                links=links,
            ),
            "cell_link": lambda w, h: _contacts_link(filters, weekday=w, hour=h),
        }

    return _page("overview/hours.html", figures)


@bp.get("/forsta-kontakten")
@roles_required(*MANAGER_ROLES)
def resolution():
    """First-contact resolution and repeat contacts, per office and case type and over time."""

    def figures(filters):
        resolution = queries.resolution(filters)
        labels = _labels(filters, resolution.buckets)
        return {
            "resolution": resolution,
            "labels": labels,
            "partial": any(label.endswith(PARTIAL_MARK) for label in labels),
            "trend_chart": charts.line_chart(
                "forsta-kontakten",
                "Andel besvarade vid första kontakten och andel återkommande kontakter",
                labels,
                [
                    ("Besvarade vid första kontakten", resolution.at_desk_trend),
                    ("Återkommande kontakter", resolution.repeat_trend),
                ],
                percent=True,
            ),
            "bucket_links": _bucket_links(filters),
            "contacts_link": lambda **changes: _contacts_link(filters, **changes),
        }

    return _page("overview/resolution.html", figures)


@bp.get("/remisser")
@roles_required(*MANAGER_ROLES)
def referrals():
    """Referrals per organisation and case type: created, answered, overdue, lead times."""

    def figures(filters):
        figures = queries.referral_figures(filters)
        return {
            "figures": figures,
            "referrals_link": lambda **changes: url_for(
                "overview.referral_list", **filters.query_args(**changes)
            ),
        }

    return _page("overview/referrals.html", figures)


@bp.get("/uppdrag")
@roles_required(*MANAGER_ROLES)
def breadth():
    """The office's breadth: mandate per case type and the volume-weighted uppdragsindex."""

    def figures(filters):
        office = filters.office or office_to_show(None, g.user)[0]
        if office is None:  # no office in the catalogue yet
            return {"breadth": None}
        breadth = queries.breadth(filters, office)
        # The index reads whole months: so do the links to its contacts.
        whole_months = {"from": filters.period.first.replace(day=1).isoformat()}
        month_labels = bucket_labels(filters.period, "manad", breadth.months, local_today())
        return {
            "breadth": breadth,
            "index_chart": charts.line_chart(
                "uppdragsindex",
                "Uppdragsindex per månad",
                month_labels,
                [("Uppdragsindex", breadth.index_by_month)],
                y_label="Nivå",
            ),
            "month_labels": month_labels,
            "contacts_link": lambda **changes: _contacts_link(filters, **whole_months, **changes),
        }

    return _page("overview/breadth.html", figures)


@bp.get("/kontakter")
@roles_required(*MANAGER_ROLES)
def contacts():
    """The contacts behind a figure, newest first, a page at a time."""
    try:
        filters = read_overview_filters(request.args)
        narrowing = read_narrowing(request.args)
        before = read_before(request.args)
    except FilterError as error:
        return render_template(
            "overview/contacts.html", filters=None, errors=error.fields, args=request.args,
            **filter_choices(),
        ), 422  # fmt: skip
    # A busy-hours cell is read as its windows (one local hour a week, all inside the
    # period): with the period's own bounds beside them the database would scan it whole.
    windows, narrowed = None, narrowing
    if narrowing.by_hour:
        windows = hour_ranges(filters.period, narrowing.weekday, narrowing.hour)
        narrowed = replace(narrowing, weekday=None, hour=None)
    conditions = contact_conditions(filters, dated=windows is None) + narrowing_conditions(
        narrowed, filters.period
    )
    rows = queries.newest_contacts(conditions, filters.office, before, PAGE_SIZE + 1, windows)
    total = queries.contact_count(
        filters, narrowing, narrowing_conditions(narrowing, filters.period)
    )
    return render_template(
        "overview/contacts.html",
        filters=filters,
        narrowing=narrowing,
        errors={},
        args=request.args,
        rows=rows[:PAGE_SIZE],
        total=total,
        download_args=narrowing.query_args(),
        next_before=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        **filter_choices(),
    )


@bp.get("/remisser/lista")
@roles_required(*MANAGER_ROLES)
def referral_list():
    """The referrals behind a figure (created in the period), newest first."""
    state = request.args.get("state") or None
    try:
        filters = read_overview_filters(request.args)
        before = read_before(request.args)
        if state is not None and state not in REFERRAL_STATES:
            raise FilterError({"state": "Okänt urval av remisser."})
    except FilterError as error:
        return render_template(
            "overview/referral_list.html", filters=None, errors=error.fields, args=request.args,
            **filter_choices(),
        ), 422  # fmt: skip
    rows = queries.newest_referrals(referral_conditions(filters, state), before, PAGE_SIZE + 1)
    return render_template(
        "overview/referral_list.html",
        filters=filters,
        errors={},
        args=request.args,
        state=state,
        states=REFERRAL_STATES,
        download_args={"state": state} if state else {},
        rows=rows[:PAGE_SIZE],
        next_before=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        **filter_choices(),
    )


# The page's file names (Swedish) to what download_body writes.
DOWNLOADS = {
    "kontakter.csv": "contacts_csv",
    "kontakter.xlsx": "contacts_xlsx",
    "remisser.csv": "referrals_csv",
    "remisser.xlsx": "referrals_xlsx",
    "handelselogg.xes": "eventlog_xes",
    "handelselogg.csv": "eventlog_csv",
}


@bp.get("/export/<name>")
@roles_required(*MANAGER_ROLES)
def download(name: str):
    """A filtered list of contacts or referrals, or the event log, as a file."""
    if name not in DOWNLOADS:
        abort(404)
    state = request.args.get("state") or None
    try:
        filters = read_overview_filters(request.args)
        narrowing = read_narrowing(request.args)
        if state is not None and state not in REFERRAL_STATES:
            raise FilterError({"state": "Okänt urval av remisser."})
        dialect = read_dialect(request.args) if name.endswith(".csv") else None
    except FilterError as error:
        return render_template(
            "overview/contacts.html", filters=None, errors=error.fields, args=request.args,
            **filter_choices(),
        ), 422  # fmt: skip
    kind = DOWNLOADS[name]
    extra = narrowing_conditions(narrowing, filters.period)
    record_download(name, filters, state, dialect)
    return streamed(name, download_body(kind, filters, extra, state, dialect))


@bp.get("/vantetider")
@roles_required(*MANAGER_ROLES)
def waiting():
    """The waiting room: visitors' waits per period and per hour of the day, by the
    counter's target, next to the visits logged."""

    def figures(filters):
        target = targets()["besok"].within_seconds
        tickets = visitor_queries.called_tickets(
            filters.period.first, filters.period.last, filters.office.id if filters.office else None
        )
        starts = _buckets(filters)
        labels = _labels(filters, starts)
        by_bucket = visitor_queries.waits_by(
            tickets, lambda local: bucket_start_of(local.date(), filters.bucket)
        )
        visits = queries.volumes(replace(filters, channel="besok")).by_channel.get("besok", [])
        periods = [
            (
                label,
                visitor_queries.wait_figures(by_bucket.get(start, []), target),
                visits[i] if i < len(visits) else 0,
            )
            for i, (start, label) in enumerate(zip(starts, labels, strict=True))
        ]
        by_hour = visitor_queries.waits_by(tickets, lambda local: local.hour)
        hours = [
            (hour, visitor_queries.wait_figures(by_hour[hour], target)) for hour in sorted(by_hour)
        ]
        minutes = [
            (
                name,
                [
                    None if getattr(f, field) is None else getattr(f, field) / 60
                    for _, f, _ in periods
                ],
            )
            for name, field in (("Median", "median"), ("90:e percentilen", "p90"))
        ]
        return {
            "wait_chart": charts.line_chart(
                "vantetider", "Väntan i minuter", labels, minutes, y_label="Minuter"
            ),
            "target_seconds": target,
            "periods": periods,
            "by_hour": hours,
            "total": visitor_queries.wait_figures([w for _, w in tickets], target),
            "partial": any(label.endswith(PARTIAL_MARK) for label in labels),
        }

    return _page("overview/waiting.html", figures)
