"""The *Bemanning* page: next week's staff per hour, the targets, and the what-if's hours."""

from datetime import date, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

import svformat
from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices
from frontdesk.guards import whole_number
from frontdesk.overview import charts
from frontdesk.roles import MANAGER_ROLES
from frontdesk.staffing import queries
from frontdesk.staffing.forms import TargetsForm
from frontdesk.staffing.operations import set_targets
from frontdesk.timeutil import local_today
from kanaler import channel_label

bp = Blueprint("staffing", __name__, url_prefix="/bemanning")
MAX_MOVED_HOURS = 100_000


def _next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _read(args) -> tuple[dict, dict]:
    """The page's choices from its query arguments, and a Swedish message per bad one."""
    errors, offices = {}, all_offices()
    office = next((o for o in offices if o.code == args.get("office")), None)
    if args.get("office") and office is None:
        errors["office"] = "Okänt kontor."
    channel = args.get("channel") or "besok"
    if channel not in queries.STAFFED_CHANNELS:
        errors["channel"] = "Välj besök, telefon eller chatt."
        channel = "besok"
    week = _next_monday(local_today())
    if args.get("vecka"):
        try:
            week = date.fromisoformat(args["vecka"])
        except ValueError:
            errors["vecka"] = "Ange ett datum som ÅÅÅÅ-MM-DD."
    moved = None
    if args.get("flytt_timmar"):
        moved = whole_number(args["flytt_timmar"].split(",")[0].split(".")[0], 0, MAX_MOVED_HOURS)
        if moved is None:
            errors["flytt_timmar"] = f"Ange timmar per månad, 0–{MAX_MOVED_HOURS}."
    chosen = {
        "offices": offices,
        "office": office or (g.user.office if g.user.office else (offices[0] if offices else None)),
        "channel": channel,
        "week": week,
        "moved": moved,
    }
    return chosen, errors


@bp.get("/")
@roles_required(*MANAGER_ROLES)
def index():
    """The week ahead for an office and channel: arrivals, handling time, staff per hour."""
    chosen, errors = _read(request.args)
    targets = queries.targets()
    target = targets[chosen["channel"]]
    office = chosen["office"]
    days, first = [], None
    if office is not None:
        first = queries.first_contact_day(office.id)
        days = [
            queries.forecast(
                office,
                chosen["channel"],
                chosen["week"] + timedelta(days=i),
                target.service_level,
                target.within_seconds,
                first_day=first,
            )
            for i in range(7)
        ]
    moved_days = []
    if office is not None and chosen["moved"]:
        extra = queries.extra_erlangs_for(chosen["moved"], office)
        moved_days = [
            queries.forecast(
                office,
                chosen["channel"],
                d.day,
                target.service_level,
                target.within_seconds,
                extra_erlangs=extra,
                first_day=first,
            )
            for d in days
        ]
    hours = sorted({h.hour for d in days for h in d.hours})
    chart = None
    if hours:
        chart = charts.line_chart(
            "bemanning",
            "Personal som behövs per timme",
            [f"{h:02d}" for h in hours],
            [
                (
                    f"{svformat.weekday(d.day)} {svformat.date(d.day)}",
                    [next((x.staff for x in d.hours if x.hour == h), None) for h in hours],
                )
                for d in days
                if d.hours
            ],
            y_label="Personer",
        )
    form = TargetsForm(
        formdata=None,
        data={
            "rows": [
                {
                    "channel": t.channel,
                    "percent": round(t.service_level * 100),
                    "within_seconds": t.within_seconds,
                }
                for t in targets.values()
            ]
        },
    )
    return render_template(
        "staffing/index.html",
        errors=errors,
        days=days,
        moved_days=moved_days,
        hours=hours,
        chart=chart,
        target=target,
        targets=targets,
        form=form,
        channel_label=channel_label,
        staffed_channels=queries.STAFFED_CHANNELS,
        post_hours=queries.HOURS_PER_POST_AND_MONTH,
        **chosen,
    ), (422 if errors else 200)


@bp.post("/mal")
@roles_required(*MANAGER_ROLES)
def save_targets():
    """Store the service level each channel is staffed for."""
    form = TargetsForm()
    if not form.validate() or {r.channel.data for r in form.rows} - set(queries.STAFFED_CHANNELS):
        messages = [
            f"{channel_label(r.channel.data) if r.channel.data in queries.STAFFED_CHANNELS else r.channel.data}: {m}"
            for r in form.rows
            for field_errors in r.form.errors.values()
            for m in field_errors
        ] or ["Målen kunde inte sparas."]
        for message in messages:
            flash(message, "error")
        return redirect(url_for("staffing.index", **request.args), 303)
    set_targets(
        {r.channel.data: (float(r.percent.data) / 100, r.within_seconds.data) for r in form.rows},
        g.user,
    )
    flash("Målen är sparade.")
    return redirect(url_for("staffing.index", **request.args), 303)
