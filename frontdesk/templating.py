"""Template helpers: filters for times, channels and outcomes, and partial rendering."""

from datetime import datetime

from flask import Flask, render_template

from frontdesk.timeutil import to_local
from kanaler import CHANNELS, channel_label
from rosa import LEVELS

OUTCOME_LABELS = {
    "informerat": "Besvarat i disken",
    "kopplat": "Kopplat",
    "eskalerat": "Remitterat",
}
REFERRAL_STATUS_LABELS = {
    "ny": "Ny",
    "pagar": "Pågår",
    "vantar": "Väntar",
    "aterford": "Återförd",
    "avslutad": "Avslutad",
}


def render_partial(template: str, **context) -> str:
    """Render a "_" partial: what htmx requests get back."""
    return render_template(template, **context)


def _clock(moment: datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%H:%M")


def _local_datetime(moment: datetime | None) -> str:
    return "" if moment is None else to_local(moment).strftime("%Y-%m-%d %H:%M")


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return f"{round(seconds / 60)} min"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        clock=_clock,
        local_datetime=_local_datetime,
        minutes=_minutes,
        channel_label=channel_label,
        outcome_label=OUTCOME_LABELS.get,
        status_label=REFERRAL_STATUS_LABELS.get,
    )
    app.jinja_env.globals.update(CHANNELS=CHANNELS, LEVELS=LEVELS)
