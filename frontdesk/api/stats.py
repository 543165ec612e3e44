"""The overview over the API: the summary figures and the streamed exports."""

from flask import jsonify, request

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError
from frontdesk.exports.downloads import download_body, streamed
from frontdesk.overview import queries
from frontdesk.overview.filters import FilterError, OverviewFilters, read_overview_filters

MANAGER_ROLES = ("chef", "admin")
# The API's file names to what download_body writes (the page's are Swedish).
EXPORTS = {
    "contacts.csv": "contacts_csv",
    "contacts.xlsx": "contacts_xlsx",
    "referrals.csv": "referrals_csv",
    "eventlog.xes": "eventlog_xes",
    "eventlog.csv": "eventlog_csv",
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
def stats_summary():
    """Contacts, first-contact resolution, referrals and lead time for the filters."""
    require_role(*MANAGER_ROLES)
    filters = _filters()
    totals = queries.totals(filters)
    referrals = queries.referral_totals(filters)
    share = (lambda n: round(n / totals.contacts, 4)) if totals.contacts else (lambda n: None)
    return jsonify(
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

    def view():
        require_role(*MANAGER_ROLES)
        filters = _filters()
        return streamed(name, download_body(EXPORTS[name], filters))

    view.__doc__ = f"{name} of the filtered contacts, streamed."
    return view


# One route per file, so each is an operation of its own in the OpenAPI document.
for _name in EXPORTS:
    bp.add_url_rule(
        f"/export/{_name}",
        endpoint=f"export_{_name.replace('.', '_')}",
        view_func=_export(_name),
        methods=["GET"],
    )
