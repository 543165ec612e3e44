"""The channel report over the API: the figures the channel page shows, for managers."""

from flask import request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import PeriodQuery, operation
from frontdesk.channels.queries import DEFAULT_MONTHS, channel_figures
from frontdesk.channels.schemas import ChannelParity
from frontdesk.periods import FilterError, read_filters
from frontdesk.roles import MANAGER_ROLES


@bp.get("/channels/parity")
@operation(
    tag="channels",
    roles=MANAGER_ROLES,
    query=PeriodQuery,
    out=ChannelParity,
    ok_description="The figures.",
    errors=(400, 403, 422),
)
def channel_parity():
    """Per channel: contacts, first-contact share, referral rate, time to answer

    The period defaults to the last three months.
    """
    # The page's filter reading, so both refuse the same periods with the same words.
    try:
        filters = read_filters(request.args, DEFAULT_MONTHS)
    except FilterError as error:
        raise ApiError(422, "Ogiltigt filter.", error.fields) from error
    return ChannelParity.of(channel_figures(filters.period))
