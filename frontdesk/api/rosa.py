"""ROSA over the API: the staircase, recommendations and decisions, process maps, discovery."""

import io

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError, form_errors
from frontdesk.api.payload import json_object, parse_json
from frontdesk.extensions import db
from frontdesk.guards import whole_number
from frontdesk.models import CaseType, Office
from frontdesk.processes.operations import MapVersionConflict, store_map
from frontdesk.processes.queries import graph_of, latest_map, map_version
from frontdesk.recommendations.filters import FilterError, read_filters
from frontdesk.recommendations.forms import ApiDecisionForm
from frontdesk.recommendations.operations import (
    ProposalDecided,
    ProposalNotFound,
    ProposalStale,
    decide,
)
from frontdesk.recommendations.queries import months_back, proposals_for, staircase_for
from frontdesk.timeutil import to_local
from rosa.bpmn import read_bpmn, write_bpmn
from rosa.discovery import discover
from rosa.processmap import ProcessMapError, from_dict, to_dict

MANAGER_ROLES = ("chef", "admin")
XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


def _filters():
    try:
        return read_filters(request.args, current_app.config["ROSA_PERIOD_MONTHS"])
    except FilterError as error:
        raise ApiError(422, "Ogiltigt filter.", error.fields) from error


@bp.get("/rosa/staircase")
def staircase():
    """Count, share and cumulative share per ROSA level."""
    require_role(*MANAGER_ROLES)
    filters = _filters()
    return jsonify(staircase_for(filters.period, filters.office, filters.case_type).as_dict())


def proposal_json(view) -> dict:
    p = view.proposal
    return {
        "id": p.key,
        "office": p.office,
        "case_type": p.case_type,
        "current_mandate": p.current_mandate,
        "target_mandate": p.target_mandate,
        "referrals_avoided_per_month": round(p.referrals_avoided_per_month, 2),
        "share_still_referred": round(p.share_still_referred, 4),
        "hours_moved_per_month": (
            None if p.hours_moved_per_month is None else round(p.hours_moved_per_month, 2)
        ),
        "hours_basis": p.hours_basis or None,
        "handoffs_before": p.handoffs_before,
        "handoffs_after": p.handoffs_after,
        "poor_candidate": p.poor_candidate,
        "contacts": p.contacts,
        "warnings": p.warnings,
        "status": view.status,
    }


@bp.get("/rosa/recommendations")
def recommendations():
    """The office's ranked proposals (those already decided carry their status)."""
    require_role(*MANAGER_ROLES)
    code = request.args.get("office")
    office = db.session.scalar(sa.select(Office).where(Office.code == code)) if code else None
    if office is None:
        raise ApiError(422, "Ogiltigt filter.", {"office": "Välj ett känt kontor."})
    # Proposals always read the configured period (ROSA_PERIOD_MONTHS), the same one a
    # decision is checked against, so an id from this list can be decided.
    views, _ = proposals_for(
        office,
        months_back(current_app.config["ROSA_PERIOD_MONTHS"]),
        current_app.config["ROSA_CEILING"],
    )
    return jsonify([proposal_json(v) for v in views])


def decision_json(row) -> dict:
    return {
        "id": row.id,
        "proposal": row.proposal_key,
        "decision": row.decision,
        "note": row.note,
        "office": row.office.code,
        "case_type": row.case_type.code,
        "current_mandate": row.current_mandate,
        "target_mandate": row.target_mandate,
        "decided_by": row.decided_by.username if row.decided_by else None,
        "decided_at": to_local(row.decided_at).isoformat(),
    }


@bp.post("/rosa/recommendations/<path:proposal_id>/decision")
def recommendation_decision(proposal_id: str):
    """Approve (the mandate changes at once) or reject a proposal, with a note."""
    user = require_role(*MANAGER_ROLES)
    payload = json_object({"decision", "note"})
    wrong_type = {k: "Ska vara en sträng." for k, v in payload.items() if not isinstance(v, str)}
    if wrong_type:
        raise ApiError(422, "Beslutet kunde inte tas emot.", wrong_type)
    # The page's form: the same checks and messages for both.
    form = ApiDecisionForm(formdata=MultiDict(payload))
    if not form.validate():
        raise ApiError(422, "Beslutet kunde inte tas emot.", form_errors(form))
    try:
        row = decide(
            proposal_id,
            form.decision.data,
            form.note.data,
            user,
            months_back(current_app.config["ROSA_PERIOD_MONTHS"]),
            current_app.config["ROSA_CEILING"],
        )
    except ProposalNotFound as error:
        raise ApiError(404, "Förslaget finns inte.") from error
    except ProposalStale as error:
        current = error.current.key if error.current else None
        response = jsonify(
            error="Förslaget gäller inte längre (mandatet eller underlaget har ändrats).",
            fields={},
            current_id=current,
        )
        return response, 409
    except ProposalDecided as error:
        response = jsonify(
            error="Förslaget är redan beslutat.", fields={}, decision=decision_json(error.decision)
        )
        return response, 409
    return jsonify(decision_json(row)), 201


def _case_type(code: str) -> CaseType:
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
    if case_type is None:
        raise ApiError(404, "Okänd ärendetyp.")
    return case_type


def map_json(process_map, graph) -> dict:
    return {
        "case_type": process_map.case_type.code,
        "version": process_map.version,
        "source": process_map.source,
        "created_at": to_local(process_map.created_at).isoformat(),
        **to_dict(graph),
    }


def _body() -> bytes:
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge as error:
        raise ApiError(413, "Filen är för stor.") from error


@bp.put("/process-maps/<code>")
def put_process_map(code: str):
    """Store a new version of the case type's map from BPMN (XML) or the JSON form."""
    user = require_role(*MANAGER_ROLES)
    case_type = _case_type(code)
    mimetype = request.mimetype
    try:
        if mimetype in XML_TYPES:
            graph = read_bpmn(_body(), request.args.get("process") or None)
            source = "bpmn"
        elif mimetype == "application/json":
            graph = from_dict(parse_json())
            source = "json"
        else:
            raise ApiError(415, "Skicka BPMN (application/xml) eller JSON (application/json).")
    except ProcessMapError as error:
        raise ApiError(422, "Kartan kunde inte läsas.", {error.place: error.message}) from error
    try:
        process_map = store_map(case_type, graph, source, user, f"API ({source})")
    except MapVersionConflict as error:
        raise ApiError(409, "Någon sparade kartan samtidigt. Försök igen.") from error
    return jsonify(map_json(process_map, graph)), 201


@bp.get("/process-maps/<code>")
def get_process_map(code: str):
    """The newest map (or ?version=N) as JSON, or as BPMN with Accept: application/xml."""
    require_role(*MANAGER_ROLES)
    case_type = _case_type(code)
    raw = request.args.get("version")
    version = whole_number(raw, 1, 1_000_000)
    if raw is not None and version is None:
        raise ApiError(422, "Ogiltig version.", {"version": "Ska vara ett positivt heltal."})
    process_map = map_version(case_type, version) if version else latest_map(case_type)
    if process_map is None:
        raise ApiError(404, "Ärendetypen har ingen karta.")
    graph = graph_of(process_map)
    best = request.accept_mimetypes.best_match(["application/json", *XML_TYPES])
    if (
        best in XML_TYPES
        and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]
    ):
        return Response(write_bpmn(graph, case_type.name), mimetype="application/xml")
    return jsonify(map_json(process_map, graph))


@bp.post("/rosa/discover")
def discover_map():
    """The directly-follows graph of a CSV or XES event log, with counts (not stored)."""
    require_role(*MANAGER_ROLES)
    upload = request.files.get("file")
    if upload is not None:
        stream, filename = upload.stream, upload.filename or ""
    else:
        stream, filename = io.BytesIO(_body()), ""
    mimetype = request.mimetype
    fmt = "xes" if mimetype in XML_TYPES else "csv" if mimetype == "text/csv" else None
    try:
        result = discover(stream, fmt=fmt, filename=filename)
    except ProcessMapError as error:
        raise ApiError(422, "Loggen kunde inte läsas.", {error.place: error.message}) from error
    return jsonify(
        {
            "cases": result.cases,
            "events": result.events,
            "activities": result.activities,
            "skipped": result.skipped_total,
            "skipped_lines": [{"line": line, "reason": why} for line, why in result.skipped],
            "warnings": result.warnings,
            "resources": result.resources,
            "median_minutes": result.median_minutes,
            **to_dict(result.graph),
        }
    )
