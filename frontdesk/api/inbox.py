"""The inbox over the API (for e-service platforms and chat)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import g, jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError, form_errors
from frontdesk.api.payload import json_object
from frontdesk.counter.api import logged_response
from frontdesk.counter.operations import ContactError, ContactInput
from frontdesk.extensions import db
from frontdesk.inbox.forms import ApiReplyForm, ApiTriageForm
from frontdesk.inbox.operations import (
    InboxConflict,
    InboxRefused,
    Incoming,
    receive,
    reply,
    triage,
)
from frontdesk.models import InboxMessage, Office
from frontdesk.models.inbox import BODY_MAX, INBOX_CHANNELS, INBOX_STATUSES, SENDER_MAX, SUBJECT_MAX
from frontdesk.timeutil import CLOCK_SKEW, EARLIEST_YEAR, LOCAL_TZ, to_local, utcnow

GUIDE_ROLES = ("vagledare", "chef", "admin")
MESSAGE_FIELDS = {"channel", "sender", "subject", "body", "received_at", "office", "reply_to"}


def message_json(message: InboxMessage) -> dict:
    return {
        "id": message.id,
        "receipt": message.receipt,
        "channel": message.channel,
        "office": message.office.code,
        "status": message.status,
        "received_at": to_local(message.received_at).isoformat(),
        "sender": message.sender,
        "reply_to": message.reply_to or None,
        "subject": message.subject,
        "body": message.body,
        "attachments": message.attachments,
        "malformed": message.malformed,
        "contact_id": message.contact_id,
    }


def _text(payload: dict, name: str, limit: int, fields: dict, required: bool = False) -> str:
    value = payload.get(name)
    if value is None:
        if required:
            fields[name] = "Saknas."
        return ""
    if not isinstance(value, str):
        fields[name] = "Ska vara en sträng."
        return ""
    if required and not value.strip():
        fields[name] = "Får inte vara tomt."
    elif len(value) > limit:
        fields[name] = f"Högst {limit} tecken."
    return value.strip()


def _received_at(payload: dict, fields: dict) -> datetime | None:
    value = payload.get("received_at")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        fields["received_at"] = "Ange tidpunkten som ISO 8601."
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    if moment.year < EARLIEST_YEAR:
        fields["received_at"] = f"Tidpunkten ska ligga efter {EARLIEST_YEAR}."
        return None
    if moment.year > 9998:
        fields["received_at"] = "Tidpunkten ligger i framtiden."
        return None
    moment = moment.astimezone(UTC)
    if moment > utcnow() + CLOCK_SKEW:
        fields["received_at"] = "Tidpunkten ligger i framtiden."
    return moment


@bp.post("/inbox")
def create_inbox_message():
    """An e-service platform or chat hands over a message; 201 with its id and receipt."""
    user = require_role(*GUIDE_ROLES)
    payload = json_object(MESSAGE_FIELDS)
    fields: dict[str, str] = {}
    channel = payload.get("channel")
    if channel not in INBOX_CHANNELS:
        fields["channel"] = f"Ska vara en av {', '.join(INBOX_CHANNELS)}."
    sender = _text(payload, "sender", SENDER_MAX, fields)
    reply_to = _text(payload, "reply_to", SENDER_MAX, fields)
    if reply_to and "reply_to" not in fields:
        try:
            validate_email(reply_to, check_deliverability=False)
        except EmailNotValidError:
            fields["reply_to"] = "Ska vara en e-postadress."
    subject = _text(payload, "subject", SUBJECT_MAX, fields)
    body = _text(payload, "body", BODY_MAX, fields, required=True)
    received_at = _received_at(payload, fields)
    office = user.office
    code = payload.get("office")
    if code is not None:
        office = (
            db.session.scalar(sa.select(Office).where(Office.code == code))
            if isinstance(code, str)
            else None
        )
        if office is None:
            fields["office"] = "Okänt kontor."
    if office is None and "office" not in fields:
        fields["office"] = "Ange kontor."
    if fields:
        raise ApiError(422, "Meddelandet kunde inte tas emot.", fields)
    if user.role == "vagledare" and office.id != user.office_id:
        raise ApiError(403, "Du kan bara lämna meddelanden till ditt eget kontor.")
    message = receive(
        Incoming(
            channel=channel,
            office=office,
            sender=sender,
            reply_to=reply_to,
            subject=subject,
            body=body,
            received_at=received_at,
        ),
        user,
    )
    response = jsonify(id=message.id, receipt=message.receipt)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_inbox_message", message_id=message.id)
    return response


def _visible():
    query = sa.select(InboxMessage)
    if g.user.role == "vagledare":
        query = query.where(InboxMessage.office_id == g.user.office_id)
    return query


@bp.get("/inbox")
def list_inbox():
    """Messages by status (new by default), oldest first; at most 200."""
    require_role(*GUIDE_ROLES)
    status = request.args.get("status", "new")
    if status not in INBOX_STATUSES:
        raise ApiError(422, "Ogiltigt filter.", {"status": f"En av {', '.join(INBOX_STATUSES)}."})
    messages = db.session.scalars(
        _visible()
        .where(InboxMessage.status == status)
        .order_by(InboxMessage.received_at, InboxMessage.id)
        .limit(200)
    ).all()
    return jsonify(messages=[message_json(m) for m in messages])


@bp.get("/inbox/<int:message_id>")
def get_inbox_message(message_id: int):
    """One message."""
    require_role(*GUIDE_ROLES)
    message = db.session.scalar(_visible().where(InboxMessage.id == message_id))
    if message is None:
        raise ApiError(404, "Meddelandet finns inte.")
    return jsonify(message_json(message))


def _as_formdata(payload: dict) -> MultiDict:
    fields = {}
    data = MultiDict()
    for name, kind in (("case_type", str), ("rosa_level", int), ("office", str), ("reply", str)):
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            fields[name] = "Ska vara ett heltal." if kind is int else "Ska vara en sträng."
        else:
            data[name] = str(value)
    if fields:
        raise ApiError(422, "Triageringen kunde inte tas emot.", fields)
    return data


def _handle(message_id: int, form_class, fields: set[str], perform):
    """Triage or reply: the same checks, the same answer as POST /contacts."""
    user = require_role(*GUIDE_ROLES)
    message = db.session.scalar(_visible().where(InboxMessage.id == message_id))
    if message is None:
        raise ApiError(404, "Meddelandet finns inte.")
    form = form_class(formdata=_as_formdata(json_object(fields)))
    if not form.validate():
        raise ApiError(422, "Uppgifterna kunde inte tas emot.", form_errors(form))
    office = getattr(form, "office_obj", None) or message.office
    if user.role == "vagledare" and office.id != user.office_id:
        raise ApiError(403, "Du kan bara hantera meddelanden till ditt eget kontor.")
    data = ContactInput(
        office=office,
        channel=message.channel,
        case_type=form.case_type_obj,
        rosa_level=form.rosa_level.data,
    )
    try:
        logged = perform(message, data, form, user)
    except InboxConflict as conflict:
        response = jsonify(error=str(conflict), fields={}, status=conflict.message.status)
        return response, 409
    except ContactError as error:
        raise ApiError(409, str(error), {error.field: str(error)}) from error
    body, status, headers = logged_response(logged)
    return jsonify(body.model_dump()), status, headers


@bp.post("/inbox/<int:message_id>/triage")
def triage_inbox_message(message_id: int):
    """Triage: answers like POST /contacts, with the contact the message became."""
    return _handle(
        message_id,
        ApiTriageForm,
        {"case_type", "rosa_level", "office"},
        lambda message, data, form, user: triage(message, data, user),
    )


def _reply(message, data, form, user):
    try:
        return reply(message, data, form.reply.data, user)
    except InboxRefused as refused:
        raise ApiError(422, str(refused), {refused.field: str(refused)}) from refused


@bp.post("/inbox/<int:message_id>/reply")
def reply_inbox_message(message_id: int):
    """Answer directly: the message becomes an `informerat` contact, the reply is mailed."""
    return _handle(
        message_id,
        ApiReplyForm,
        {"case_type", "rosa_level", "office", "reply"},
        _reply,
    )
