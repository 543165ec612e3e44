"""The staffing forecast over the API, for managers."""

from flask import request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.cache import catalogue
from frontdesk.roles import MANAGER_ROLES
from frontdesk.staffing import queries
from frontdesk.staffing.schemas import HourOut, StaffingOut, StaffingQuery


@bp.get("/forecast/staffing")
@operation(
    tag="staffing",
    roles=MANAGER_ROLES,
    query=StaffingQuery,
    out=StaffingOut,
    errors=(403, 422),
)
def staffing_forecast():
    """The staff each opening hour of a day needs (Erlang C)

    Arrivals: the mean of the same weekday and hour over the last 8 such days that were
    not public holidays, from the office's first contact. Handling time: the channel's
    mean logged duration over the last 90 days.
    """
    query: StaffingQuery = request.context.query
    office = catalogue().office_by_code(query.office)
    if office is None:
        raise ApiError(422, "Ogiltigt filter.", {"office": "Okänt kontor."})
    target = queries.targets()[query.channel]
    level = query.service_level if query.service_level is not None else target.service_level
    within = (
        query.answer_within_seconds
        if query.answer_within_seconds is not None
        else target.within_seconds
    )
    day = queries.forecast(office, query.channel, query.date, level, within)
    return StaffingOut(
        office=office.code,
        channel=query.channel,
        date=query.date.isoformat(),
        service_level=level,
        answer_within_seconds=within,
        history_days=[d.isoformat() for d in day.history],
        handling_from_history=day.handling_from_history,
        hours=[
            HourOut(
                hour=h.hour,
                arrivals=round(h.arrivals, 2),
                handling_seconds=round(h.handling_seconds, 1),
                staff=h.staff,
                service_level=round(h.service_level, 4),
            )
            for h in day.hours
        ],
    )
