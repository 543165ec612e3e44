"""Case types, offices and mandates over the API."""

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.orm import joinedload, undefer_group

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.catalog.schemas import (
    CaseTypeList,
    CaseTypeOut,
    MandateChanged,
    MandateInput,
    MandateList,
    MandateOut,
    MandatesQuery,
    OfficeList,
    OfficeOut,
)
from frontdesk.extensions import db
from frontdesk.mandates.operations import mandate_levels, set_mandate
from frontdesk.models import CaseType, Office, Organisation
from frontdesk.roles import MANAGER_ROLES
from rosa import DEFAULT_MANDATE


@bp.get("/case-types")
@operation(tag="catalogue", who="everyone", out=CaseTypeList, ok_description="Every case type.")
def list_case_types():
    """The catalogue of case types"""
    case_types = db.session.scalars(
        sa.select(CaseType)
        .options(
            joinedload(CaseType.organisation).selectinload(Organisation.queues),
            joinedload(CaseType.queue),
            undefer_group("guidance"),
            undefer_group("delegation"),
        )
        .order_by(CaseType.code)
    ).all()
    return CaseTypeList(case_types=[CaseTypeOut.of(ct) for ct in case_types])


@bp.get("/offices")
@operation(tag="catalogue", who="everyone", out=OfficeList, ok_description="Every office.")
def list_offices():
    """The offices"""
    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    return OfficeList(offices=[OfficeOut.of(o) for o in offices])


def _office(code: str) -> Office | None:
    return db.session.scalar(sa.select(Office).where(Office.code == code))


@bp.get("/mandates")
@operation(
    tag="catalogue",
    who="everyone",
    query=MandatesQuery,
    out=MandateList,
    ok_description="The mandates.",
    errors=(422,),
    refused="Ogiltigt filter.",
)
def list_mandates():
    """Every active case type's mandate at one office, or at all"""
    code = request.context.query.office
    if code is not None:
        office = _office(code)
        if office is None:
            raise ApiError(422, "Okänt kontor.", {"office": "Okänt kontor."})
        offices = [office]
    else:
        offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    case_types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.code)
    ).all()
    mandates = []
    for office in offices:
        levels = mandate_levels(office)
        mandates += [
            MandateOut(
                office=office.code,
                case_type=case_type.code,
                max_level=levels.get(case_type.id, DEFAULT_MANDATE),
                agreed=case_type.id in levels,
            )
            for case_type in case_types
        ]
    return MandateList(mandates=mandates)


@bp.put("/mandates/<office_code>/<case_type_code>")
@operation(
    tag="catalogue",
    roles=MANAGER_ROLES,
    body=MandateInput,
    out=MandateChanged,
    ok_description="The mandate now.",
    errors=(403, 404, 422),
    refused="Mandatet kunde inte ändras.",
    example={"max_level": 4, "reason": "Utbildning klar."},
    path={
        "office_code": {
            "description": "Office code.",
            "schema": {"type": "string", "minLength": 1},
            "example": "K1",
        },
        "case_type_code": {
            "description": "Case type code.",
            "schema": {"type": "string", "minLength": 1},
            "example": "PARK",
        },
    },
)
def put_mandate(office_code: str, case_type_code: str):
    """Set a mandate, with the reason kept in its history"""
    office = _office(office_code)
    if office is None:
        raise ApiError(404, "Okänt kontor.")
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type_code))
    if case_type is None:
        raise ApiError(404, "Okänd ärendetyp.")
    body: MandateInput = request.context.json
    change = set_mandate(office, case_type, body.max_level, body.reason, g.user)
    return MandateChanged(
        office=office.code,
        case_type=case_type.code,
        max_level=body.max_level,
        changed=change is not None,
    )
