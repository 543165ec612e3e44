"""Referrals over the API: list, read, history, and the back-office actions.

Every referral carries its version as the ETag; a change may send If-Match and
gets 412 when someone changed the referral since. A refused transition is 409
with the referral's current status.
"""

from flask import g, jsonify, request, url_for
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError, form_errors
from frontdesk.api.payload import json_object
from frontdesk.backoffice import operations, queries
from frontdesk.backoffice.forms import AnswerForm, ForwardForm, ParkForm
from frontdesk.counter.schemas import Citizen
from frontdesk.guards import whole_number
from frontdesk.inbox.attachments import send_attachment
from frontdesk.models import InboxMessage, Referral
from frontdesk.models.referral import REFERRAL_STATUSES
from frontdesk.timeutil import to_local, utcnow

MAX_INT_ARG = 100_000


def _iso(moment):
    return None if moment is None else to_local(moment).isoformat()


def message_json(referral: Referral, message: InboxMessage | None) -> dict | None:
    """The inbox message the matter came from, as the handler reads it (plain text)."""
    if message is None:
        return None
    return {
        "id": message.id,
        "channel": message.channel,
        "sender": message.sender,
        "subject": message.subject,
        "body": message.body,
        "received_at": _iso(message.received_at),
        "attachments": [
            {
                "name": item.get("filename", ""),
                "size": item.get("size"),
                "url": url_for("api.referral_attachment", referral_id=referral.id, index=index),
            }
            for index, item in enumerate(message.attachments or [])
        ],
    }


_UNREAD = object()


def referral_json(referral: Referral, message=_UNREAD) -> dict:
    """One referral with its citizen, question and source message (read here unless given)."""
    contact = referral.contact
    if message is _UNREAD:
        message = operations.source_message(referral)
    return {
        "id": referral.id,
        "status": referral.status,
        "queue": referral.queue.code,
        "original_queue": referral.original_queue.code if referral.original_queue else None,
        "contact_id": contact.id,
        "office": contact.office.code,
        "channel": contact.channel,
        "case_type": contact.case_type.code,
        "rosa_level": contact.rosa_level,
        "note": contact.note,
        "created_at": _iso(referral.created_at),
        "due_at": _iso(referral.due_at),
        "overdue": referral.is_overdue(utcnow()),
        "claimed_by": referral.claimed_by.username if referral.claimed_by else None,
        "parked_until": referral.parked_until.isoformat() if referral.parked_until else None,
        "park_reason": referral.park_reason or None,
        "answer": referral.answer or None,
        "callback": referral.callback,
        "answered_at": _iso(referral.answered_at),
        "closed_at": _iso(referral.closed_at),
        "version": referral.version,
        "citizen": (lambda c: c and c.model_dump())(Citizen.of(contact)),
        "question": contact.question or None,
        "repeat": contact.is_repeat,
        "repeat_of": contact.repeat_of_id,
        "message": message_json(referral, message),
    }


def _with_etag(response, referral: Referral):
    response.headers["ETag"] = f'"{referral.version}"'
    return response


def _referral(referral_id: int) -> Referral:
    referral = queries.get_visible(g.user, referral_id)
    if referral is None:
        raise ApiError(404, "Remissen finns inte.")
    return referral


def _seen_version() -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ApiError(400, "If-Match ska vara en version från ETag.", {"If-Match": "Ogiltig."})
    return int(value)


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    number = whole_number(value, 1, MAX_INT_ARG)
    if number is None:
        raise ApiError(400, "Ogiltig parameter.", {name: f"Ska vara ett heltal 1–{MAX_INT_ARG}."})
    return number


@bp.get("/referrals")
def list_referrals():
    """The referrals the caller may see, filtered by queue and status, paged."""
    status = request.args.get("status", "alla")
    if status not in (*REFERRAL_STATUSES, "alla"):
        raise ApiError(400, "Okänd status.", {"status": f"En av {', '.join(REFERRAL_STATUSES)}."})
    sort = request.args.get("sort", "new")
    if sort not in ("new", "due"):
        raise ApiError(400, "Okänd sortering.", {"sort": "new eller due."})
    filters = queries.Filters(queue=request.args.get("queue", ""), status=status, sort=sort)
    page = queries.page_of(g.user, filters, _int_arg("page", 1), _int_arg("per_page", 50))
    # The source messages of the whole page in one query, not one per referral.
    messages = operations.source_messages([r.contact_id for r in page.rows])
    next_url = None
    if page.page < page.pages:
        next_url = url_for(
            "api.list_referrals", **{**request.args.to_dict(), "page": page.page + 1}
        )
    return jsonify(
        referrals=[referral_json(r, messages.get(r.contact_id)) for r in page.rows],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        next=next_url,
    )


@bp.get("/referrals/<int:referral_id>")
def get_referral(referral_id: int):
    """One referral, with its version as the ETag."""
    referral = _referral(referral_id)
    return _with_etag(jsonify(referral_json(referral)), referral)


@bp.get("/referrals/<int:referral_id>/attachments/<int:index>")
def referral_attachment(referral_id: int, index: int):
    """An attachment of the e-mail the referral came from, for those who may see the referral."""
    referral = _referral(referral_id)
    response = send_attachment(operations.source_message(referral), index)
    if response is None:
        raise ApiError(404, "Bilagan finns inte.")
    return response


@bp.get("/referrals/<int:referral_id>/events")
def referral_events(referral_id: int):
    """The referral's history: who did what, when, from which status to which."""
    referral = _referral(referral_id)
    return jsonify(
        events=[
            {
                "at": _iso(event.at),
                "action": event.action,
                "user": event.user.username if event.user else None,
                "old_status": event.data.get("old_status"),
                "new_status": event.data.get(
                    "new_status", "ny" if event.entity == "contact" else None
                ),
                "note": event.data.get("note") or None,
            }
            for event in queries.history(referral)
        ]
    )


def _is_boolean(form_class, name: str) -> bool:
    return getattr(getattr(form_class, name, None), "field_class", None) is BooleanField


def _form(form_class, payload: dict):
    """The page's form filled from JSON: true/false only for its check boxes, text elsewhere."""
    formdata = MultiDict()
    for key, value in payload.items():
        boolean = _is_boolean(form_class, key)
        if boolean and isinstance(value, bool):
            if value:
                formdata[key] = "y"
        elif not boolean and isinstance(value, str):
            formdata[key] = value
        elif value is not None:
            expected = "Ska vara true eller false." if boolean else "Ska vara en sträng."
            raise ApiError(422, "Fel typ.", {key: expected})
    form = form_class(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        raise ApiError(422, "Uppgifterna kunde inte tas emot.", form_errors(form))
    return form


def _act(referral_id: int, perform, roles=("handlaggare",)):
    require_role(*roles)
    referral = _referral(referral_id)
    seen = _seen_version()
    try:
        perform(referral, seen)
    except operations.StaleVersion as error:
        raise ApiError(
            412,
            "Remissen har ändrats sedan du läste den.",
            {"version": str(error.referral.version)},
        ) from error
    except operations.ReferralConflict as error:
        response = jsonify(
            error=error.message, fields={}, status=error.referral.status,
            claimed_by=error.referral.claimed_by.username if error.referral.claimed_by else None,
        )  # fmt: skip
        response.status_code = 409
        return _with_etag(response, error.referral)
    return _with_etag(jsonify(referral_json(referral)), referral)


@bp.post("/referrals/<int:referral_id>/claim")
def claim_referral(referral_id: int):
    return _act(referral_id, lambda r, v: operations.claim(r, g.user, v))


@bp.post("/referrals/<int:referral_id>/release")
def release_referral(referral_id: int):
    return _act(referral_id, lambda r, v: operations.release(r, g.user, v))


@bp.post("/referrals/<int:referral_id>/park")
def park_referral(referral_id: int):
    require_role("handlaggare")
    form = _form(ParkForm, json_object({"until", "reason"}))
    return _act(
        referral_id,
        lambda r, v: operations.park(r, g.user, form.until.data, form.reason.data.strip(), v),
    )


@bp.post("/referrals/<int:referral_id>/forward")
def forward_referral(referral_id: int):
    require_role("handlaggare")
    form = _form(ForwardForm, json_object({"queue", "reason"}))
    return _act(
        referral_id,
        lambda r, v: operations.forward(r, g.user, form.queue_obj, form.reason.data.strip(), v),
    )


def _delivery(payload: dict) -> operations.AnswerDelivery:
    """`send_email: true` mails the answer; otherwise `callback` (required) says call or close."""
    fields = {
        name: "Ska vara true eller false."
        for name in ("callback", "send_email")
        if payload.get(name) is not None and not isinstance(payload[name], bool)
    }
    if not fields and payload.get("send_email"):
        if payload.get("callback"):
            fields["send_email"] = (
                "Välj antingen e-post (send_email) eller återkoppling (callback)."
            )
        else:
            return operations.AnswerDelivery.EMAIL
    if not fields and not isinstance(payload.get("callback"), bool):
        fields["callback"] = "Ska vara true eller false."
    if fields:
        raise ApiError(422, "Uppgifterna kunde inte tas emot.", fields)
    if payload["callback"]:
        return operations.AnswerDelivery.CALLBACK
    return operations.AnswerDelivery.CLOSE


@bp.post("/referrals/<int:referral_id>/answer")
def answer_referral(referral_id: int):
    """Answer: back to the desk (`callback`), to the citizen by e-mail (`send_email`), or closed."""
    require_role("handlaggare")
    payload = json_object({"answer", "callback", "send_email"})
    delivery = _delivery(payload)
    form = _form(AnswerForm, {"answer": payload.get("answer"), "delivery": delivery.value})
    try:
        return _act(
            referral_id,
            lambda r, v: operations.answer(r, g.user, form.answer.data.strip(), delivery, v),
        )
    except operations.NoAddress as error:
        raise ApiError(422, str(error), {"send_email": str(error)}) from error


@bp.post("/referrals/<int:referral_id>/callback-done")
def callback_done_referral(referral_id: int):
    return _act(
        referral_id,
        lambda r, v: operations.callback_done(r, g.user, v),
        roles=("vagledare", "chef", "admin"),
    )
