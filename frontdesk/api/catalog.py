"""Case types, offices and mandates over the API."""

import sqlalchemy as sa
from flask import g, jsonify, request
from sqlalchemy.orm import joinedload

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError
from frontdesk.api.payload import json_object
from frontdesk.extensions import db
from frontdesk.mandates.operations import mandate_levels, set_mandate
from frontdesk.models import CaseType, Office, Organisation
from rosa import DEFAULT_MANDATE


def _case_type_json(case_type: CaseType) -> dict:
    queue = case_type.referral_queue()
    return {
        "code": case_type.code,
        "name": case_type.name,
        "organisation": case_type.organisation.code,
        "category": case_type.category,
        "sla_hours": case_type.sla_hours,
        "queue": queue.code if queue else None,
        "guidance": case_type.guidance,
        "active": case_type.active,
    }


@bp.get("/case-types")
def list_case_types():
    """The catalogue of case types."""
    case_types = db.session.scalars(
        sa.select(CaseType)
        .options(
            joinedload(CaseType.organisation).selectinload(Organisation.queues),
            joinedload(CaseType.queue),
        )
        .order_by(CaseType.code)
    ).all()
    return jsonify(case_types=[_case_type_json(ct) for ct in case_types])


@bp.get("/offices")
def list_offices():
    """The offices."""
    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    return jsonify(offices=[{"code": o.code, "name": o.name} for o in offices])


def _office(code: str, field: str | None = None) -> Office:
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        if field:
            raise ApiError(422, "Okänt kontor.", {field: "Okänt kontor."})
        raise ApiError(404, "Okänt kontor.")
    return office


@bp.get("/mandates")
def list_mandates():
    """Every active case type's mandate at one office (or at all offices)."""
    code = request.args.get("office")
    if code is not None:
        offices = [_office(code, "office")]
    else:
        offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    case_types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.code)
    ).all()
    result = []
    for office in offices:
        levels = mandate_levels(office)
        for case_type in case_types:
            result.append(
                {
                    "office": office.code,
                    "case_type": case_type.code,
                    "max_level": levels.get(case_type.id, DEFAULT_MANDATE),
                    "agreed": case_type.id in levels,
                }
            )
    return jsonify(mandates=result)


@bp.put("/mandates/<office_code>/<case_type_code>")
def put_mandate(office_code: str, case_type_code: str):
    """Set a mandate (chef and admin only), with the reason kept in its history."""
    require_role("chef", "admin")
    office = _office(office_code)
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type_code))
    if case_type is None:
        raise ApiError(404, "Okänd ärendetyp.")
    payload = json_object(allowed={"max_level", "reason"})
    fields = {}
    max_level = payload.get("max_level")
    if isinstance(max_level, bool) or not isinstance(max_level, int):
        fields["max_level"] = "Ange nivån som ett heltal 1–8."
    elif not 1 <= max_level <= 8:
        fields["max_level"] = "Nivån ska vara 1–8."
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        fields["reason"] = "Skriv varför mandatet ändras."
    elif len(reason) > 500:
        fields["reason"] = "Högst 500 tecken."
    if fields:
        raise ApiError(422, "Mandatet kunde inte ändras.", fields)
    change = set_mandate(office, case_type, max_level, reason.strip(), g.user)
    return jsonify(
        office=office.code,
        case_type=case_type.code,
        max_level=max_level,
        changed=change is not None,
    )
