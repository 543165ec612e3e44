"""The inbox over the API, for e-service platforms and chat: hand over, list, triage, reply.

Triage and reply answer as POST /contacts does (the message becomes a contact).
"""

from flask import g, request, url_for

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import LOCATION, MAX_ID, Id, operation
from frontdesk.counter.api import logged_response
from frontdesk.counter.forms import UNKNOWN_CASE_TYPE, find_case_type, find_office
from frontdesk.counter.operations import ContactError, ContactInput
from frontdesk.counter.schemas import ContactCreated
from frontdesk.extensions import db
from frontdesk.inbox import operations
from frontdesk.inbox.schemas import (
    InboxConflict,
    InboxMessageCreated,
    InboxMessageInput,
    InboxMessageOut,
    InboxMessages,
    InboxQuery,
    ReplyInput,
    TriageInput,
)
from frontdesk.models import InboxMessage
from frontdesk.roles import DESK_ROLES

LIST_LIMIT = 200
MESSAGE_ID = {
    "description": "The inbox message's id.",
    "example": 1,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
REFUSED = "Uppgifterna kunde inte tas emot."


def _message(message_id: int) -> InboxMessage:
    message = db.session.scalar(
        operations.visible_messages(g.user).where(InboxMessage.id == message_id)
    )
    if message is None:
        raise ApiError(404, "Meddelandet finns inte.")
    return message


@bp.post("/inbox")
@operation(
    tag="inbox",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    body=InboxMessageInput,
    out=InboxMessageCreated,
    ok=201,
    ok_description="Received; waits for triage.",
    errors=(400, 403, 422),
    refused="Meddelandet kunde inte tas emot.",
    headers=LOCATION,
    example={"channel": "webb", "body": "När töms soporna?", "office": "K1"},
)
def create_inbox_message():
    """Hand over a message from an e-service platform or chat"""
    body: InboxMessageInput = request.context.json
    office = g.user.office
    if body.office is not None:
        office = find_office(body.office)
        if office is None:
            raise ApiError(422, "Meddelandet kunde inte tas emot.", {"office": "Okänt kontor."})
    if office is None:
        raise ApiError(422, "Meddelandet kunde inte tas emot.", {"office": "Ange kontor."})
    incoming = operations.Incoming(
        channel=body.channel,
        office=office,
        sender=body.sender or "",
        reply_to=body.reply_to or "",
        subject=body.subject or "",
        body=body.body,
        received_at=body.received_at,
    )
    try:
        message = operations.receive(incoming, g.user)
    except operations.OtherOffice as error:
        raise ApiError(403, str(error)) from error
    location = url_for("api.get_inbox_message", message_id=message.id)
    return InboxMessageCreated(id=message.id, receipt=message.receipt), 201, {"Location": location}


@bp.get("/inbox")
@operation(
    tag="inbox",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    query=InboxQuery,
    refused="Ogiltigt filter.",
    out=InboxMessages,
    ok_description="The messages.",
    errors=(400, 403, 422),
)
def list_inbox():
    """Messages by status, oldest first (at most 200)"""
    args: InboxQuery = request.context.query
    messages = db.session.scalars(
        operations.visible_messages(g.user)
        .where(InboxMessage.status == args.status)
        .order_by(InboxMessage.received_at, InboxMessage.id)
        .limit(LIST_LIMIT)
    ).all()
    return InboxMessages(messages=[InboxMessageOut.of(m) for m in messages])


@bp.get("/inbox/<int:message_id>")
@operation(
    tag="inbox",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    out=InboxMessageOut,
    ok_description="The message.",
    errors=(403, 404),
    path={"message_id": MESSAGE_ID},
)
def get_inbox_message(message_id: Id):
    """One message"""
    return InboxMessageOut.of(_message(message_id))


def _handle(message_id: int, body: TriageInput, perform):
    """Triage or reply: the message becomes a contact, answered as POST /contacts is."""
    message = _message(message_id)
    office = message.office
    unknown = {}
    if body.office is not None:
        office = find_office(body.office)
        if office is None:
            unknown["office"] = "Okänt kontor."
    case_type = find_case_type(body.case_type)
    if case_type is None:
        unknown["case_type"] = UNKNOWN_CASE_TYPE
    if unknown:
        raise ApiError(422, REFUSED, unknown)
    data = ContactInput(
        office=office,
        channel=message.channel,
        case_type=case_type,
        rosa_level=body.rosa_level,
    )
    try:
        logged = perform(message, data)
    except operations.OtherOffice as error:
        raise ApiError(403, str(error)) from error
    except operations.InboxRefused as refused:
        raise ApiError(422, str(refused), {refused.field: str(refused)}) from refused
    except operations.InboxConflict as conflict:
        return InboxConflict(error=str(conflict), fields={}, status=conflict.message.status), 409
    except ContactError as error:
        raise ApiError(409, str(error), {error.field: str(error)}) from error
    return logged_response(logged)


def _inbox_action(body: type[TriageInput], example: dict):
    return operation(
        tag="inbox",
        roles=DESK_ROLES,
        who="a vägledare for their own office",
        body=body,
        out=ContactCreated,
        ok=201,
        ok_description="As for POST /contacts.",
        errors=(400, 403, 404, 422),
        refused=REFUSED,
        headers=LOCATION,
        example=example,
        conflict=InboxConflict,
        conflict_description="Already handled, or the contact cannot be routed.",
        path={"message_id": MESSAGE_ID},
    )


@bp.post("/inbox/<int:message_id>/triage")
@_inbox_action(TriageInput, {"case_type": "PARK", "rosa_level": 2})
def triage_inbox_message(message_id: Id):
    """Triage a message: it becomes a contact, referred where the mandate says so"""
    body: TriageInput = request.context.json
    return _handle(message_id, body, lambda message, data: operations.triage(message, data, g.user))


@bp.post("/inbox/<int:message_id>/reply")
@_inbox_action(
    ReplyInput, {"case_type": "PARK", "rosa_level": 1, "reply": "Ansök på kommunens webb."}
)
def reply_inbox_message(message_id: Id):
    """Answer a message directly: it becomes a contact answered at first contact

    The reply is queued by e-mail to the message's reply address or sender. 422
    `rosa_level` when the level is above the office's mandate (triage the message
    instead), 422 `reply` when the message has no address to answer (a letter) or the
    reply is missing; 409 when someone handled it first.
    """
    body: ReplyInput = request.context.json
    return _handle(
        message_id,
        body,
        lambda message, data: operations.reply(message, data, body.reply, g.user),
    )
