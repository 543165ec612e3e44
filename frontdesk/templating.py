"""Template helpers: filters for times, channels and outcomes, and partial rendering."""

from datetime import datetime

from flask import Flask, render_template, request, url_for

import svformat
from frontdesk.feedback.links import feedback_url, qr_svg
from frontdesk.models.contact import ReachBy
from frontdesk.models.referral import ReferralAction, ReferralStatus
from frontdesk.roles import DESK_ROLES, HANDLER_ROLES, MANAGER_ROLES, Role
from frontdesk.timeutil import to_local
from kanaler import CHANNELS, channel_label
from kanaler.citizen import display_phone
from rosa import LEVELS
from rosa.routing import Outcome

OUTCOME_LABELS = {o.value: o.label for o in Outcome}
EVENT_LABELS = {
    "contact.logged": "Kontakt registrerad, remiss skapad",
    "referral.claimed": "Tagen",
    "referral.resumed": "Återupptagen",
    "referral.released": "Släppt tillbaka till kön",
    "referral.parked": "Parkerad",
    "referral.forwarded": "Skickad vidare",
    "referral.reassigned": "Omfördelad",
    "referral.answered": "Besvarad",
    "referral.callback_done": "Medborgaren uppringd, avslutad",
    "referral.callback_emailed": "Svaret skickat med e-post av disken, avslutad",
    "referral.noted": "Anteckning",
}
REFERRAL_STATUS_LABELS = {s.value: s.label for s in ReferralStatus}


def render_partial(template: str, **context) -> str:
    """Render a "_" partial: what htmx requests get back."""
    return render_template(template, **context)


def _clock(moment: datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%H:%M")


def _local_datetime(moment: datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%Y-%m-%d %H:%M")


def url_with(**changes) -> str:
    """This page's URL with some query arguments changed (paging keeps the filters)."""
    args = {**request.args.to_dict(), **changes}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        clock=_clock,
        local_datetime=_local_datetime,
        # Every number, share, date and duration on a page goes through svformat (sv_SE).
        duration=svformat.duration,
        hours=svformat.hours,
        number=svformat.number,
        percent=svformat.percent,
        sv_date=svformat.date,
        weekday=svformat.weekday,
        channel_label=channel_label,
        outcome_label=OUTCOME_LABELS.get,
        status_label=REFERRAL_STATUS_LABELS.get,
        event_label=lambda action: EVENT_LABELS.get(action, action),
        phone=display_phone,
    )
    app.jinja_env.globals.update(
        CHANNELS=CHANNELS,
        LEVELS=LEVELS,
        url_with=url_with,
        fmt=svformat.number,
        feedback_url=feedback_url,
        qr_svg=qr_svg,
        pct=svformat.percent,
        REACH_BY_CHOICES=[("", "Inget särskilt")] + [(r.value, r.label) for r in ReachBy],
        # The vocabulary, so templates compare with names instead of spelling the values.
        ReferralStatus=ReferralStatus,
        ReferralAction=ReferralAction,
        Role=Role,
        DESK_ROLES=DESK_ROLES,
        HANDLER_ROLES=HANDLER_ROLES,
        MANAGER_ROLES=MANAGER_ROLES,
    )
