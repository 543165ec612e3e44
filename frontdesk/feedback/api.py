"""NKI over the API, for managers."""

from flask import request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.feedback import queries
from frontdesk.feedback.schemas import NkiOut, NkiQuery
from frontdesk.periods import FilterError, read_filters
from frontdesk.roles import MANAGER_ROLES

DEFAULT_MONTHS = 3


@bp.get("/stats/nki")
@operation(
    tag="feedback",
    roles=MANAGER_ROLES,
    query=NkiQuery,
    out=NkiOut,
    errors=(403, 422),
)
def nki_stats():
    """NKI, respondents and response rate of the contacts of a period

    NKI is the mean over respondents of the mean of their three answers, rescaled from
    1–10 to 0–100 (SCB). The period is of contact days; default the last three months.
    """
    try:
        filters = read_filters(request.args, DEFAULT_MONTHS)
    except FilterError as error:
        raise ApiError(422, "Ogiltigt filter.", error.fields) from error
    row = queries.overall(
        queries.Scope(
            filters.period.first,
            filters.period.last,
            filters.office.id if filters.office else None,
        )
    )
    return NkiOut(
        respondents=row.respondents,
        contacts=row.contacts,
        nki=None if row.nki is None else round(row.nki, 1),
        response_rate=None if row.response_rate is None else round(row.response_rate, 4),
    )
