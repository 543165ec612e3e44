"""Manager pages: the staircase, the recommendations to review, and the what-if view."""

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices, office_to_show
from frontdesk.extensions import db, htmx
from frontdesk.models import CaseType, Office
from frontdesk.office_access import manages_office
from frontdesk.periods import FilterError, months_back, read_filters
from frontdesk.recommendations.forms import DecisionForm
from frontdesk.recommendations.operations import (
    ProposalDecided,
    ProposalNotFound,
    ProposalStale,
    decide,
)
from frontdesk.recommendations.queries import (
    effects_of_approvals,
    pair_histories,
    proposals_for,
    staircase_for,
)
from frontdesk.roles import MANAGER_ROLES
from frontdesk.timeutil import utcnow
from rosa import LEVELS
from rosa.recommend import what_if

bp = Blueprint("recommendations", __name__, url_prefix="/rosa")


def _office_or_default(code: str | None) -> Office:
    office, known = office_to_show(code, g.user)
    if not known:
        flash("Okänt kontor; visar ditt eget.", "error")
    return office


@bp.get("/trappan")
@roles_required(*MANAGER_ROLES)
def staircase():
    """The ROSA staircase for an office, a case type or all, over a period."""
    errors, filters, stairs = {}, None, None
    try:
        filters = read_filters(request.args, current_app.config["ROSA_PERIOD_MONTHS"])
        stairs = staircase_for(filters.period, filters.office, filters.case_type)
    except FilterError as error:
        errors = error.fields
    context = dict(
        filters=filters,
        stairs=stairs,
        errors=errors,
        args=request.args,
        offices=all_offices(),
        case_types=db.session.scalars(sa.select(CaseType).order_by(CaseType.name)).all(),
    )
    template = "recommendations/staircase.html"
    if htmx and not htmx.boosted:
        return render_template(
            "recommendations/_staircase_result.html", **context
        ), 422 if errors else 200
    return render_template(template, **context), 422 if errors else 200


@bp.get("/rekommendationer")
@roles_required(*MANAGER_ROLES)
def recommendations():
    """Proposals to raise mandates, ranked, with decisions and what earlier approvals did."""
    office = _office_or_default(request.args.get("office"))
    period = months_back(current_app.config["ROSA_PERIOD_MONTHS"])
    views, _ = proposals_for(office, period, current_app.config["ROSA_CEILING"])
    return render_template(
        "recommendations/recommendations.html",
        office=office,
        offices=all_offices(),
        period=period,
        can_decide=manages_office(g.user, office.id),
        ceiling=current_app.config["ROSA_CEILING"],
        open_views=[v for v in views if v.decision is None],
        decided_views=[v for v in views if v.decision is not None],
        effects=effects_of_approvals(office, utcnow()),
        form=DecisionForm(formdata=None),
        names=dict(db.session.execute(sa.select(CaseType.code, CaseType.name)).all()),
        levels=LEVELS,
    )


@bp.post("/rekommendationer/<path:key>/beslut")
@roles_required(*MANAGER_ROLES)
def decision(key: str):
    """Approve or reject one proposal; an approval changes the mandate at once."""
    form = DecisionForm()
    office_code = key.split(":", 1)[0]
    back = redirect(url_for("recommendations.recommendations", office=office_code), 303)
    if not form.validate():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
        return back
    try:
        row = decide(
            key,
            form.decision.data,
            form.note.data.strip(),
            g.user,
            months_back(current_app.config["ROSA_PERIOD_MONTHS"]),
            current_app.config["ROSA_CEILING"],
        )
    except ProposalNotFound:
        flash("Förslaget finns inte.", "error")
        return back
    except ProposalStale:
        flash("Förslaget gäller inte längre (mandatet eller underlaget har ändrats).", "error")
        return back
    except ProposalDecided as error:
        who = error.decision.decided_by.name if error.decision.decided_by else "någon"
        flash(f"Förslaget är redan beslutat av {who}.", "error")
        return back
    if row.decision == "approve":
        flash(
            f"Godkänt: {row.case_type.name} har nu mandat {row.target_mandate} på "
            f"{row.office.name}. Disken remitterar enligt det från nästa kontakt."
        )
    else:
        flash(f"Avslaget: {row.case_type.name}.")
    return back


@bp.route("/vad-om", methods=["GET", "POST"])
@roles_required(*MANAGER_ROLES)
def whatif():
    """Pick case types and target levels; see first-contact resolution and referrals."""
    office = _office_or_default(request.values.get("office"))
    period = months_back(current_app.config["ROSA_PERIOD_MONTHS"])
    histories = sorted(pair_histories(office, period), key=lambda h: -h.total)
    names = dict(db.session.execute(sa.select(CaseType.code, CaseType.name)).all())
    targets, errors = {}, {}
    if request.method == "POST":
        known = {h.case_type: h for h in histories}
        for name, value in request.form.items():
            if not name.startswith("target-") or not value:
                continue
            code = name.removeprefix("target-")
            if code not in known:
                errors[name] = "Okänd ärendetyp för kontoret."
            elif value not in {str(n) for n in range(1, 9)}:
                errors[name] = "Nivån ska vara 1–8."
            else:
                targets[code] = int(value)
    result = what_if(histories, targets)
    context = dict(
        office=office,
        offices=all_offices(),
        period=period,
        histories=histories,
        names=names,
        targets=targets,
        errors=errors,
        result=result,
        levels=LEVELS,
    )
    status = 422 if errors else 200
    if htmx and request.method == "POST":
        return render_template("recommendations/_whatif_result.html", **context), status
    return render_template("recommendations/whatif.html", **context), status
