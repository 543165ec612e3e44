"""The overview over the API: the summary figures and the streamed exports."""

from flask import request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.exports.downloads import download_body, record_download, streamed
from frontdesk.overview import queries
from frontdesk.overview.filters import FilterError, OverviewFilters, read_overview_filters
from frontdesk.overview.schemas import CsvExportQuery, OverviewQuery, StatsSummary
from frontdesk.roles import MANAGER_ROLES

CSV = "text/csv"
# The API's file names: what download_body writes, the media type, the summary.
EXPORTS = {
    "contacts.csv": (
        "contacts_csv",
        CSV,
        "The filtered contacts as CSV (the import-contacts format)",
    ),
    "contacts.xlsx": (
        "contacts_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "The filtered contacts as an Excel workbook",
    ),
    "referrals.csv": (
        "referrals_csv",
        CSV,
        "Referrals created in the period, of the filtered contacts, as CSV",
    ),
    "eventlog.xes": (
        "eventlog_xes",
        "application/xml",
        "Event log (IEEE 1849 XES), one trace per contact",
    ),
    "eventlog.csv": ("eventlog_csv", CSV, "Event log as CSV with the XES keys as columns"),
}


def _filters() -> OverviewFilters:
    # The API has no time series, so no bucket: the page's `bucket` is not read here.
    args = {name: value for name, value in request.args.items() if name != "bucket"}
    try:
        return read_overview_filters(args)
    except FilterError as error:
        raise ApiError(422, "Ogiltigt filter.", error.fields) from error


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@bp.get("/stats/summary")
@operation(
    tag="overview",
    roles=MANAGER_ROLES,
    query=OverviewQuery,
    out=StatsSummary,
    ok_description="The figures.",
    errors=(403, 422),
    refused="Ogiltigt filter.",
)
def stats_summary():
    """Contacts, first-contact resolution, referrals and time to answer

    The period defaults to the last three months.
    """
    filters = _filters()
    totals = queries.totals(filters)
    referrals = queries.referral_totals(filters)
    share = (lambda n: round(n / totals.contacts, 4)) if totals.contacts else (lambda n: None)
    return StatsSummary.model_validate(
        {
            "from": filters.period.first.isoformat(),
            "to": filters.period.last.isoformat(),
            "contacts": totals.contacts,
            "answered_at_desk_share": share(totals.at_desk),
            "repeat_share": share(totals.repeats),
            "referrals": referrals.created,
            "overdue": referrals.overdue,
            "awaiting_callback": referrals.awaiting_callback,
            "median_hours_to_answer": _rounded(referrals.median_hours, 2),
            "p90_hours_to_answer": _rounded(referrals.p90_hours, 2),
            "by_channel": totals.by_channel,
            "by_level": {str(level): n for level, n in totals.by_level.items()},
        }
    )


def _export(name: str):
    """The view of one export: the filters, then the file, streamed."""
    kind, mimetype, summary = EXPORTS[name]

    csv_file = mimetype == CSV

    def view():
        filters = _filters()
        dialect = request.context.query.dialect if csv_file else None
        record_download(name, filters, dialect=dialect)
        return streamed(name, download_body(kind, filters, dialect=dialect))

    # Named before it is declared: the name is the operation's id in the document.
    view.__name__ = f"export_{name.replace('.', '_')}"
    view.__doc__ = (
        f"{summary}\n\nThe contacts of the period and filters (referrals: those created in "
        "the period); the event log has one trace per contact with its referral's events."
    )
    return operation(
        tag="overview",
        roles=MANAGER_ROLES,
        query=CsvExportQuery if csv_file else OverviewQuery,
        ok_description="The file, streamed.",
        out_content={mimetype: {"schema": {"type": "string"}}},
        errors=(403, 422),
        refused="Ogiltigt filter.",
    )(view)


# One route per file, so each is an operation of its own in the OpenAPI document.
for _name in EXPORTS:
    _view = _export(_name)
    bp.add_url_rule(f"/export/{_name}", endpoint=_view.__name__, view_func=_view, methods=["GET"])
