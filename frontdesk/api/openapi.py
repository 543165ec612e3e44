"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

The document is built here, in code, from the same constants the API validates with
(statuses, channels, limits), so a renamed status or a new limit changes both.
tests/test_openapi.py keeps it true: every route of the `api` blueprint must be
described here and every described operation must exist, and Schemathesis sends
generated requests to each operation and checks the answers against this document.
"""

from copy import deepcopy
from functools import cache

from flask import jsonify

from frontdesk.api import bp
from frontdesk.api.referrals import MAX_INT_ARG
from frontdesk.backoffice.queries import MAX_PER_PAGE
from frontdesk.models.contact import (
    MAX_DURATION_SECONDS,
    NOTE_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    ReachBy,
)
from frontdesk.models.inbox import (
    BODY_MAX,
    INBOX_CHANNELS,
    INBOX_STATUSES,
    REPLY_MAX,
    SENDER_MAX,
    SUBJECT_MAX,
)
from frontdesk.models.process import DECISIONS, MAP_SOURCES
from frontdesk.models.referral import ANSWER_MAX_LENGTH, REFERRAL_STATUSES
from kanaler import CHANNEL_CODES
from kanaler.citizen import EMAIL_MAX, PHONE_MAX
from kanaler.citizen import NAME_MAX as CITIZEN_NAME_MAX
from rosa.levels import MAX_LEVEL, MIN_LEVEL
from rosa.processmap import ACTORS, ID_MAX, MAX_STEPS, NAME_MAX, NUMBER_MAX, STEP_KINDS
from rosa.routing import OUTCOMES

OPENAPI_VERSION = "3.1.0"
BPMN_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")
PROPOSAL_STATUSES = ("ny", "godkand", "avslagen")
REASON_MAX = 500
DECISION_NOTE_MAX = 1000
MAP_VERSION_MAX = 1_000_000
# Ids in paths: the tables' INTEGER keys (32 bits on PostgreSQL).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


# --- Small builders ----------------------------------------------------------


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    """The schema or null (JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _string(**extra) -> dict:
    return {"type": "string", **extra}


def _integer(**extra) -> dict:
    return {"type": "integer", **extra}


def _number(**extra) -> dict:
    return {"type": "number", **extra}


def _object(properties: dict, required=None, *, closed: bool = True, **extra) -> dict:
    """An object; `required` defaults to every property (the API's answers carry them all)."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else list(required),
    }
    if closed:
        schema["additionalProperties"] = False
    return {**schema, **extra}


def _array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def _json(schema: dict, example=None) -> dict:
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _ok(description: str, schema: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": _json(schema)}
    if headers:
        response["headers"] = headers
    return response


def _errors(*codes: int) -> dict:
    return {
        str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"} for code in codes
    }


def _query(name: str, schema: dict, description: str, *, required=False, example=None) -> dict:
    parameter = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }
    if example is not None:
        parameter["example"] = example
    return parameter


def _path(name: str, schema: dict, description: str, example) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "example": example,
    }


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _body(schema: dict, example, description: str = "") -> dict:
    body = {"required": True, "content": _json(schema, example)}
    if description:
        body["description"] = description
    return body


def _operation(
    endpoint: str,
    tag: str,
    summary: str,
    roles: str,
    responses: dict,
    *,
    parameters: list | None = None,
    body: dict | None = None,
    description: str = "",
) -> dict:
    """An operation; its operationId is the Flask endpoint (without "api.")."""
    text = f"Who: {roles}."
    if description:
        text = f"{description}\n\n{text}"
    operation = {
        "operationId": endpoint,
        "tags": [tag],
        "summary": summary,
        "description": text,
        # Any request may carry a NUL byte in a query or path value, which is refused with 400.
        "responses": {**_errors(400), **responses, **_errors(401)},
    }
    if body is not None:  # a body over the limit is refused before it is read
        operation["responses"] = {**operation["responses"], **_errors(413)}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
    return operation


# --- Errors ------------------------------------------------------------------

ERROR_RESPONSES = {
    400: (
        "BadRequest",
        "Malformed JSON, a body that is not a JSON object, a bad query or header value, "
        "or a NUL byte in a query, path or form value (`fields` names where).",
    ),
    401: ("Unauthorized", "No bearer token, or an unknown or revoked one."),
    403: ("Forbidden", "The caller's role may not do this."),
    404: ("NotFound", "Unknown, or not visible to the caller."),
    409: ("Conflict", "A domain rule refused the change."),
    412: (
        "PreconditionFailed",
        "If-Match names an older version: someone changed the referral since "
        "(`fields.version` is the current one).",
    ),
    413: (
        "PayloadTooLarge",
        "The body is larger than the operation takes: 2 MB, or 32 MB for BPMN files and "
        "event logs.",
    ),
    415: ("UnsupportedMediaType", "The body's Content-Type is not one this operation reads."),
    422: (
        "Unprocessable",
        "A field is wrong, missing or unknown, or holds text no database can store (a NUL "
        "byte, a lone surrogate); `fields` names each one.",
    ),
}

ERROR = _object(
    {
        "error": _string(description="What went wrong, in Swedish."),
        "fields": {
            "type": "object",
            "additionalProperties": _string(),
            "description": "The field (or element, or header) at fault and its message.",
        },
    },
    closed=False,
    description='Every error: {"error": "...", "fields": {"name": "message"}}.',
)


def _error_responses() -> dict:
    responses = {}
    for name, description in ERROR_RESPONSES.values():
        responses[name] = {"description": description, "content": _json(_ref("Error"))}
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {
            "description": "Always `Bearer`.",
            "required": True,
            "schema": _string(),
        }
    }
    return responses


# --- Schemas -----------------------------------------------------------------

LEVEL = _integer(minimum=MIN_LEVEL, maximum=MAX_LEVEL, description="ROSA level 1–8.")
TIMESTAMP = _string(format="date-time", description="ISO 8601 with the local UTC offset.")
CODE = _string(description="A catalogue code.")
CHANNEL = _string(enum=list(CHANNEL_CODES))
ETAG = {
    "ETag": {
        "description": 'The referral\'s version, quoted: `"3"`. Send it back as If-Match.',
        "required": True,
        "schema": _string(),
    }
}
LOCATION = {
    "Location": {
        "description": "Where the new resource can be read.",
        "required": True,
        "schema": _string(),
    }
}

STEP_PROPERTIES = {
    "id": _string(minLength=1, maxLength=ID_MAX),
    "name": _string(maxLength=NAME_MAX),
    "level": _nullable(LEVEL),
    "actor": {"enum": [*ACTORS, None], "description": "front: the front desk; back: back office."},
    "minutes": _nullable(_number(minimum=0, maximum=100_000)),
    "share": _nullable(_number(minimum=0, maximum=1)),
    "kind": _string(enum=list(STEP_KINDS)),
    "lane": _string(maxLength=NAME_MAX),
    "count": _nullable(_integer(minimum=0, maximum=NUMBER_MAX)),
}
FLOW_PROPERTIES = {
    "from": _string(description="A step id."),
    "to": _string(description="A step id."),
    "share": _nullable(_number(minimum=0, maximum=1)),
    "count": _nullable(_integer(minimum=0, maximum=NUMBER_MAX)),
    "name": _string(maxLength=NAME_MAX),
}
MAP_PROPERTIES = {
    "name": _string(),
    "steps": _array(_ref("Step")),
    "flows": _array(_ref("Flow")),
}

REACH_BY_CODES = [r.value for r in ReachBy]
CONTACT_INPUT_EXAMPLE = {
    "office": "K1",
    "channel": "telefon",
    "case_type": "PARK",
    "rosa_level": 5,
    "citizen": {"name": "Eva Svensson", "phone": "070-123 45 67", "reach_by": "telefon"},
    "question": "Kan jag få parkeringstillstånd nära jobbet?",
}
# A blank text counts as not given; the limits apply after surrounding blanks are dropped.
CITIZEN_INPUT = _object(
    {
        "name": _nullable(_string(maxLength=CITIZEN_NAME_MAX)),
        "phone": _nullable(
            _string(
                maxLength=PHONE_MAX,
                description=(
                    "A Swedish number (070-123 45 67) or an international one (+47 …, 0047 …); "
                    "422 `citizen.phone` when it is no valid number. Stored in E.164."
                ),
            )
        ),
        "email": _nullable(
            _string(
                maxLength=EMAIL_MAX,
                description="An e-mail address; 422 `citizen.email` when it is not one.",
            )
        ),
        "reach_by": {
            "enum": [*REACH_BY_CODES, None],
            "description": (
                "How the citizen wants to be reached: `telefon` needs `phone`, `epost` needs "
                "`email` (else 422 `citizen.reach_by`). Default: a call when a phone is given, "
                "else e-mail when an address is."
            ),
        },
    },
    required=[],
    description=(
        "Who to reach about the matter; every field optional, blanks count as not given. "
        "A wrong field is 422 naming `citizen.name`, `citizen.phone`, … (an unknown one "
        "`citizen.<key>`)."
    ),
)
CITIZEN = _object(
    {
        "name": _nullable(_string()),
        "phone": _nullable(
            _string(pattern=r"^\+[1-9][0-9]{1,14}$", description="E.164: +46701234567.")
        ),
        "phone_display": _nullable(
            _string(description="The number as people write it: 070-123 45 67 (+47 … abroad).")
        ),
        "email": _nullable(_string()),
        "reach_by": {"enum": [*REACH_BY_CODES, None]},
    },
    description="Who to reach; each value null when it was not given (or has been purged).",
)


def _schemas() -> dict:
    referral_summary = _object({"id": _integer(), "queue": CODE})
    return {
        "Error": ERROR,
        "CaseType": _object(
            {
                "code": CODE,
                "name": _string(),
                "organisation": CODE,
                "category": _string(),
                "sla_hours": _integer(),
                "queue": _nullable(_string(description="The referral queue, if any.")),
                "guidance": _string(),
                "active": {"type": "boolean"},
            }
        ),
        "Office": _object({"code": CODE, "name": _string()}),
        "Mandate": _object(
            {
                "office": CODE,
                "case_type": CODE,
                "max_level": LEVEL,
                "agreed": {
                    "type": "boolean",
                    "description": "false: no agreement, the default mandate applies.",
                },
            }
        ),
        "MandateInput": _object(
            {
                "max_level": LEVEL,
                "reason": _string(minLength=1, maxLength=REASON_MAX, pattern=r"\S"),
            }
        ),
        "MandateChange": _object(
            {
                "office": CODE,
                "case_type": CODE,
                "max_level": LEVEL,
                "changed": {"type": "boolean", "description": "false: it already was that."},
            }
        ),
        "ContactInput": _object(
            {
                "office": _string(description="Office code (any letter case)."),
                "channel": _string(
                    description=(
                        f"One of {', '.join(CHANNEL_CODES)}, their Swedish labels, or "
                        "`besök`, `e-post`, `mejl`, `e-mail`."
                    ),
                    examples=list(CHANNEL_CODES),
                ),
                "case_type": _string(description="Case type code, name, or `CODE – name`."),
                "rosa_level": LEVEL,
                "note": _nullable(_string(maxLength=NOTE_MAX_LENGTH)),
                "duration_seconds": _nullable(_integer(minimum=0, maximum=MAX_DURATION_SECONDS)),
                "occurred_at": _nullable(
                    _string(
                        format="date-time",
                        description=(
                            "ISO 8601, not in the future, not before 2000; local time "
                            "(Europe/Stockholm) when it has no offset. Default: now."
                        ),
                    )
                ),
                "outcome": {
                    "enum": ["kopplat", None],
                    "description": "`kopplat` when the contact was put through live.",
                },
                "repeat": _nullable({"type": "boolean"}),
                "citizen": _nullable(_ref("CitizenInput")),
                "question": _nullable(
                    _string(
                        maxLength=QUESTION_MAX_LENGTH,
                        description="The citizen's question to the handler (422 `question`).",
                    )
                ),
            },
            required=["office", "channel", "case_type", "rosa_level"],
        ),
        "ContactCreated": _object(
            {
                "id": _integer(),
                "outcome": _string(enum=list(OUTCOMES)),
                "referral": _nullable(referral_summary),
            }
        ),
        "Contact": _object(
            {
                "id": _integer(),
                "office": CODE,
                "occurred_at": TIMESTAMP,
                "channel": CHANNEL,
                "case_type": CODE,
                "rosa_level": LEVEL,
                "outcome": _string(enum=list(OUTCOMES)),
                "duration_seconds": _nullable(_integer()),
                "note": _string(),
                "repeat": {"type": "boolean"},
                "repeat_of": _nullable(
                    _integer(description="The earlier contact of the same citizen, if known.")
                ),
                "citizen": _nullable(_ref("Citizen")),
                "question": _nullable(_string()),
                "staff": _nullable(_string(description="The user who logged it.")),
                "referral": _nullable(
                    _object(
                        {
                            "id": _integer(),
                            "queue": CODE,
                            "status": _string(enum=list(REFERRAL_STATUSES)),
                            "due_at": TIMESTAMP,
                        }
                    )
                ),
            }
        ),
        "Referral": _object(
            {
                "id": _integer(),
                "status": _string(enum=list(REFERRAL_STATUSES)),
                "queue": CODE,
                "original_queue": _nullable(_string(description="Set once it was forwarded.")),
                "contact_id": _integer(),
                "office": CODE,
                "channel": CHANNEL,
                "case_type": CODE,
                "rosa_level": LEVEL,
                "note": _string(),
                "created_at": TIMESTAMP,
                "due_at": TIMESTAMP,
                "overdue": {"type": "boolean"},
                "claimed_by": _nullable(_string()),
                "parked_until": _nullable(_string(format="date")),
                "park_reason": _nullable(_string()),
                "answer": _nullable(_string()),
                "callback": {"type": "boolean"},
                "answered_at": _nullable(TIMESTAMP),
                "closed_at": _nullable(TIMESTAMP),
                "version": _integer(minimum=1, description="Also the ETag."),
                "citizen": _nullable(_ref("Citizen")),
                "question": _nullable(_string()),
                "repeat": {"type": "boolean"},
                "repeat_of": _nullable(
                    _integer(description="The earlier contact of the same citizen, if known.")
                ),
                "message": _nullable(_ref("SourceMessage")),
            }
        ),
        "SourceMessage": _object(
            {
                "id": _integer(),
                "channel": _string(enum=list(INBOX_CHANNELS)),
                "sender": _string(),
                "subject": _string(),
                "body": _string(),
                "received_at": TIMESTAMP,
                "attachments": _array(
                    _object(
                        {
                            "name": _string(),
                            "size": _nullable(_integer(minimum=0)),
                            "url": _string(
                                description=(
                                    "GET it for the file: "
                                    "/api/v1/referrals/{referral_id}/attachments/{index}."
                                )
                            ),
                        }
                    )
                ),
            },
            description="The inbox message the referral came from.",
        ),
        "CitizenInput": CITIZEN_INPUT,
        "Citizen": CITIZEN,
        "ReferralPage": _object(
            {
                "referrals": _array(_ref("Referral")),
                "page": _integer(minimum=1),
                "per_page": _integer(minimum=1, maximum=MAX_PER_PAGE),
                "total": _integer(minimum=0),
                "next": _nullable(_string(description="The next page's URL, if there is one.")),
            }
        ),
        "ReferralEvent": _object(
            {
                "at": TIMESTAMP,
                "action": _string(),
                "user": _nullable(_string()),
                "old_status": _nullable(_string()),
                "new_status": _nullable(_string()),
                "note": _nullable(_string()),
            }
        ),
        "ReferralConflict": {
            "allOf": [
                _ref("Error"),
                _object(
                    {
                        "status": _string(enum=list(REFERRAL_STATUSES)),
                        "claimed_by": _nullable(_string()),
                    },
                    closed=False,
                ),
            ],
            "description": "The referral as it is now.",
        },
        "ParkInput": _object(
            {
                "until": _string(
                    format="date",
                    description="A date after today, at most a year ahead (YYYY-MM-DD).",
                ),
                "reason": _string(minLength=1, maxLength=REASON_MAX, pattern=r"\S"),
            }
        ),
        "ForwardInput": _object(
            {
                "queue": _string(description="Another organisation's queue code."),
                "reason": _string(minLength=1, maxLength=REASON_MAX, pattern=r"\S"),
            }
        ),
        "AnswerInput": _object(
            {
                "answer": _string(minLength=1, maxLength=ANSWER_MAX_LENGTH, pattern=r"\S"),
                "callback": {
                    "type": ["boolean", "null"],
                    "description": (
                        "true: the front desk calls the citizen back (status aterford); "
                        "false: the referral is closed. Required unless `send_email` is true."
                    ),
                },
                "send_email": {
                    "type": ["boolean", "null"],
                    "description": (
                        "true: the answer is mailed to the citizen's address (or the source "
                        "message's sender) and the referral is closed; 422 `send_email` when "
                        "there is no address, or when `callback` is true as well."
                    ),
                },
            },
            required=["answer"],
            anyOf=[
                {
                    "required": ["callback"],
                    "properties": {
                        "callback": {"type": "boolean"},
                        "send_email": {"enum": [False, None]},
                    },
                },
                {
                    "required": ["send_email"],
                    "properties": {
                        "send_email": {"const": True},
                        "callback": {"enum": [False, None]},
                    },
                },
            ],
        ),
        "Staircase": _object(
            {
                "total": _integer(minimum=0),
                "levels": _array(
                    _object(
                        {
                            "level": LEVEL,
                            "name": _string(),
                            "count": _integer(minimum=0),
                            "share": _number(minimum=0, maximum=1),
                            "cumulative_share": _number(minimum=0, maximum=1),
                        }
                    ),
                    minItems=MAX_LEVEL,
                    maxItems=MAX_LEVEL,
                ),
            }
        ),
        "Proposal": _object(
            {
                "id": _string(description="`OFFICE:CASE_TYPE:CURRENT:TARGET`."),
                "office": CODE,
                "case_type": CODE,
                "current_mandate": LEVEL,
                "target_mandate": LEVEL,
                "referrals_avoided_per_month": _number(),
                "share_still_referred": _number(minimum=0, maximum=1),
                "hours_moved_per_month": _nullable(_number()),
                "hours_basis": {"enum": ["karta", "loggad tid", None]},
                "handoffs_before": _nullable(_integer()),
                "handoffs_after": _nullable(_integer()),
                "poor_candidate": {"type": "boolean"},
                "contacts": _integer(minimum=0),
                "warnings": _array(_string()),
                "status": _string(enum=list(PROPOSAL_STATUSES)),
            }
        ),
        "DecisionInput": _object(
            {
                "decision": _string(enum=list(DECISIONS)),
                "note": _string(minLength=1, maxLength=DECISION_NOTE_MAX, pattern=r"\S"),
            }
        ),
        "Decision": _object(
            {
                "id": _integer(),
                "proposal": _string(),
                "decision": _string(enum=list(DECISIONS)),
                "note": _string(),
                "office": CODE,
                "case_type": CODE,
                "current_mandate": LEVEL,
                "target_mandate": LEVEL,
                "decided_by": _nullable(_string()),
                "decided_at": TIMESTAMP,
            }
        ),
        "ProposalConflict": {
            "allOf": [
                _ref("Error"),
                _object(
                    {
                        "current_id": _nullable(
                            _string(description="Stale: the proposal that replaces it, if any.")
                        ),
                        "decision": _ref("Decision"),
                    },
                    required=[],
                    closed=False,
                ),
            ],
            "description": "Already decided (`decision`) or stale (`current_id`).",
        },
        "Step": _object(STEP_PROPERTIES),
        "Flow": _object(FLOW_PROPERTIES),
        "StepInput": _object(
            {
                **STEP_PROPERTIES,
                "name": _nullable(STEP_PROPERTIES["name"]),
                "lane": _nullable(STEP_PROPERTIES["lane"]),
            },
            required=["id"],
            description="`name` defaults to the id; `kind` to task.",
        ),
        "FlowInput": _object(
            {**FLOW_PROPERTIES, "name": _nullable(FLOW_PROPERTIES["name"])},
            required=["from", "to"],
        ),
        "ProcessMapInput": _object(
            {
                "name": _nullable(_string(maxLength=NAME_MAX)),
                "steps": _array(_ref("StepInput"), minItems=1, maxItems=MAX_STEPS),
                "flows": _array(_ref("FlowInput")),
            },
            required=["steps"],
            closed=False,
            description="Other top-level fields are ignored.",
        ),
        "ProcessMap": _object(
            {
                "case_type": CODE,
                "version": _integer(minimum=1),
                "source": _string(enum=list(MAP_SOURCES)),
                "created_at": TIMESTAMP,
                **MAP_PROPERTIES,
            }
        ),
        "Discovery": _object(
            {
                "cases": _integer(minimum=0),
                "events": _integer(minimum=0),
                "activities": _integer(minimum=0),
                "skipped": _integer(minimum=0, description="Rows or events not used."),
                "skipped_lines": _array(
                    _object({"line": _integer(), "reason": _string()}),
                    description="The first 100 skipped, by line.",
                ),
                "warnings": _array(_string()),
                "resources": {
                    "type": "object",
                    "additionalProperties": _array(_string()),
                    "description": "Step id → its most frequent resources.",
                },
                "median_minutes": {
                    "type": "object",
                    "additionalProperties": _nullable(_number()),
                    "description": "Step id → median minutes.",
                },
                **MAP_PROPERTIES,
            }
        ),
        "InboxMessageInput": _object(
            {
                "channel": _string(enum=list(INBOX_CHANNELS)),
                "body": _string(minLength=1, maxLength=BODY_MAX, pattern=r"\S"),
                "sender": _nullable(_string(maxLength=SENDER_MAX)),
                "reply_to": _nullable(
                    _string(maxLength=SENDER_MAX, description="Where to send the answer.")
                ),
                "subject": _nullable(_string(maxLength=SUBJECT_MAX)),
                "received_at": _nullable(
                    _string(
                        format="date-time",
                        description=(
                            "ISO 8601, not in the future, not before 2000; local time when it "
                            "has no offset. Default: now."
                        ),
                    )
                ),
                "office": _nullable(
                    _string(description="Office code; default the caller's office.")
                ),
            },
            required=["channel", "body"],
        ),
        "InboxMessageCreated": _object(
            {"id": _integer(), "receipt": _string(description="Quoted to the citizen.")}
        ),
        "InboxMessage": _object(
            {
                "id": _integer(),
                "receipt": _string(),
                "channel": _string(enum=list(INBOX_CHANNELS)),
                "office": CODE,
                "status": _string(enum=list(INBOX_STATUSES)),
                "received_at": TIMESTAMP,
                "sender": _string(),
                "reply_to": _nullable(_string()),
                "subject": _string(),
                "body": _string(),
                "attachments": _array(
                    _object(
                        {
                            "filename": _string(),
                            "content_type": _string(),
                            "size": _integer(minimum=0),
                        },
                        closed=False,
                    )
                ),
                "malformed": {
                    "type": "boolean",
                    "description": "The message could not be read cleanly (kept as received).",
                },
                "contact_id": _nullable(_integer(description="The contact it became.")),
            }
        ),
        "TriageInput": _object(
            {
                "case_type": _string(description="Case type code, name, or `CODE – name`."),
                "rosa_level": LEVEL,
                "office": _nullable(_string(description="Office code; default the message's.")),
            },
            required=["case_type", "rosa_level"],
        ),
        "ReplyInput": _object(
            {
                "case_type": _string(description="Case type code, name, or `CODE – name`."),
                "rosa_level": LEVEL,
                "office": _nullable(_string(description="Office code; default the message's.")),
                "reply": _string(
                    minLength=1,
                    maxLength=REPLY_MAX,
                    pattern=r"\S",
                    description="Mailed to the message's reply address or sender.",
                ),
            },
            required=["case_type", "rosa_level", "reply"],
        ),
        "InboxConflict": {
            "allOf": [
                _ref("Error"),
                _object({"status": _string(enum=list(INBOX_STATUSES))}, required=[], closed=False),
            ],
            "description": "Already handled (`status` is the message's), or routing refused.",
        },
        "ChannelParity": _object(
            {
                "from": _string(format="date"),
                "to": _string(format="date"),
                "channels": _array(
                    _object(
                        {
                            "channel": CHANNEL,
                            "contacts": _integer(minimum=0),
                            "first_contact_share": _nullable(_number(minimum=0, maximum=1)),
                            "referral_rate": _nullable(_number(minimum=0, maximum=1)),
                            "median_minutes_to_answer": _nullable(_number(minimum=0)),
                        }
                    )
                ),
                "flags": _array(
                    _object(
                        {
                            "case_type": CODE,
                            "rosa_level": LEVEL,
                            "channel": CHANNEL,
                            "contacts": _integer(minimum=0),
                            "referral_rate": _number(minimum=0, maximum=1),
                            "others_rate": _number(minimum=0, maximum=1),
                            "p_value": _number(minimum=0, maximum=1),
                            "message": _string(),
                        }
                    ),
                    description="Channels that refer noticeably more than the others.",
                ),
                "service_levels": _object(
                    {
                        "emails": _integer(minimum=0),
                        "emails_within_one_working_day_share": _nullable(
                            _number(minimum=0, maximum=1)
                        ),
                        "calls": _integer(minimum=0),
                        "calls_answered_share": _nullable(_number(minimum=0, maximum=1)),
                        "median_wait_seconds": _nullable(_number(minimum=0)),
                    }
                ),
            }
        ),
        "StatsSummary": _object(
            {
                "from": _string(format="date"),
                "to": _string(format="date"),
                "contacts": _integer(minimum=0),
                "answered_at_desk_share": _nullable(_number(minimum=0, maximum=1)),
                "repeat_share": _nullable(_number(minimum=0, maximum=1)),
                "referrals": _integer(minimum=0, description="Created in the period."),
                "overdue": _integer(minimum=0, description="Of those, overdue now."),
                "awaiting_callback": _integer(minimum=0),
                "median_hours_to_answer": _nullable(_number(minimum=0)),
                "p90_hours_to_answer": _nullable(_number(minimum=0)),
                "by_channel": {
                    "type": "object",
                    "additionalProperties": _integer(minimum=0),
                    "description": "Contacts per channel code (channels with none left out).",
                },
                "by_level": {
                    "type": "object",
                    "additionalProperties": _integer(minimum=0),
                    "description": 'Contacts per ROSA level ("1" to "8"; none left out).',
                },
            }
        ),
    }


def _parameters() -> dict:
    return {
        "ContactId": _path("contact_id", ID_SCHEMA, "The contact's id.", 1),
        "ReferralId": _path("referral_id", ID_SCHEMA, "The referral's id.", 1),
        "MessageId": _path("message_id", ID_SCHEMA, "The inbox message's id.", 1),
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": (
                'The ETag read before (`"3"`, `W/"3"` or `*`); 412 when the referral changed since.'
            ),
            "schema": _string(),
            "example": '"1"',
        },
        "From": _query(
            "from",
            _string(format="date"),
            "First day (included). Default: a period back.",
            example="2026-01-01",
        ),
        "To": _query(
            "to",
            _string(format="date"),
            "Last day (included), at most ten years after `from`.",
            example="2026-12-31",
        ),
    }


# --- Paths -------------------------------------------------------------------

MANAGERS = "chef, admin"
OVERVIEW_FILTERS = [
    _param("From"),
    _param("To"),
    _query("office", _string(), "Office code.", example="K1"),
    _query("organisation", _string(), "Owner of the case types (code).", example="TEK"),
    _query("case_type", _string(), "Case type code.", example="PARK"),
    _query("channel", CHANNEL, "Channel code.", example="telefon"),
]
CSV = "text/csv"
EXPORT_OPERATIONS = (
    ("contacts.csv", CSV, "The filtered contacts as CSV (the import-contacts format)"),
    (
        "contacts.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "The filtered contacts as an Excel workbook",
    ),
    ("referrals.csv", CSV, "Referrals created in the period, of the filtered contacts, as CSV"),
    ("eventlog.xes", "application/xml", "Event log (IEEE 1849 XES), one trace per contact"),
    ("eventlog.csv", CSV, "Event log as CSV with the XES keys as columns"),
)
HANDLERS = "handläggare of the referral's organisation"
GUIDES = "vägledare (own office), chef, admin"


def _referral_action(
    endpoint: str, summary: str, body: dict | None, roles=HANDLERS, description: str = ""
) -> dict:
    errors = (400, 403, 404, 412) + ((422,) if body is not None else ())
    return {
        "post": _operation(
            endpoint,
            "referrals",
            summary,
            roles,
            {
                "200": _ok("The referral after the change.", _ref("Referral"), ETAG),
                "409": {
                    "description": "The change does not fit the referral's state.",
                    "headers": ETAG,
                    "content": _json(_ref("ReferralConflict")),
                },
                **_errors(*errors),
            },
            parameters=[_param("ReferralId"), _param("IfMatch")],
            body=body,
            description=description,
        )
    }


def _paths() -> dict:
    office_code = _path("office_code", _string(minLength=1), "Office code.", "K1")
    case_type_code = _path("case_type_code", _string(minLength=1), "Case type code.", "PARK")
    map_code = _path("code", _string(minLength=1), "Case type code.", "PARK")
    return {
        "/openapi.json": {
            "get": {
                "operationId": "openapi_document",
                "tags": ["meta"],
                "summary": "This document",
                "description": "Who: anyone.",
                "security": [],
                "responses": {"200": _ok("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/case-types": {
            "get": _operation(
                "list_case_types",
                "catalogue",
                "The catalogue of case types",
                "everyone",
                {"200": _ok("Every case type.", _object({"case_types": _array(_ref("CaseType"))}))},
            )
        },
        "/offices": {
            "get": _operation(
                "list_offices",
                "catalogue",
                "The offices",
                "everyone",
                {"200": _ok("Every office.", _object({"offices": _array(_ref("Office"))}))},
            )
        },
        "/mandates": {
            "get": _operation(
                "list_mandates",
                "catalogue",
                "Every active case type's mandate at one office, or at all",
                "everyone",
                {
                    "200": _ok("The mandates.", _object({"mandates": _array(_ref("Mandate"))})),
                    **_errors(400, 422),
                },
                parameters=[
                    _query("office", _string(), "Office code; default all offices.", example="K1")
                ],
            )
        },
        "/mandates/{office_code}/{case_type_code}": {
            "put": _operation(
                "put_mandate",
                "catalogue",
                "Set a mandate, with the reason kept in its history",
                MANAGERS,
                {
                    "200": _ok("The mandate now.", _ref("MandateChange")),
                    **_errors(400, 403, 404, 422),
                },
                parameters=[office_code, case_type_code],
                body=_body(_ref("MandateInput"), {"max_level": 4, "reason": "Utbildning klar."}),
            )
        },
        "/contacts": {
            "post": _operation(
                "create_contact",
                "contacts",
                "Log a contact",
                GUIDES,
                {
                    "201": _ok(
                        "Logged; `referral` when it went to a back-office queue.",
                        _ref("ContactCreated"),
                        LOCATION,
                    ),
                    **_errors(400, 403, 409, 422),
                },
                body=_body(_ref("ContactInput"), CONTACT_INPUT_EXAMPLE),
                description=(
                    "The same form and routing as the counter page: above the office's mandate "
                    "the contact is referred to the case type's queue. 409 when it cannot be "
                    "routed (the case type has no queue). `citizen` and `question` go with the "
                    "referral to the handler; a wrong value is 422 naming `citizen.phone`, "
                    "`citizen.email`, `citizen.name`, `citizen.reach_by` or `question`, and "
                    "nothing is written."
                ),
            )
        },
        "/contacts/{contact_id}": {
            "get": _operation(
                "get_contact",
                "contacts",
                "One contact, with its referral",
                "the office's vägledare, chef, admin, handläggare of the organisation "
                "it was referred to",
                {"200": _ok("The contact.", _ref("Contact")), **_errors(404)},
                parameters=[_param("ContactId")],
            )
        },
        "/referrals": {
            "get": _operation(
                "list_referrals",
                "referrals",
                "The referrals the caller may see, filtered and paged",
                "everyone (a handläggare sees their organisation's, a vägledare their office's)",
                {"200": _ok("One page.", _ref("ReferralPage")), **_errors(400)},
                parameters=[
                    _query("queue", _string(), "Queue code.", example="TEK-GATA"),
                    _query(
                        "status",
                        _string(enum=[*REFERRAL_STATUSES, "alla"], default="alla"),
                        "One status, or `alla`.",
                    ),
                    _query(
                        "sort",
                        _string(enum=["new", "due"], default="new"),
                        "`new`: newest first; `due`: earliest due first.",
                    ),
                    _query(
                        "page", _integer(minimum=1, maximum=MAX_INT_ARG, default=1), "Page number."
                    ),
                    _query(
                        "per_page",
                        _integer(minimum=1, maximum=MAX_INT_ARG, default=50),
                        f"Page size; at most {MAX_PER_PAGE} are answered.",
                    ),
                ],
            )
        },
        "/referrals/{referral_id}": {
            "get": _operation(
                "get_referral",
                "referrals",
                "One referral, with its version as the ETag",
                "as for the list",
                {"200": _ok("The referral.", _ref("Referral"), ETAG), **_errors(404)},
                parameters=[_param("ReferralId")],
            )
        },
        "/referrals/{referral_id}/attachments/{index}": {
            "get": _operation(
                "referral_attachment",
                "referrals",
                "An attachment of the e-mail the referral came from, as a download",
                "as for the list",
                {
                    "200": {
                        "description": "The file as it came with the e-mail.",
                        "headers": {
                            "Content-Disposition": {
                                "description": "`attachment` with the file's name.",
                                "required": True,
                                "schema": _string(),
                            }
                        },
                        "content": {
                            "application/octet-stream": {
                                "schema": _string(contentMediaType="application/octet-stream")
                            }
                        },
                    },
                    **_errors(404),
                },
                parameters=[
                    _param("ReferralId"),
                    _path(
                        "index",
                        _integer(minimum=0),
                        "The attachment's place in `message.attachments`, from 0.",
                        0,
                    ),
                ],
                description=(
                    "404 when the caller may not see the referral, it came from no e-mail, or "
                    "the file was not kept."
                ),
            )
        },
        "/referrals/{referral_id}/events": {
            "get": _operation(
                "referral_events",
                "referrals",
                "The referral's history",
                "as for the list",
                {
                    "200": _ok(
                        "Who did what, when, from which status to which.",
                        _object({"events": _array(_ref("ReferralEvent"))}),
                    ),
                    **_errors(404),
                },
                parameters=[_param("ReferralId")],
            )
        },
        "/referrals/{referral_id}/claim": _referral_action(
            "claim_referral", "Claim a new referral", None
        ),
        "/referrals/{referral_id}/release": _referral_action(
            "release_referral", "Put a claimed referral back in the queue", None
        ),
        "/referrals/{referral_id}/park": _referral_action(
            "park_referral",
            "Park a referral until a date",
            _body(_ref("ParkInput"), {"until": "2099-01-01", "reason": "Väntar på intyg."}),
        ),
        "/referrals/{referral_id}/forward": _referral_action(
            "forward_referral",
            "Forward a referral to another organisation's queue",
            _body(_ref("ForwardInput"), {"queue": "TEK-GATA", "reason": "Fel förvaltning."}),
        ),
        "/referrals/{referral_id}/answer": _referral_action(
            "answer_referral",
            "Answer a referral you hold",
            _body(_ref("AnswerInput"), {"answer": "Beviljas.", "callback": True}),
            description=(
                "`callback: true` sends the answer to the front desk, which calls the citizen "
                "back (status aterford); `callback: false` closes the referral; "
                "`send_email: true` (with `callback` left out or false) queues the answer by "
                "e-mail to the contact's citizen address, or the source message's sender, and "
                "closes the referral. 422 `send_email` when the matter has no address, or when "
                "both are true; 422 `callback` when neither is given."
            ),
        ),
        "/referrals/{referral_id}/callback-done": _referral_action(
            "callback_done_referral",
            "Close a referral the front desk has called back on (status aterford)",
            None,
            roles="vägledare of the office, chef, admin",
        ),
        "/rosa/staircase": {
            "get": _operation(
                "staircase",
                "rosa",
                "Count, share and cumulative share per ROSA level",
                MANAGERS,
                {"200": _ok("Levels 1–8.", _ref("Staircase")), **_errors(400, 403, 422)},
                parameters=[
                    _query("office", _string(), "Office code.", example="K1"),
                    _query("case_type", _string(), "Case type code.", example="PARK"),
                    _param("From"),
                    _param("To"),
                ],
            )
        },
        "/rosa/recommendations": {
            "get": _operation(
                "recommendations",
                "rosa",
                "The office's ranked mandate proposals",
                MANAGERS,
                {
                    "200": _ok(
                        "Best first; decided ones carry their status.", _array(_ref("Proposal"))
                    ),
                    **_errors(400, 403, 422),
                },
                parameters=[
                    _query("office", _string(), "Office code.", required=True, example="K1")
                ],
                description="422 without a known office.",
            )
        },
        "/rosa/recommendations/{proposal_id}/decision": {
            "post": _operation(
                "recommendation_decision",
                "rosa",
                "Approve (the mandate changes at once) or reject a proposal",
                MANAGERS,
                {
                    "201": _ok("The decision.", _ref("Decision")),
                    "409": {
                        "description": "Already decided, or stale.",
                        "content": _json(_ref("ProposalConflict")),
                    },
                    **_errors(400, 403, 404, 422),
                },
                parameters=[
                    _path(
                        "proposal_id",
                        _string(minLength=1),
                        "A proposal's id from the list: `OFFICE:CASE_TYPE:CURRENT:TARGET`.",
                        "K1:PARK:3:4",
                    )
                ],
                body=_body(_ref("DecisionInput"), {"decision": "reject", "note": "Inte nu."}),
            )
        },
        "/process-maps/{code}": {
            "put": _operation(
                "put_process_map",
                "rosa",
                "Store a new version of the case type's process map",
                MANAGERS,
                {
                    "201": _ok("The stored map.", _ref("ProcessMap")),
                    **_errors(403, 404, 409, 413, 415, 422),
                },
                parameters=[
                    map_code,
                    _query("process", _string(), "BPMN only: the id of the process to read."),
                ],
                body={
                    "required": True,
                    "description": "BPMN 2.0 XML, or the JSON form.",
                    "content": {
                        **_json(
                            _ref("ProcessMapInput"),
                            {
                                "steps": [
                                    {"id": "a", "name": "Ta emot", "level": 1, "actor": "front"},
                                    {"id": "b", "name": "Besluta", "level": 6, "actor": "back"},
                                ],
                                "flows": [{"from": "a", "to": "b"}],
                            },
                        ),
                        **{media: {"schema": _string()} for media in BPMN_TYPES},
                    },
                },
                description=(
                    "422 names the field or BPMN element at fault; 409 when someone stored a "
                    "version at the same moment."
                ),
            ),
            "get": _operation(
                "get_process_map",
                "rosa",
                "The newest map, or one version; as JSON, or BPMN with Accept: application/xml",
                MANAGERS,
                {
                    "200": {
                        "description": "The map.",
                        "content": {
                            **_json(_ref("ProcessMap")),
                            "application/xml": {"schema": _string()},
                        },
                    },
                    **_errors(400, 403, 404, 422),
                },
                parameters=[
                    map_code,
                    _query(
                        "version",
                        _integer(minimum=1, maximum=MAP_VERSION_MAX),
                        "A stored version; default the newest.",
                    ),
                ],
            ),
        },
        "/rosa/discover": {
            "post": _operation(
                "discover_map",
                "rosa",
                "The directly-follows map of a CSV or XES event log (not stored)",
                MANAGERS,
                {
                    "200": _ok("The discovered map, with counts.", _ref("Discovery")),
                    **_errors(400, 403, 413, 422),
                },
                body={
                    "required": True,
                    "description": (
                        "A CSV (text/csv) or XES (application/xml) log, or a multipart `file` "
                        "(the format follows its name or its content)."
                    ),
                    "content": {
                        "text/csv": {
                            "schema": _string(),
                            "example": "case,activity,timestamp\n"
                            "1,Ta emot,2026-01-05T09:00:00\n"
                            "1,Besluta,2026-01-05T10:00:00\n",
                        },
                        **{media: {"schema": _string()} for media in BPMN_TYPES},
                        "multipart/form-data": {
                            "schema": _object(
                                {"file": _string(contentMediaType="application/octet-stream")}
                            )
                        },
                    },
                },
            )
        },
        "/inbox": {
            "post": _operation(
                "create_inbox_message",
                "inbox",
                "Hand over a message from an e-service platform or chat",
                GUIDES,
                {
                    "201": _ok(
                        "Received; waits for triage.", _ref("InboxMessageCreated"), LOCATION
                    ),
                    **_errors(400, 403, 422),
                },
                body=_body(
                    _ref("InboxMessageInput"),
                    {"channel": "webb", "body": "När töms soporna?", "office": "K1"},
                ),
            ),
            "get": _operation(
                "list_inbox",
                "inbox",
                "Messages by status, oldest first (at most 200)",
                GUIDES,
                {
                    "200": _ok(
                        "The messages.", _object({"messages": _array(_ref("InboxMessage"))})
                    ),
                    **_errors(400, 403, 422),
                },
                parameters=[
                    _query(
                        "status",
                        _string(enum=list(INBOX_STATUSES), default="new"),
                        "Default `new`.",
                    )
                ],
            ),
        },
        "/inbox/{message_id}": {
            "get": _operation(
                "get_inbox_message",
                "inbox",
                "One message",
                GUIDES,
                {"200": _ok("The message.", _ref("InboxMessage")), **_errors(403, 404)},
                parameters=[_param("MessageId")],
            )
        },
        "/inbox/{message_id}/triage": {
            "post": _operation(
                "triage_inbox_message",
                "inbox",
                "Triage a message: it becomes a contact, referred where the mandate says so",
                GUIDES,
                {
                    "201": _ok("As for POST /contacts.", _ref("ContactCreated"), LOCATION),
                    "409": {
                        "description": "Already handled, or the contact cannot be routed.",
                        "content": _json(_ref("InboxConflict")),
                    },
                    **_errors(400, 403, 404, 422),
                },
                parameters=[_param("MessageId")],
                body=_body(_ref("TriageInput"), {"case_type": "PARK", "rosa_level": 2}),
            )
        },
        "/inbox/{message_id}/reply": {
            "post": _operation(
                "reply_inbox_message",
                "inbox",
                "Answer a message directly: it becomes a contact answered at first contact",
                GUIDES,
                {
                    "201": _ok("As for POST /contacts.", _ref("ContactCreated"), LOCATION),
                    "409": {
                        "description": "Already handled, or the contact cannot be routed.",
                        "content": _json(_ref("InboxConflict")),
                    },
                    **_errors(400, 403, 404, 422),
                },
                parameters=[_param("MessageId")],
                body=_body(
                    _ref("ReplyInput"),
                    {"case_type": "PARK", "rosa_level": 1, "reply": "Ansök på kommunens webb."},
                ),
                description=(
                    "The reply is queued by e-mail to the message's reply address or sender. "
                    "422 `rosa_level` when the level is above the office's mandate (triage the "
                    "message instead), 422 `reply` when the message has no address to answer "
                    "(a letter) or the reply is missing; 409 when someone handled it first."
                ),
            )
        },
        "/channels/parity": {
            "get": _operation(
                "channel_parity",
                "channels",
                "Per channel: contacts, first-contact share, referral rate, time to answer",
                MANAGERS,
                {"200": _ok("The figures.", _ref("ChannelParity")), **_errors(400, 403, 422)},
                parameters=[_param("From"), _param("To")],
                description="The period defaults to the last three months.",
            )
        },
        "/stats/summary": {
            "get": _operation(
                "stats_summary",
                "overview",
                "Contacts, first-contact resolution, referrals and time to answer",
                MANAGERS,
                {"200": _ok("The figures.", _ref("StatsSummary")), **_errors(400, 403, 422)},
                parameters=OVERVIEW_FILTERS,
                description="The period defaults to the last three months.",
            )
        },
        **{
            f"/export/{name}": {
                "get": _operation(
                    f"export_{name.replace('.', '_')}",
                    "overview",
                    summary,
                    MANAGERS,
                    {
                        "200": {
                            "description": "The file, streamed.",
                            "content": {mimetype: {"schema": _string()}},
                        },
                        **_errors(400, 403, 422),
                    },
                    parameters=OVERVIEW_FILTERS,
                    description=(
                        "The contacts of the period and filters (referrals: those created in "
                        "the period); the event log has one trace per contact with its "
                        "referral's events."
                    ),
                )
            }
            for name, mimetype, summary in EXPORT_OPERATIONS
        },
    }


@cache
def _document() -> dict:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Medborgarkontoret API",
            "version": "1",
            "description": (
                "Contacts, ROSA routing, referrals, mandates, process maps and the inbox of "
                "the citizen offices. Every request carries `Authorization: Bearer TOKEN` "
                "(from `flask create-token`). Errors are "
                '`{"error": "…", "fields": {"field": "message"}}`; unknown body fields are '
                "refused by name (422)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": name}
            for name in (
                "catalogue",
                "contacts",
                "referrals",
                "rosa",
                "inbox",
                "channels",
                "overview",
                "meta",
            )
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `flask create-token USER`.",
                }
            },
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": _error_responses(),
        },
    }


def document() -> dict:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return deepcopy(_document())


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI description of this API."""
    return jsonify(_document())
