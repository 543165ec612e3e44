"""Logging, correcting and deleting contacts. The page and the API both call these."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import CaseType, Contact, Office, Referral, User
from frontdesk.timeutil import local_today, to_local, utcnow
from kanaler import mask_personnummer
from rosa import Outcome, route


class ContactError(Exception):
    """A domain rule refused the change; the message is Swedish and shown to the user."""


@dataclass
class ContactInput:
    """What the guide (or an API client) says about a contact; already validated."""

    office: Office
    channel: str
    case_type: CaseType
    rosa_level: int
    note: str = ""
    duration_seconds: int | None = None
    occurred_at: datetime | None = None
    put_through: bool = False
    is_repeat: bool = False


def referral_due_at(created_at: datetime, case_type: CaseType) -> datetime:
    """When the back office must have answered: creation plus the case type's SLA hours."""
    return created_at + timedelta(hours=case_type.sla_hours)


def _create_referral(contact: Contact) -> Referral:
    queue = contact.case_type.referral_queue()
    if queue is None:
        raise ContactError(
            f"{contact.case_type.organisation.name} har ingen kö att skicka remissen till."
        )
    now = utcnow()
    referral = Referral(
        contact=contact,
        queue=queue,
        status="ny",
        created_at=now,
        due_at=referral_due_at(now, contact.case_type),
    )
    db.session.add(referral)
    return referral


def _apply(contact: Contact, data: ContactInput) -> Outcome:
    outcome = route(data.rosa_level, mandate_level(data.office, data.case_type), data.put_through)
    contact.office = data.office
    contact.channel = data.channel
    contact.case_type = data.case_type
    contact.rosa_level = data.rosa_level
    contact.outcome = outcome.value
    contact.duration_seconds = data.duration_seconds
    contact.note = mask_personnummer(data.note or "")
    contact.is_repeat = data.is_repeat
    return outcome


def log_contact(data: ContactInput, staff: User) -> Contact:
    """Log a contact and route it: answered at the desk, put through, or referred."""
    contact = Contact(staff=staff, occurred_at=data.occurred_at or utcnow())
    outcome = _apply(contact, data)
    db.session.add(contact)
    if outcome is Outcome.ESKALERAT:
        _create_referral(contact)
    db.session.flush()
    record(
        "contact.logged",
        "contact",
        contact.id,
        staff,
        office=data.office.code,
        case_type=data.case_type.code,
        rosa_level=data.rosa_level,
        outcome=outcome.value,
        referral_id=contact.referral.id if contact.referral else None,
    )
    return contact


def can_change(contact: Contact, user: User) -> bool:
    """A guide corrects only their own contacts, and only on the day they were logged."""
    return contact.staff_id == user.id and to_local(contact.occurred_at).date() == local_today()


def _check_changeable(contact: Contact, user: User) -> None:
    if not can_change(contact, user):
        raise ContactError("Du kan bara ändra dina egna kontakter från i dag.")
    referral = contact.referral
    if referral is not None and referral.status != "ny":
        raise ContactError(
            "Remissen har redan börjat hanteras i backoffice; kontakten kan inte ändras."
        )


def correct_contact(contact: Contact, data: ContactInput, user: User) -> Contact:
    """Correct a contact of today and route it again; an untouched referral follows the change."""
    _check_changeable(contact, user)
    before = _snapshot(contact)
    outcome = _apply(contact, data)
    referral = contact.referral
    if outcome is Outcome.ESKALERAT:
        queue = contact.case_type.referral_queue()
        if referral is None:
            _create_referral(contact)
        elif queue is not None and referral.queue_id != queue.id:
            referral.queue = queue
            referral.due_at = referral_due_at(referral.created_at, contact.case_type)
            referral.version += 1
    elif referral is not None:
        db.session.delete(referral)
        contact.referral = None
    db.session.flush()
    record("contact.corrected", "contact", contact.id, user, before=before, after=_snapshot(contact))
    return contact


def delete_contact(contact: Contact, user: User) -> None:
    """Delete a contact of today logged by mistake, with its untouched referral."""
    _check_changeable(contact, user)
    record("contact.deleted", "contact", contact.id, user, before=_snapshot(contact))
    if contact.referral is not None:
        db.session.delete(contact.referral)
    db.session.delete(contact)
    db.session.flush()


def set_repeat(contact: Contact, is_repeat: bool, user: User) -> Contact:
    """Flag (or unflag) a contact as a repeat about the same matter: failure demand."""
    if not can_change(contact, user):
        raise ContactError("Du kan bara ändra dina egna kontakter från i dag.")
    contact.is_repeat = is_repeat
    db.session.flush()
    record("contact.repeat_flagged", "contact", contact.id, user, is_repeat=is_repeat)
    return contact


def _snapshot(contact: Contact) -> dict:
    return {
        "channel": contact.channel,
        "case_type": contact.case_type.code,
        "rosa_level": contact.rosa_level,
        "outcome": contact.outcome,
        "duration_seconds": contact.duration_seconds,
        "note": contact.note,
        "is_repeat": contact.is_repeat,
    }
