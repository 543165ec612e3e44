"""Logging and reading contacts over the API: the counter's operation behind a JSON edge."""

import re

from flask import g, request, url_for

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import Id, operation
from frontdesk.cache import catalogue
from frontdesk.counter.forms import UNKNOWN_CASE_TYPE
from frontdesk.counter.operations import (
    ContactError,
    ContactInput,
    LoggedContact,
    NotYourOffice,
    SubmissionKeyReused,
    log_contact,
)
from frontdesk.counter.schemas import (
    CONTACT_EXAMPLE,
    ContactCreated,
    ContactOut,
    ReferralSummary,
)
from frontdesk.counter.schemas import (
    ContactInput as ContactBody,
)
from frontdesk.extensions import db
from frontdesk.feedback.links import feedback_url
from frontdesk.models import Contact
from frontdesk.models.contact import SUBMISSION_KEY_MAX, SUBMISSION_KEY_PATTERN
from frontdesk.roles import DESK_ROLES
from frontdesk.visitors.queries import ticket_exists

IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": (
        "A key of the client's choosing for this contact. Sent again by the same user"
        " (a retry after a lost answer), it gets the first answer and logs nothing new;"
        " with another contact's fields it is 422."
    ),
    "schema": {
        "type": "string",
        "pattern": SUBMISSION_KEY_PATTERN,
        "maxLength": SUBMISSION_KEY_MAX,
    },
}


def _idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return None
    if not re.fullmatch(SUBMISSION_KEY_PATTERN, key):
        message = f"Högst {SUBMISSION_KEY_MAX} synliga ASCII-tecken utan mellanslag."
        raise ApiError(422, "Kontakten kunde inte tas emot.", {IDEMPOTENCY_KEY: message})
    return key


def logged_response(logged: LoggedContact):
    """201 with the routing decision, as every way of logging a contact answers."""
    referral = None
    if logged.referral_id is not None:
        referral = ReferralSummary(id=logged.referral_id, queue=logged.queue.code)
    location = url_for("api.get_contact", contact_id=logged.id)
    body = ContactCreated(
        id=logged.id,
        outcome=logged.outcome.value,
        referral=referral,
        feedback_url=feedback_url(logged.id),
    )
    return body, 201, {"Location": location}


@bp.post("/contacts")
@operation(
    tag="contacts",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    body=ContactBody,
    out=ContactCreated,
    ok=201,
    ok_description="Logged; `referral` when it went to a back-office queue.",
    errors=(403, 409, 422),
    refused="Kontakten kunde inte tas emot.",
    headers={
        "Location": {
            "description": "Where the contact can be read.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    example=CONTACT_EXAMPLE,
    parameters=[IDEMPOTENCY_PARAMETER],
)
def create_contact():
    """Log a contact

    The same routing as the counter page: above the office's mandate the contact is
    referred to the case type's queue. 409 when it cannot be routed (the case type has
    no queue) or its `ticket` was served by another contact. `citizen` and `question` go with the referral to the handler; a wrong
    value is 422 naming `citizen.phone`, `citizen.email`, `citizen.name`,
    `citizen.reach_by` or `question`, and nothing is written.
    """
    user = g.user
    submission_key = _idempotency_key()
    body: ContactBody = request.context.json
    # The catalogue cache's values: no query when the catalogue has not changed.
    known = catalogue()
    office = known.office_by_code(body.office)
    case_type = known.case_type_by_code(body.case_type)
    unknown = {}
    if office is None:
        unknown["office"] = "Okänt kontor."
    if case_type is None:
        unknown["case_type"] = UNKNOWN_CASE_TYPE
    if body.ticket is not None and office is not None and not ticket_exists(body.ticket, office.id):
        unknown["ticket"] = "Kontoret har ingen sådan kölapp."
    if unknown:
        raise ApiError(422, "Kontakten kunde inte tas emot.", unknown)
    data = ContactInput(
        office=office,
        channel=body.channel,
        case_type=case_type,
        rosa_level=body.rosa_level,
        note=body.note or "",
        duration_seconds=body.duration_seconds,
        occurred_at=body.occurred_at,
        put_through=body.outcome == "kopplat",
        is_repeat=bool(body.repeat),
        submission_key=submission_key,
        ticket_id=body.ticket,
        **body.citizen_values(),
    )
    try:
        logged = log_contact(data, user)
    except NotYourOffice as error:
        raise ApiError(403, str(error)) from error
    except SubmissionKeyReused as error:
        raise ApiError(
            422, "Kontakten kunde inte tas emot.", {IDEMPOTENCY_KEY: str(error)}
        ) from error
    except ContactError as error:
        raise ApiError(409, str(error), {error.field: str(error)}) from error
    return logged_response(logged)


@bp.get("/contacts/<int:contact_id>")
@operation(
    tag="contacts",
    who=("the office's vägledare, chef, admin, handläggare of the organisation it was referred to"),
    out=ContactOut,
    ok_description="The contact.",
    errors=(404,),
    path={"contact_id": {"description": "The contact's id.", "example": 1}},
)
def get_contact(contact_id: Id):
    """One contact, with its referral"""
    contact = db.session.get(Contact, contact_id)
    if contact is None or not contact.visible_to(g.user):
        raise ApiError(404, "Kontakten finns inte.")
    return ContactOut.of(contact)
