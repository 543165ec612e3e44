"""The OpenAPI document at /api/v1/openapi.json: complete, valid, and true.

The document is generated from the operations' pydantic models (frontdesk/api/spec.py).
Complete: every route of the `api` blueprint is described with its path and method,
and every described operation exists. Valid: openapi-spec-validator accepts it.
True: Schemathesis sends generated requests to every operation of the small test
municipality (SQLite) and checks each answer's status code, content type, headers
and body against the document; a scripted walk through every operation's
successful answers (which random input rarely reaches) is checked the same way.

Faults the generated requests once found are kept as plain tests at the end.
"""

import io
import json
import re
import shutil
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from frontdesk import create_app
from frontdesk.api.spec import document as generate
from frontdesk.timeutil import local_today

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def document() -> dict:
    """The document as the app generates it from its operations' models."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        return generate()


# Flask's converters as OpenAPI path templates: <int:contact_id> -> {contact_id}.
CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_][a-z0-9_]*)>")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
]
# Who sends the generated requests (see _users): the back-office actions are the handlers',
# the managers' operations are sent again as a chef, the others as a guide.
HANDLER_OPERATIONS = {
    "claim_referral",
    "release_referral",
    "park_referral",
    "forward_referral",
    "answer_referral",
}
MANAGER_OPERATIONS = {
    "put_mandate",
    "staircase",
    "recommendations",
    "recommendation_decision",
    "put_process_map",
    "get_process_map",
    "discover_map",
    "channel_parity",
}
# SQLite stores signed 64-bit integers; Flask's int converter takes any number of digits.
BEYOND_INT64 = 2**63


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    """SQLite only: this module checks the API's answers, not the database."""
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# --- Complete and valid ------------------------------------------------------


def _app_operations(app) -> dict[tuple[str, str], str]:
    """(method, path template) -> endpoint for every route of the api blueprint."""
    operations = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = CONVERTER.sub(r"{\1}", rule.rule).removeprefix("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations[(method.lower(), path)] = rule.endpoint.removeprefix("api.")
    return operations


def _documented_operations(doc: dict) -> dict[tuple[str, str], str]:
    return {
        (method, path): operation["operationId"]
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_path_templates_follow_flask_converters():
    assert CONVERTER.sub(r"{\1}", "/a/<int:contact_id>/b/<path:x>/<code>") == (
        "/a/{contact_id}/b/{x}/{code}"
    )


def test_every_route_is_documented_and_every_operation_exists(app):
    in_app = _app_operations(app)
    documented = _documented_operations(document())
    assert sorted(set(in_app) - set(documented)) == [], "routes missing from the OpenAPI document"
    assert sorted(set(documented) - set(in_app)) == [], "documented operations the app lacks"
    # operationId is the Flask endpoint, so a description cannot drift to another route.
    assert {key: in_app[key] for key in documented} == documented


def test_document_is_valid_openapi():
    validate(document())


def test_document_is_served(client, world):
    response = client.get(
        "/api/v1/openapi.json", headers={"Authorization": f"Bearer {world.tokens['anna']}"}
    )
    assert response.status_code == 200
    assert response.get_json() == document()


def test_document_is_printed_by_the_command(app):
    result = app.test_cli_runner().invoke(args=["api", "openapi"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == document()


def test_document_is_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- True: generated requests ------------------------------------------------


def _schema(phases: list[str], modes: list[str], max_examples: int):
    schema = schemathesis.openapi.from_dict(document())
    schema.config.phases.update(phases=phases)
    schema.config.generation.update(
        modes=modes, max_examples=max_examples, deterministic=True, database="none"
    )
    schema.config.checks.update(included_check_names=CHECKS)
    return schema


# Every operation: the documented examples, boundary values, valid and invalid input.
schema = _schema(["examples", "coverage", "fuzzing"], ["positive", "negative"], 10)


@pytest.fixture
def seeded(client, world):
    """Something for the generated requests to find: contacts, referrals, messages, a map."""

    def call(method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {world.tokens[user]}"}
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        assert response.status_code < 300, response.get_json()
        return response.get_json()

    contact = {"office": "K1", "channel": "telefon", "case_type": "PARK"}
    call("POST", "/contacts", "anna", json={**contact, "rosa_level": 5})  # referral 1
    call("POST", "/contacts", "anna", json={**contact, "rosa_level": 4})  # referral 2
    call("POST", "/contacts", "johan", json={**contact, "office": "K2", "rosa_level": 2})
    call("POST", "/referrals/2/claim", "erik")
    call("POST", "/referrals/2/answer", "erik", json={"answer": "Beviljas.", "callback": True})
    call("POST", "/inbox", "anna", json={"channel": "webb", "body": "När töms soporna?"})
    call("POST", "/inbox", "johan", json={"channel": "epost", "body": "Hej", "sender": "a@b.se"})
    steps = [{"id": "a", "name": "Ta emot", "level": 1}, {"id": "b", "name": "Besluta"}]
    flows = [{"from": "a", "to": "b"}]
    call("PUT", "/process-maps/PARK", "admin", json={"steps": steps, "flows": flows})
    return world


def _operation_id(case) -> str:
    return case.operation.definition.raw["operationId"]


def _users(case) -> tuple[str, str]:
    """Who sends the case: admin (a handler for the back-office actions), then a guide
    (a chef for the managers' operations), whose office and role rules differ."""
    operation = _operation_id(case)
    first = "erik" if operation in HANDLER_OPERATIONS else "admin"
    return first, "karin" if operation in MANAGER_OPERATIONS else "anna"


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_api_answers_as_documented(case, app, seeded):
    for user in _users(case):
        token = seeded.tokens[user]
        case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"})


# --- True: every operation's successful and refused answers, scripted ----------

BPMN = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
    b'<process id="P"><startEvent id="S"/><task id="T" name="Ta emot"/><endEvent id="E"/>'
    b'<sequenceFlow id="F1" sourceRef="S" targetRef="T"/>'
    b'<sequenceFlow id="F2" sourceRef="T" targetRef="E"/></process></definitions>'
)
CSV_LOG = (
    "case,activity,timestamp,resource\n"
    "1,Ta emot,2026-01-05T09:00:00,Anna\n"
    "1,Besluta,2026-01-05T10:00:00,Erik\n"
    "2,Ta emot,2026-01-06T09:00:00,Omar\n"
)


def test_walkthrough_answers_as_documented(app, world):
    """Each documented answer that random input rarely reaches, checked against the document."""
    walk = _schema(["examples"], ["positive"], 1)

    def call(expected, method, path, user="admin", headers=None, **case):
        operation = walk[path][method]
        if "body" in case:
            case.setdefault("media_type", "application/json")
        headers = dict(headers or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {world.tokens[user]}"
        response = operation.Case(headers=headers, **case).call_and_validate(app=app)
        assert response.status_code == expected, response.text
        content_type = response.headers.get("content-type", [""])[0]
        return response.json() if content_type == "application/json" else None

    call(401, "GET", "/case-types", user=None)
    call(200, "GET", "/case-types")
    call(200, "GET", "/offices")
    call(200, "GET", "/mandates", query={"office": "K1"})
    call(422, "GET", "/mandates", query={"office": "K9"})
    mandate = {"max_level": 3, "reason": "Oförändrat."}
    call(
        403,
        "PUT",
        "/mandates/{office_code}/{case_type_code}",
        "anna",
        body=mandate,
        path_parameters={"office_code": "K1", "case_type_code": "PARK"},
    )
    call(
        200,
        "PUT",
        "/mandates/{office_code}/{case_type_code}",
        "karin",
        body=mandate,
        path_parameters={"office_code": "K1", "case_type_code": "PARK"},
    )

    contact = {"office": "K1", "channel": "besök", "case_type": "PARK", "rosa_level": 5}
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    created = call(201, "POST", "/contacts", "anna", body=contact)
    assert created["referral"] == {"id": 1, "queue": "TEK-GATA"}
    call(201, "POST", "/contacts", "anna", body={**contact, "rosa_level": 4, "note": "Ring"})
    call(
        201,
        "POST",
        "/contacts",
        "anna",
        body={
            **contact,
            "rosa_level": 1,
            "outcome": "kopplat",
            "repeat": True,
            "duration_seconds": 90,
            "occurred_at": f"{yesterday}T09:30:00",
        },
    )
    call(403, "POST", "/contacts", "anna", body={**contact, "office": "K2"})
    call(422, "POST", "/contacts", "anna", body={**contact, "colour": "blå"})
    call(400, "POST", "/contacts", "anna", body="[]")
    call(200, "GET", "/contacts/{contact_id}", "erik", path_parameters={"contact_id": 1})
    call(404, "GET", "/contacts/{contact_id}", "johan", path_parameters={"contact_id": 1})

    ref = {"referral_id": 1}
    call(200, "GET", "/referrals", "erik", query={"per_page": 1, "sort": "due"})
    call(400, "GET", "/referrals", "erik", query={"status": "okänd"})
    call(200, "GET", "/referrals/{referral_id}", "erik", path_parameters=ref)
    call(403, "POST", "/referrals/{referral_id}/claim", "anna", path_parameters=ref)
    call(200, "POST", "/referrals/{referral_id}/claim", "erik", path_parameters=ref)
    call(409, "POST", "/referrals/{referral_id}/claim", "erik", path_parameters=ref)
    call(
        412,
        "POST",
        "/referrals/{referral_id}/release",
        "erik",
        path_parameters=ref,
        headers={"If-Match": '"1"'},
    )
    call(
        400,
        "POST",
        "/referrals/{referral_id}/release",
        "erik",
        path_parameters=ref,
        headers={"If-Match": "version två"},
    )
    until = (local_today() + timedelta(days=14)).isoformat()
    call(
        200,
        "POST",
        "/referrals/{referral_id}/park",
        "erik",
        path_parameters=ref,
        body={"until": until, "reason": "Väntar på intyg."},
    )
    call(200, "POST", "/referrals/{referral_id}/release", "erik", path_parameters=ref)
    call(200, "POST", "/referrals/{referral_id}/claim", "erik", path_parameters=ref)
    call(
        200,
        "POST",
        "/referrals/{referral_id}/forward",
        "erik",
        path_parameters=ref,
        body={"queue": "SOC", "reason": "Gäller ekonomiskt bistånd."},
    )
    call(404, "GET", "/referrals/{referral_id}", "erik", path_parameters=ref)
    ref = {"referral_id": 2}
    call(200, "POST", "/referrals/{referral_id}/claim", "erik", path_parameters=ref)
    call(
        422,
        "POST",
        "/referrals/{referral_id}/answer",
        "erik",
        path_parameters=ref,
        body={"answer": "Ja"},
    )
    call(
        200,
        "POST",
        "/referrals/{referral_id}/answer",
        "erik",
        path_parameters=ref,
        body={"answer": "Beviljas.", "callback": True},
    )
    call(200, "POST", "/referrals/{referral_id}/callback-done", "anna", path_parameters=ref)
    call(409, "POST", "/referrals/{referral_id}/callback-done", "anna", path_parameters=ref)
    call(200, "GET", "/referrals/{referral_id}/events", "anna", path_parameters=ref)

    call(403, "GET", "/rosa/staircase", "anna")
    call(200, "GET", "/rosa/staircase", "karin", query={"office": "K1", "case_type": "PARK"})
    call(422, "GET", "/rosa/staircase", "karin", query={"from": "2026-02-01", "to": "2026-01-01"})
    proposals = call(200, "GET", "/rosa/recommendations", "karin", query={"office": "K1"})
    assert [p["id"] for p in proposals] == ["K1:PARK:3:4"]
    decision = "/rosa/recommendations/{proposal_id}/decision"
    verdict = {"decision": "approve", "note": "Utbildade."}
    call(
        409, "POST", decision, "karin", path_parameters={"proposal_id": "K1:PARK:3:5"}, body=verdict
    )
    call(
        201, "POST", decision, "karin", path_parameters={"proposal_id": "K1:PARK:3:4"}, body=verdict
    )
    call(
        409, "POST", decision, "karin", path_parameters={"proposal_id": "K1:PARK:3:4"}, body=verdict
    )
    call(404, "POST", decision, "karin", path_parameters={"proposal_id": "nej"}, body=verdict)

    park = {"code": "PARK"}
    call(404, "GET", "/process-maps/{code}", path_parameters=park)
    steps = [
        {"id": "a", "name": "Ta emot", "level": 1, "actor": "front", "minutes": 5},
        {"id": "b", "kind": "end", "count": 3, "share": 0.5, "lane": "Disken"},
    ]
    call(
        201,
        "PUT",
        "/process-maps/{code}",
        path_parameters=park,
        body={"name": "Parkering", "steps": steps, "flows": [{"from": "a", "to": "b"}]},
    )
    call(
        201,
        "PUT",
        "/process-maps/{code}",
        path_parameters=park,
        body=BPMN,
        media_type="application/xml",
    )
    call(415, "PUT", "/process-maps/{code}", path_parameters=park, body="x", media_type="text/csv")
    call(422, "PUT", "/process-maps/{code}", path_parameters=park, body={"steps": []})
    call(200, "GET", "/process-maps/{code}", path_parameters=park, query={"version": 1})
    call(
        200,
        "GET",
        "/process-maps/{code}",
        path_parameters=park,
        headers={"Accept": "application/xml"},
    )
    call(422, "GET", "/process-maps/{code}", path_parameters=park, query={"version": 0})
    call(200, "POST", "/rosa/discover", body=CSV_LOG, media_type="text/csv")
    call(
        200,
        "POST",
        "/rosa/discover",
        body={"file": CSV_LOG.encode()},
        media_type="multipart/form-data",
    )
    call(422, "POST", "/rosa/discover", body="<nej", media_type="application/xml")

    message = {"channel": "chatt", "body": "Hej!", "subject": "Fråga", "reply_to": "a@b.se"}
    created = call(201, "POST", "/inbox", "anna", body=message)
    call(403, "POST", "/inbox", "anna", body={**message, "office": "K2"})
    call(422, "POST", "/inbox", "admin", body=message)  # admin has no office of their own
    call(200, "GET", "/inbox", "anna")
    call(403, "GET", "/inbox", "erik")
    msg = {"message_id": created["id"]}
    call(200, "GET", "/inbox/{message_id}", "anna", path_parameters=msg)
    call(404, "GET", "/inbox/{message_id}", "johan", path_parameters=msg)
    triage = {"case_type": "PARK", "rosa_level": 6}
    call(201, "POST", "/inbox/{message_id}/triage", "anna", path_parameters=msg, body=triage)
    call(409, "POST", "/inbox/{message_id}/triage", "anna", path_parameters=msg, body=triage)
    call(200, "GET", "/inbox", "anna", query={"status": "triaged"})

    user = {"username": "sara.ek", "role": "chef", "offices": ["K2", "K1"], "email": "s@b.se"}
    call(201, "POST", "/users", body=user)
    call(409, "POST", "/users", body={**user, "username": "Sara.Ek"})
    call(422, "POST", "/users", body={**user, "offices": ["K9"]})
    call(403, "POST", "/users", "karin", body=user)
    call(200, "GET", "/users", query={"q": "sara", "role": "chef", "active": "true"})
    call(422, "GET", "/users", query={"active": "ja"})
    sara = {"username": "sara.ek"}
    call(200, "GET", "/users/{username}", path_parameters=sara)
    call(200, "PATCH", "/users/{username}", path_parameters=sara, body={"active": False})
    call(422, "PATCH", "/users/{username}", path_parameters=sara, body={"role": "handlaggare"})
    call(404, "PATCH", "/users/{username}", path_parameters={"username": "ingen"}, body={})
    call(
        403,
        "PUT",
        "/mandates/{office_code}/{case_type_code}",
        "karin",
        body=mandate,
        path_parameters={"office_code": "K2", "case_type_code": "PARK"},
    )

    call(200, "GET", "/channels/parity", "karin")
    call(200, "GET", "/channels/parity", "karin", query={"from": yesterday, "to": yesterday})
    call(200, "GET", "/openapi.json")


# --- Faults found by the generated requests, kept fixed -------------------------------


@pytest.mark.parametrize(
    ("method", "path", "user"),
    [
        ("GET", "/contacts/{}", "admin"),
        ("GET", "/referrals/{}", "admin"),
        ("GET", "/referrals/{}/events", "admin"),
        ("POST", "/referrals/{}/claim", "erik"),
        ("GET", "/inbox/{}", "admin"),
    ],
)
def test_ids_beyond_64_bits_are_404(client, world, method, path, user):
    headers = {"Authorization": f"Bearer {world.tokens[user]}"}
    response = client.open(f"/api/v1{path.format(BEYOND_INT64)}", method=method, headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31"]
)
def test_channel_parity_at_the_ends_of_the_calendar(client, world, query):
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    response = client.get(f"/api/v1/channels/parity?{query}", headers=headers)
    assert response.status_code in (200, 422)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [("POST", "/contacts", 400), ("PUT", "/process-maps/PARK", 400)],
)
def test_deeply_nested_json_is_refused(client, world, method, path, expected):
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    body = "[" * 100_000 + "]" * 100_000
    response = client.open(
        f"/api/v1{path}",
        method=method,
        headers=headers,
        data=io.BytesIO(body.encode()),
        content_type="application/json",
    )
    assert response.status_code == expected
