"""Process maps over the API: store (BPMN or JSON), read (JSON or BPMN), discover from logs."""

import io

import sqlalchemy as sa
from flask import Response, g, request
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.payload import parse_json
from frontdesk.api.spec import field_errors, operation, schema_ref
from frontdesk.counter.schemas import iso
from frontdesk.extensions import db
from frontdesk.models import CaseType
from frontdesk.processes.operations import MapVersionConflict, store_map
from frontdesk.processes.queries import graph_of, latest_map, map_version
from frontdesk.processes.schemas import (
    DiscoveryOut,
    MapQuery,
    ProcessMapInput,
    ProcessMapOut,
    ProcessQuery,
)
from frontdesk.roles import MANAGER_ROLES
from rosa.bpmn import import_bpmn, write_bpmn
from rosa.discovery import discover
from rosa.processmap import ProcessMapError, from_dict, to_dict

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")
XML_CONTENT = {media: {"schema": {"type": "string"}} for media in XML_TYPES}
MAP_EXAMPLE = {
    "steps": [
        {"id": "a", "name": "Ta emot", "level": 1, "actor": "front"},
        {"id": "b", "name": "Besluta", "level": 6, "actor": "back"},
    ],
    "flows": [{"from": "a", "to": "b"}],
}
CODE_PATH = {
    "code": {
        "description": "Case type code.",
        "schema": {"type": "string", "minLength": 1},
        "example": "PARK",
    }
}


def _case_type(code: str) -> CaseType:
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
    if case_type is None:
        raise ApiError(404, "Okänd ärendetyp.")
    return case_type


def map_out(process_map, graph, warnings: list[str] | None = None) -> ProcessMapOut:
    return ProcessMapOut.model_validate(
        {
            "case_type": process_map.case_type.code,
            "version": process_map.version,
            "source": process_map.source,
            "created_at": iso(process_map.created_at),
            **to_dict(graph),
            "warnings": warnings or [],
        }
    )


def _body() -> bytes:
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge as error:
        raise ApiError(413, "Filen är för stor.") from error


def _json_map():
    """The JSON form, checked against its schema, then built (and checked again) by rosa."""
    payload = parse_json()
    if payload is None:
        raise ApiError(400, "Ogiltig JSON i begäran.")
    try:
        ProcessMapInput.model_validate(payload)
    except ValidationError as error:
        raise ApiError(422, "Kartan kunde inte läsas.", field_errors(error)) from error
    return from_dict(payload)


@bp.put("/process-maps/<code>")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    query=ProcessQuery,
    out=ProcessMapOut,
    ok=201,
    ok_description="The stored map.",
    errors=(403, 404, 409, 415, 422),
    content={
        "application/json": {"schema": schema_ref(ProcessMapInput), "example": MAP_EXAMPLE},
        **XML_CONTENT,
    },
    path=CODE_PATH,
)
def put_process_map(code: str):
    """Store a new version of the case type's process map

    BPMN 2.0 XML, or the JSON form. A BPMN file is read as tolerantly as bpmn.io reads
    it: what cannot be used is skipped and listed in `warnings`. 422 names the field or
    the fault when nothing can be read (XML that is not well-formed: its line and column);
    409 when someone stored a version at the same moment.
    """
    user = g.user
    case_type = _case_type(code)
    mimetype = request.mimetype
    warnings: list[str] = []
    try:
        if mimetype in XML_TYPES:
            imported = import_bpmn(_body(), request.context.query.process)
            graph, warnings = imported.graph, imported.warnings
            source = "bpmn"
        elif mimetype == "application/json":
            graph = _json_map()
            source = "json"
        else:
            raise ApiError(415, "Skicka BPMN (application/xml) eller JSON (application/json).")
    except ProcessMapError as error:
        raise ApiError(422, "Kartan kunde inte läsas.", {error.place: error.message}) from error
    try:
        process_map = store_map(case_type, graph, source, user, f"API ({source})")
    except MapVersionConflict as error:
        raise ApiError(409, "Någon sparade kartan samtidigt. Försök igen.") from error
    return map_out(process_map, graph, warnings), 201


@bp.get("/process-maps/<code>")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    query=MapQuery,
    out=ProcessMapOut,
    ok_description="The map.",
    out_content={"application/xml": {"schema": {"type": "string"}}},
    errors=(403, 404, 422),
    refused="Ogiltig version.",
    path=CODE_PATH,
)
def get_process_map(code: str):
    """The newest map, or one version; as JSON, or BPMN with Accept: application/xml"""
    case_type = _case_type(code)
    version = request.context.query.version
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
    return map_out(process_map, graph)


@bp.post("/rosa/discover")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    out=DiscoveryOut,
    ok_description="The discovered map, with counts.",
    errors=(403, 422),
    content={
        "text/csv": {
            "schema": {"type": "string"},
            "example": "case,activity,timestamp\n"
            "1,Ta emot,2026-01-05T09:00:00\n"
            "1,Besluta,2026-01-05T10:00:00\n",
        },
        **XML_CONTENT,
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"}
                },
                "required": ["file"],
                "additionalProperties": False,
            }
        },
    },
)
def discover_map():
    """The directly-follows map of a CSV or XES event log (not stored)

    A CSV (text/csv) or XES (application/xml) log, or a multipart `file` (the format
    follows its name or its content).
    """
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
    return DiscoveryOut.model_validate(
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
