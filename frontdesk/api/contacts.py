"""Logging and reading contacts over the API; the same form and routing as the counter page."""

from flask import g, jsonify, url_for
from werkzeug.datastructures import MultiDict

from frontdesk.api import bp
from frontdesk.api.auth import require_role
from frontdesk.api.errors import ApiError, form_errors
from frontdesk.api.payload import json_object
from frontdesk.counter.forms import ApiContactForm
from frontdesk.counter.operations import ContactError, ContactInput, LoggedContact, log_contact
from frontdesk.extensions import db
from frontdesk.models import Contact
from frontdesk.timeutil import to_local
from kanaler.citizen import display_phone

CONTACT_FIELDS = {
    "office",
    "channel",
    "case_type",
    "rosa_level",
    "note",
    "duration_seconds",
    "occurred_at",
    "outcome",
    "repeat",
    "citizen",
    "question",
}
# The nested citizen object's fields and the form fields they fill.
CITIZEN_FIELDS = {
    "name": "citizen_name",
    "phone": "citizen_phone",
    "email": "citizen_email",
    "reach_by": "reach_by",
}
_FIELD_TYPES = {
    "office": str,
    "channel": str,
    "case_type": str,
    "rosa_level": int,
    "note": str,
    "duration_seconds": int,
    "occurred_at": str,
    "outcome": str,
    "repeat": bool,
    "question": str,
}
_TYPE_NAMES = {str: "en sträng", int: "ett heltal", bool: "true eller false"}


def _flatten_citizen(payload: dict, fields: dict) -> dict:
    """The `citizen` object's values under the form's names; its wrong parts named in `fields`."""
    payload = dict(payload)
    citizen = payload.pop("citizen", None)
    if citizen is None:
        return payload
    if not isinstance(citizen, dict):
        fields["citizen"] = "Ska vara ett objekt med name, phone och email."
        return payload
    for key, value in citizen.items():
        if key not in CITIZEN_FIELDS:
            fields[f"citizen.{key}"] = "Okänt fält."
        elif value is not None and not isinstance(value, str):
            fields[f"citizen.{key}"] = "Ska vara en sträng."
        elif value is not None:
            payload[CITIZEN_FIELDS[key]] = value
    return payload


# Form field names back to the API's names, for error messages.
_API_NAMES = {form_name: f"citizen.{key}" for key, form_name in CITIZEN_FIELDS.items()}


def contact_form_errors(form) -> dict[str, str]:
    """The form's errors under the API's field names (`citizen.email`, not citizen_email)."""
    return {_API_NAMES.get(name, name): message for name, message in form_errors(form).items()}


def _as_formdata(payload: dict) -> MultiDict:
    """JSON values as the form's strings, after checking each JSON type."""
    fields = {}
    data = MultiDict()
    payload = _flatten_citizen(payload, fields)
    for name, value in payload.items():
        if value is None:
            continue
        if name in _API_NAMES:
            data[name] = value  # checked as a string above
            continue
        expected = _FIELD_TYPES[name]
        # bool is an int in Python, but true is no ROSA level.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            fields[name] = f"Ska vara {_TYPE_NAMES[expected]}."
            continue
        if expected is bool:
            if value:
                data[name] = "y"
        else:
            data[name] = str(value)
    if fields:
        raise ApiError(422, "Kontakten kunde inte tas emot.", fields)
    return data


def logged_response(logged: LoggedContact):
    """201 with the routing decision, as every way of logging a contact answers."""
    referral = None
    if logged.referral_id is not None:
        referral = {"id": logged.referral_id, "queue": logged.queue.code}
    response = jsonify(id=logged.id, outcome=logged.outcome.value, referral=referral)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_contact", contact_id=logged.id)
    return response


def citizen_json(contact: Contact) -> dict | None:
    """Who to reach, or None when the contact carries nobody's details."""
    if not contact.has_citizen:
        return None
    return {
        "name": contact.citizen_name or None,
        "phone": contact.citizen_phone or None,
        "phone_display": display_phone(contact.citizen_phone) or None,
        "email": contact.citizen_email or None,
        "reach_by": contact.reach_by or None,
    }


def contact_json(contact: Contact) -> dict:
    referral = contact.referral
    return {
        "id": contact.id,
        "office": contact.office.code,
        "occurred_at": to_local(contact.occurred_at).isoformat(),
        "channel": contact.channel,
        "case_type": contact.case_type.code,
        "rosa_level": contact.rosa_level,
        "outcome": contact.outcome,
        "duration_seconds": contact.duration_seconds,
        "note": contact.note,
        "repeat": contact.is_repeat,
        "repeat_of": contact.repeat_of_id,
        "citizen": citizen_json(contact),
        "question": contact.question or None,
        "staff": contact.staff.username if contact.staff else None,
        "referral": (
            None
            if referral is None
            else {
                "id": referral.id,
                "queue": referral.queue.code,
                "status": referral.status,
                "due_at": to_local(referral.due_at).isoformat(),
            }
        ),
    }


@bp.post("/contacts")
def create_contact():
    """Log a contact; 201 with its outcome and, when referred, the referral and its queue."""
    user = require_role("vagledare", "chef", "admin")
    form = ApiContactForm(formdata=_as_formdata(json_object(CONTACT_FIELDS)))
    if not form.validate():
        raise ApiError(422, "Kontakten kunde inte tas emot.", contact_form_errors(form))
    if user.role == "vagledare" and form.office_obj.id != user.office_id:
        raise ApiError(403, "Du kan bara logga kontakter för ditt eget kontor.")
    data = ContactInput(
        office=form.office_obj,
        channel=form.channel.data,
        case_type=form.case_type_obj,
        rosa_level=form.rosa_level.data,
        note=form.note.data or "",
        duration_seconds=form.duration_seconds.data,
        occurred_at=getattr(form, "occurred_at_value", None),
        put_through=form.outcome.data == "kopplat",
        is_repeat=form.repeat.data,
        **form.citizen_input(),
    )
    try:
        logged = log_contact(data, user)
    except ContactError as error:
        raise ApiError(409, str(error), {error.field: str(error)}) from error
    return logged_response(logged)


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    """One contact; a guide sees their office's, a handler those referred to their organisation."""
    contact = db.session.get(Contact, contact_id)
    user = g.user
    visible = contact is not None and (
        user.has_role("chef", "admin")
        or (user.role == "vagledare" and contact.office_id == user.office_id)
        or (
            user.role == "handlaggare"
            and contact.referral is not None
            and contact.referral.queue.organisation_id == user.organisation_id
        )
    )
    if not visible:
        raise ApiError(404, "Kontakten finns inte.")
    return jsonify(contact_json(contact))
