"""The mandate table of an office: everyone may read it, managers change it."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload

from frontdesk.auth import login_required, roles_required
from frontdesk.extensions import db
from frontdesk.mandates.forms import MandateForm
from frontdesk.mandates.operations import mandate_levels, set_mandate
from frontdesk.models import CaseType, MandateChange, Office
from frontdesk.office_access import manages_office
from frontdesk.roles import MANAGER_ROLES
from rosa import DEFAULT_MANDATE, LEVELS

bp = Blueprint("mandates", __name__, url_prefix="/mandat")


def _office(code: str | None) -> Office:
    if code is None and g.user.office is not None:
        return g.user.office
    query = sa.select(Office).order_by(Office.code)
    if code is not None:
        query = query.where(Office.code == code)
    office = db.session.scalar(query)
    if office is None:
        abort(404)
    return office


def _case_type(code: str) -> CaseType:
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
    if case_type is None:
        abort(404)
    return case_type


@bp.get("/")
@login_required
def index():
    """The office's mandate per case type, with the latest changes."""
    office = _office(request.args.get("office"))
    case_types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.category, CaseType.name)
    ).all()
    levels = mandate_levels(office)
    changes = db.session.scalars(
        sa.select(MandateChange)
        .where(MandateChange.office_id == office.id)
        .options(joinedload(MandateChange.changed_by))
        .order_by(MandateChange.changed_at.desc(), MandateChange.id.desc())
        .limit(20)
    ).all()
    case_type_codes = {ct.id: ct for ct in case_types}
    return render_template(
        "mandates/index.html",
        office=office,
        offices=db.session.scalars(sa.select(Office).order_by(Office.code)).all(),
        rows=[(ct, levels.get(ct.id, DEFAULT_MANDATE)) for ct in case_types],
        changes=changes,
        case_types_by_id=case_type_codes,
        is_manager=g.user.has_role(*MANAGER_ROLES),
        can_change=g.user.has_role(*MANAGER_ROLES) and manages_office(g.user, office.id),
        form=MandateForm(formdata=None),
        levels=LEVELS,
    )


@bp.post("/<office_code>/<case_type_code>")
@roles_required(*MANAGER_ROLES)
def change(office_code: str, case_type_code: str):
    """Change one mandate, with a reason."""
    office = _office(office_code)
    case_type = _case_type(case_type_code)
    form = MandateForm()
    if not form.validate():
        messages = "; ".join(e for errors in form.errors.values() for e in errors)
        flash(f"{case_type.name}: {messages}", "error")
        return redirect(url_for("mandates.index", office=office.code), 303)
    change = set_mandate(office, case_type, form.max_level.data, form.reason.data.strip(), g.user)
    if change is None:
        flash(f"{case_type.name}: mandatet var redan nivå {form.max_level.data}.")
    else:
        flash(f"{case_type.name}: mandatet är nu nivå {change.new_level}.")
    return redirect(url_for("mandates.index", office=office.code), 303)
