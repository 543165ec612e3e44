"""Manager pages: the staircase, the recommendations to review, and the what-if view."""

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices, office_to_show
from frontdesk.extensions import db, htmx
from frontdesk.models import CaseType, Office, Organisation, RecommendationDecision
from frontdesk.models.process import ProposalStatus
from frontdesk.office_access import manages_office
from frontdesk.periods import FilterError, months_back, read_filters
from frontdesk.recommendations.followup import follow_up
from frontdesk.recommendations.forms import DecisionForm
from frontdesk.recommendations.operations import (
    ProposalDecided,
    ProposalNotFound,
    ProposalStale,
    decide,
)
from frontdesk.recommendations.queries import (
    group_proposals,
    pair_histories,
    proposals_for,
    recent_decisions,
    staircase_for,
)
from frontdesk.roles import MANAGER_ROLES
from frontdesk.timeutil import utcnow
from rosa import LEVELS
from rosa.followup import DEFAULT_WINDOW_DAYS, Verdict
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


# The status filter of the recommendations page (the proposals' ProposalStatus values).
STATUS_FILTERS = {
    "": "Alla",
    ProposalStatus.NY.value: "Att ta ställning till",
    ProposalStatus.GODKAND.value: "Godkända",
    ProposalStatus.AVSLAGEN.value: "Avslagna",
}


def _case_type_owners() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Case type code -> name, -> owner's name, -> owner's code."""
    rows = db.session.execute(
        sa.select(CaseType.code, CaseType.name, Organisation.name, Organisation.code).join(
            Organisation, Organisation.id == CaseType.organisation_id
        )
    ).all()
    return (
        {code: name for code, name, _, _ in rows},
        {code: owner for code, _, owner, _ in rows},
        {code: owner_code for code, _, _, owner_code in rows},
    )


@bp.get("/rekommendationer")
@roles_required(*MANAGER_ROLES)
def recommendations():
    """Proposals to raise mandates, grouped and filtered, with decisions and their effects."""
    office = _office_or_default(request.args.get("office"))
    period = months_back(current_app.config["ROSA_PERIOD_MONTHS"])
    found = proposals_for(office, period, current_app.config["ROSA_CEILING"])
    names, owners, owner_codes = _case_type_owners()
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    owner = request.args.get("owner") or ""
    status = request.args.get("status") or ""
    errors = {}
    if owner and owner not in {o.code for o in organisations}:
        errors["owner"] = "Okänd ägare."
    if status not in STATUS_FILTERS:
        errors["status"] = "Välj en status i listan."
    if errors:
        owner = status = ""

    def shown(case_type: str) -> bool:
        return not owner or owner_codes.get(case_type) == owner

    views = [v for v in found.views if shown(v.proposal.case_type)]
    open_views = [v for v in views if v.decision is None]
    decisions = [d for d in recent_decisions(office) if shown(d.case_type.code)]
    if status in (ProposalStatus.GODKAND.value, ProposalStatus.AVSLAGEN.value):
        wanted = "approve" if status == ProposalStatus.GODKAND.value else "reject"
        decisions = [d for d in decisions if d.decision == wanted]
    just_decided = None
    if request.args.get("beslutat", "").isdigit():
        just_decided = db.session.get(RecommendationDecision, int(request.args["beslutat"]))
        if just_decided is not None and just_decided.office_id != office.id:
            just_decided = None
    return render_template(
        "recommendations/recommendations.html",
        office=office,
        offices=all_offices(),
        organisations=organisations,
        period=period,
        can_decide=manages_office(g.user, office.id),
        ceiling=current_app.config["ROSA_CEILING"],
        owner=owner,
        status=status,
        statuses=STATUS_FILTERS,
        errors=errors,
        show_open=status in ("", ProposalStatus.NY.value),
        show_decided=status != ProposalStatus.NY.value,
        groups=group_proposals(open_views, owners),
        open_count=len(open_views),
        over_cap=[h for h in found.over_cap if shown(h.case_type)],
        decisions=decisions,
        just_decided=just_decided,
        form=DecisionForm(formdata=None),
        names=names,
        levels=LEVELS,
    ), 422 if errors else 200


@bp.post("/rekommendationer/<path:key>/beslut")
@roles_required(*MANAGER_ROLES)
def decision(key: str):
    """Approve or reject one proposal; an approval changes the mandate at once.

    Back on the list, the decision just made is shown at the top (`beslutat`): an
    approved proposal leaves the list of proposals, as the mandate it proposed now holds.
    """
    form = DecisionForm()
    office_code = key.split(":", 1)[0]
    filters = {k: v for k, v in request.args.items() if k in ("owner", "status")}
    back = redirect(url_for("recommendations.recommendations", office=office_code, **filters), 303)
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
    return redirect(
        url_for(
            "recommendations.recommendations",
            office=office_code,
            beslutat=row.id,
            **filters,
            _anchor="beslutat-nyss",
        ),
        303,
    )


@bp.get("/uppfoljning")
@roles_required(*MANAGER_ROLES)
def follow_up_page():
    """What each mandate move of the office did: equal windows before and after, a verdict."""
    office = _office_or_default(request.args.get("office"))
    raw = request.args.get("days", "").strip()
    errors, days = {}, DEFAULT_WINDOW_DAYS
    if raw:
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 365:
            days = int(raw)
        else:
            errors["days"] = "Ange ett antal dagar, 1–365."
    return render_template(
        "recommendations/followup.html",
        office=office,
        offices=all_offices(),
        days=days,
        errors=errors,
        args=request.args,
        moves=follow_up(office, utcnow(), days),
        Verdict=Verdict,
    ), 422 if errors else 200


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
            elif int(value) > max(known[code].cap.level, known[code].current_mandate):
                errors[name] = known[code].cap.reason
            else:
                targets[code] = int(value)
    # Nothing counted on a refused choice: the result stays today's until it is fixed.
    result = what_if(histories, {} if errors else targets)
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
