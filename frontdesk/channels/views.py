"""The channel report for managers: parity, channel shift and service levels."""

from flask import Blueprint, render_template, request

from frontdesk.auth import roles_required
from frontdesk.channels.queries import DEFAULT_MONTHS, channel_figures
from frontdesk.periods import FilterError, read_filters
from frontdesk.roles import MANAGER_ROLES
from kanaler import channel_label

bp = Blueprint("channels", __name__, url_prefix="/kanaler")


@bp.get("/")
@roles_required(*MANAGER_ROLES)
def index():
    """Per channel: contacts, first-contact resolution, referral rate, time to answer."""
    try:
        filters = read_filters(request.args, DEFAULT_MONTHS)
    except FilterError as error:
        return render_template(
            "channels/index.html", errors=error.fields, figures=None, args=request.args
        ), 422
    return render_template(
        "channels/index.html",
        errors={},
        figures=channel_figures(filters.period),
        args=request.args,
        channel_label=channel_label,
    )
