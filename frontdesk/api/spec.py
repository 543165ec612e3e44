"""One declaration per API resource: pydantic models validate, serialise and document.

Each operation is a view on the `api` blueprint decorated with `operation(...)`:

- `body=` and `query=` name the pydantic models that validate the request (pydantic's
  compiled core); the view reads the result from `request.context.json` /
  `request.context.query`.
- `out=` names the model the answer is; the view returns an instance, which pydantic
  serialises (`(instance, status, headers)` as any Flask view).
- The same models generate the OpenAPI 3.1 document (`document()`, served at
  /api/v1/openapi.json): spectree reads the Flask routes (paths, path parameters from
  the converters) and the models' JSON Schemas. What a model cannot say about an
  operation (who may call it, the refusals it can give, response headers, other media
  types) is said once, here, in the decorator.

spectree is used for the document only: at run time the decorator validates with the
models directly, which keeps one place that maps a refusal to its status (a body's 422,
a query's 400 or 422) and leaves the body's media type as it always was (JSON is read
whatever the Content-Type says). Measured, validation is not where the time goes either
way: 14 µs per contact through spectree's request validation, 3 µs through
`model_validate` (2026-12-04, /tmp micro-benchmark; a logged contact costs about 2 ms).

A refused request keeps the API's one error shape, `{"error": "...", "fields": {...}}`,
with each field named as the client wrote it (`citizen.phone`, `steps[0].name`) and a
Swedish message.
"""

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Any

from flask import current_app, request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError
from frontdesk.api.payload import json_object

PREFIX = "/api/v1"
# Ids in paths: the tables' INTEGER keys (32 bits on PostgreSQL).
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- Model bases -------------------------------------------------------------


def _stripped(value):
    # Python's strip, as the pages' forms strip (frontdesk.forms.strip_text): pydantic's
    # own strip keeps control characters such as \x1f that Python counts as blanks.
    return value.strip() if isinstance(value, str) else value


def text(max_length: int, *, required: bool = False, **field) -> type:
    """Text without its surrounding blanks, then at most `max_length` characters.

    `required`: blanks alone are no text (422), as a required form field.
    """
    # The strip is listed last yet runs first (pydantic applies `Before` validators
    # outermost); listed first, it would turn the constraints into generic ones whose
    # messages speak of list items.
    return Annotated[
        str,
        StringConstraints(
            min_length=1 if required else None,
            max_length=max_length,
            pattern=r"\S" if required else None,  # the document says so too
        ),
        Field(**field),
        BeforeValidator(_stripped),
    ]


class Body(BaseModel):
    """A JSON request body: unknown fields are refused by name; ints and booleans are strict."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, an empty value counts as not given."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


class PeriodQuery(Query):
    """A period of days, both included (read by the feature's own filter rules)."""

    from_: str | None = Field(
        None,
        alias="from",
        description="First day (included), YYYY-MM-DD. Default: a period back.",
        json_schema_extra={"format": "date", "example": "2026-01-01"},
    )
    to: str | None = Field(
        None,
        description="Last day (included), at most ten years after `from`.",
        json_schema_extra={"format": "date", "example": "2026-12-31"},
    )


class Out(BaseModel):
    """An answer's body. Built by the view from what the operation returned."""

    # `from_` is written `from`, as the client reads it.
    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)


class Error(BaseModel):
    """Every error: {"error": "...", "fields": {"name": "message"}}."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="What went wrong, in Swedish.")
    fields: dict[str, str] = Field(
        description="The field (or element, or header) at fault and its message."
    )


# --- Validation errors in Swedish ---------------------------------------------


def _place(loc: tuple) -> str:
    """("steps", 0, "name") -> "steps[0].name"; the body itself -> "body"."""
    place = ""
    for part in loc:
        if isinstance(part, int):
            place += f"[{part}]"
        else:
            place += f".{part}" if place else str(part)
    return place or "body"


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "missing":
        return "Saknas."
    if kind == "extra_forbidden":
        return "Okänt fält."
    if kind in ("string_type", "str_type"):
        return "Ska vara en sträng."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "Ska vara ett heltal."
    if kind in ("bool_type", "bool_parsing"):
        return "Ska vara true eller false."
    if kind in ("float_type", "float_parsing"):
        return "Ska vara ett tal."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "Ska vara ett objekt."
    if kind == "list_type":
        return "Ska vara en lista."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {
            "greater_than_equal": "minst",
            "less_than_equal": "högst",
            "greater_than": "större än",
            "less_than": "mindre än",
        }
        return f"Ska vara {words[kind]} {bound}."
    if kind == "string_too_long":
        return f"Högst {ctx.get('max_length')} tecken."
    if kind == "string_too_short":
        return "Får inte vara tomt."
    if kind == "string_pattern_mismatch":
        return "Får inte vara tomt."
    if kind == "too_long":
        return f"Högst {ctx.get('max_length')} poster."
    if kind == "too_short":
        return f"Minst {ctx.get('min_length')} poster."
    if kind in ("literal_error", "enum"):
        return f"Ska vara en av {ctx.get('expected', '')}."
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "Ange datum som ÅÅÅÅ-MM-DD."
    return "Ogiltigt värde."


def field_errors(error: ValidationError) -> dict[str, str]:
    """The first message per place, as the client named it (`citizen.phone`, `steps[0].id`)."""
    fields: dict[str, str] = {}
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        fields.setdefault(_place(loc), _message(item))
    return fields


def _is_union_tag(part) -> bool:
    # pydantic names the branch of `X | None` it tried (`str`, `int`, `function-after[...]`).
    return isinstance(part, str) and (part in {"str", "int", "bool", "float"} or "[" in part)


# --- Operations --------------------------------------------------------------

spec = SpecTree(
    "flask",
    mode="strict",
    title="Medborgarkontoret API",
    version="1",
    description=(
        "Contacts, ROSA routing, referrals, mandates, process maps and the inbox of "
        "the citizen offices. Every request carries `Authorization: Bearer TOKEN` "
        "(from `flask create-token`). Errors are "
        '`{"error": "…", "fields": {"field": "message"}}`; unknown body fields are '
        "refused by name (422)."
    ),
    naming_strategy=lambda model: getattr(model, "__name__", str(model)),
    nested_naming_strategy=lambda _parent, name: name,
    validation_error_status=422,
    validation_error_model=Error,
    security_schemes=[
        SecurityScheme(
            name="bearerAuth",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="An API token from `flask create-token USER`.",
            ),
        )
    ],
    security={"bearerAuth": []},
)

ERROR_RESPONSES = {
    400: (
        "BadRequest",
        "Malformed JSON, a body that is not a JSON object, a bad query or header value, "
        "or a NUL byte in a query, path or form value (`fields` names where).",
    ),
    401: ("Unauthorized", "No bearer token, or an unknown, revoked or expired one."),
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
LOCATION = {
    "Location": {
        "description": "Where the new resource can be read.",
        "required": True,
        "schema": {"type": "string"},
    }
}
ETAG = {
    "ETag": {
        "description": 'The referral\'s version, quoted: `"3"`. Send it back as If-Match.',
        "required": True,
        "schema": {"type": "string"},
    }
}


@dataclass
class Operation:
    """What the models do not say about an operation, for the document."""

    out: type | None
    who: str
    ok: int
    ok_description: str
    errors: tuple[int, ...]
    has_body: bool
    headers: dict = field(default_factory=dict)
    example: Any = None
    content: dict | None = None  # the request body's other media types
    out_content: dict | None = None  # the answer's other media types (or its only one)
    conflict: type[BaseModel] | None = None
    conflict_description: str = ""
    conflict_headers: dict = field(default_factory=dict)
    path: dict[str, dict] = field(default_factory=dict)
    parameters: list[dict] = field(default_factory=list)
    public: bool = False


OPERATIONS: dict[str, Operation] = {}
# Query models become parameters; they need no schema of their own in the document.
QUERY_MODELS: set[str] = set()
# Models only the document names (conflict answers), added to its components.
EXTRA_MODELS: list[type[BaseModel]] = []


def operation(
    *,
    tag: str,
    roles: tuple[str, ...] | None = None,
    who: str = "",
    out: type | None = None,
    ok: int = 200,
    ok_description: str = "",
    body: type[Body] | None = None,
    query: type[Query] | None = None,
    errors: tuple[int, ...] = (),
    refused: str = "Uppgifterna kunde inte tas emot.",
    invalid_query: int = 422,
    headers: dict | None = None,
    example: Any = None,
    content: dict | None = None,
    out_content: dict | None = None,
    conflict: type[BaseModel] | None = None,
    conflict_description: str = "",
    conflict_headers: dict | None = None,
    path: dict[str, dict] | None = None,
    parameters: list[dict] | None = None,
    public: bool = False,
) -> Callable:
    """Declare an operation: who may call it, its models, its refusals.

    `roles` are the roles that may call it (403 for the others, before anything is
    read); `who` says what narrows it further (an office, an organisation), or who may
    call an operation every role may.

    `refused` is the error message of a body the model refuses (422); a refused query
    answers `invalid_query`. `content` adds request media types besides JSON (a view
    that takes XML or files validates those itself), `out_content` answer media types.
    """

    def decorate(view):
        # spectree records the models for the document; at run time the request is
        # validated here, with pydantic alone (spectree's wrapper also reads every header
        # and cookie into dicts, on the hot path, for models we do not declare).
        documented = spec.validate(
            json=body,
            query=query,
            tags=[tag],
            operation_id=view.__name__,
            security={} if public else None,
        )(view)

        @wraps(documented)
        def checked(*args, **kwargs):
            if roles is not None:
                require_role(*roles)
            request.context = RequestContext(
                query=_validated(query, request.args.to_dict(), invalid_query, refused)
                if query is not None
                else None,
                # Malformed JSON, not an object, unstorable text: 400/422 before the model.
                json=_validated(body, json_object(), 422, refused) if body is not None else None,
            )
            return _serialised(view(*args, **kwargs))

        if query is not None:
            QUERY_MODELS.add(query.__name__)
        if conflict is not None:
            schema_ref(conflict)
        if out is not None:
            schema_ref(out)
        OPERATIONS[view.__name__] = Operation(
            out=out,
            who=_who(roles, who),
            ok=ok,
            ok_description=ok_description or (view.__doc__ or "").strip().split("\n")[0],
            errors=errors,
            has_body=body is not None or content is not None,
            headers=headers or {},
            example=example,
            content=content,
            out_content=out_content,
            conflict=conflict,
            conflict_description=conflict_description,
            conflict_headers=conflict_headers or {},
            path=path or {},
            parameters=parameters or [],
            public=public,
        )
        return checked

    return decorate


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The validated query and body, as the view reads them: `request.context.json`."""

    query: BaseModel | None
    json: BaseModel | None


def _who(roles: tuple[str, ...] | None, note: str) -> str:
    """The document's "Who:" line, from the roles the operation checks."""
    if roles is None:
        return note or "everyone"
    listed = ", ".join(roles)
    return f"{listed} ({note})" if note else listed


def _validated(model: type[BaseModel], data, status: int, message: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(status, message, field_errors(error)) from error


def _serialised(result):
    """A view's model answer as JSON (pydantic's serialiser); any other answer as it is.

    A view answers a model, or (model, status) or (model, status, headers), or a
    Response of its own (a file, XML) that no model describes.
    """
    status, headers = None, None
    model = result
    if isinstance(result, tuple):
        model, *rest = result
        status = rest[0] if rest else None
        headers = rest[1] if len(rest) > 1 else None
    if not isinstance(model, BaseModel):
        return result
    response = current_app.response_class(model.model_dump_json(), mimetype="application/json")
    if status is not None:
        response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


# --- The document ------------------------------------------------------------


def _error_responses() -> dict:
    responses = {}
    for name, description in ERROR_RESPONSES.values():
        responses[name] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {
            "description": "Always `Bearer`.",
            "required": True,
            "schema": {"type": "string"},
        }
    }
    return responses


def _ref_error(code: int) -> dict:
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}


def _schema_of(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def schema_ref(model: type[BaseModel]) -> dict:
    """A model only the document names (a body a view reads itself), as a reference."""
    if model not in EXTRA_MODELS:
        EXTRA_MODELS.append(model)
    return _schema_of(model)


def _document_operation(operation_id: str, generated: dict) -> dict:
    meta = OPERATIONS[operation_id]
    op = deepcopy(generated)
    description = op.get("description") or ""
    op["description"] = f"{description}\n\nWho: {meta.who}." if description else f"Who: {meta.who}."
    if not op.get("tags"):
        op.pop("tags", None)
    # Path parameters: what Flask's converters cannot say (bounds, description, example).
    parameters = []
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path":
            declared = meta.path.get(parameter["name"])
            if declared is None and parameter["schema"].get("type") == "integer":
                declared = {"schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
            if declared:
                parameter = {**parameter, **declared}
            parameter["schema"].pop("format", None)  # spectree's int32/path hints
        if not parameter.get("description"):
            parameter.pop("description", None)
        parameters.append(parameter)
    parameters += meta.parameters
    if parameters:
        op["parameters"] = parameters
    else:
        op.pop("parameters", None)
    # The answers: the success model and media types, then the refusals by reference.
    # (Any request may carry a NUL byte in a query or path value: 400.)
    responses: dict = {"400": _ref_error(400)}
    success: dict = {"description": meta.ok_description}
    content = {}
    if meta.out is not None:
        content["application/json"] = {"schema": _schema_of(meta.out)}
    content.update(meta.out_content or {})
    if content:
        success["content"] = content
    if meta.headers:
        success["headers"] = meta.headers
    responses[str(meta.ok)] = success
    if meta.conflict is not None:
        responses["409"] = {
            "description": meta.conflict_description,
            "content": {"application/json": {"schema": _schema_of(meta.conflict)}},
        }
        if meta.conflict_headers:
            responses["409"]["headers"] = meta.conflict_headers
    for code in meta.errors:
        if str(code) not in responses:
            responses[str(code)] = _ref_error(code)
    if meta.has_body:
        responses["413"] = _ref_error(413)
    if not meta.public:
        responses["401"] = _ref_error(401)
    op["responses"] = responses
    # The request body: required, with an example, and the other media types.
    if meta.has_body:
        content = dict(op.get("requestBody", {}).get("content", {}))
        if meta.example is not None and "application/json" in content:
            content["application/json"] = {**content["application/json"], "example": meta.example}
        content.update(meta.content or {})
        op["requestBody"] = {"required": True, "content": content}
    return op


def document() -> dict:
    """The OpenAPI 3.1 document of the API, generated from the operations' models.

    Call inside an app context (spectree reads the app's routes).
    """
    generated = spec.spec
    paths: dict = {}
    for path, item in generated["paths"].items():
        short = path.removeprefix(PREFIX)
        for method, op in item.items():
            paths.setdefault(short, {})[method] = _document_operation(op["operationId"], op)
    schemas = {
        name: schema
        for name, schema in deepcopy(generated["components"]["schemas"]).items()
        if name not in QUERY_MODELS
    }
    for model in EXTRA_MODELS:
        extra = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        for name, definition in extra.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = extra
    schemas["Error"] = Error.model_json_schema(mode="serialization")
    return {
        "openapi": generated["openapi"],
        "info": {
            "title": "Medborgarkontoret API",
            "version": "1",
            "description": generated["info"].get("description", ""),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": tag["name"]} for tag in generated.get("tags", [])],
        "paths": paths,
        "components": {
            "securitySchemes": generated["components"]["securitySchemes"],
            "schemas": schemas,
            "responses": _error_responses(),
        },
    }
