"""Logging, correcting and deleting contacts. The page and the API both call these."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.audit import record
from frontdesk.backoffice.deadlines import due_at
from frontdesk.cache import CaseTypeInfo, OfficeInfo, QueueInfo, catalogue
from frontdesk.database import insert_unless_taken
from frontdesk.extensions import db
from frontdesk.mail.notifications import notify_new_referral
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    InboxMessage,
    MailState,
    Office,
    OutgoingMail,
    Queue,
    Referral,
    User,
)
from frontdesk.models.contact import NOTE_MAX_LENGTH, QUESTION_MAX_LENGTH
from frontdesk.roles import Role
from frontdesk.tallies import CONTACT_FIELDS, contact_changed, tally_fields
from frontdesk.timeutil import local_today, to_local, utcnow
from frontdesk.visitors import operations as visitor_operations
from kanaler import mask_personnummer
from kanaler.citizen import NAME_MAX, citizen_key
from rosa import Outcome, route

# A contact about the same case type from the same citizen within this time is a repeat.
REPEAT_WINDOW = timedelta(days=30)
QUESTION_MISSING = "Skriv frågan till handläggaren: den följer med remissen."


class ContactError(Exception):
    """A domain rule refused the change; the message is Swedish and shown to the user.

    `field` names the input the rule is about (the case type unless said otherwise).
    """

    def __init__(self, message: str, field: str = "case_type"):
        super().__init__(message)
        self.field = field


class SubmissionKeyReused(Exception):
    """The key was used before by the same person for a different contact."""

    def __init__(self):
        super().__init__(
            "Nyckeln har redan använts för en annan kontakt: skicka en ny nyckel för en ny kontakt."
        )


class NotYourOffice(Exception):
    """A guide logs contacts for their own office only (managers for any)."""

    def __init__(self):
        super().__init__("Du kan bara logga kontakter för ditt eget kontor.")


@dataclass
class ContactInput:
    """What the guide (or an API client) says about a contact; already validated."""

    office: Office | OfficeInfo  # a model or the catalogue cache's value: only ids are read
    channel: str
    case_type: CaseType | CaseTypeInfo
    rosa_level: int
    note: str = ""
    duration_seconds: int | None = None
    occurred_at: datetime | None = None
    put_through: bool = False
    is_repeat: bool = False
    # Who to reach (already normalised: E.164 phone, checked address) and the question.
    citizen_name: str = ""
    citizen_phone: str = ""
    citizen_email: str = ""
    reach_by: str = ""
    question: str = ""
    # The counter asks for the question whenever the contact is referred.
    question_required_if_referred: bool = False
    # An address the citizen can be found by without it being stored on the contact
    # (an inbox message's sender): only its keyed hash is kept, for repeats.
    known_email: str = ""
    # The submission's key (SUBMISSION_KEY_PATTERN): the same key from the same person
    # again is the same contact, answered as the first time (a double click, a retry).
    submission_key: str | None = None
    # The visitor's queue ticket (frontdesk.visitors): the contact serves it, once.
    ticket_id: int | None = None


TICKET_USED = "Kölappen har redan en registrerad kontakt."


def _referral_queue(case_type: CaseType):
    queue = case_type.referral_queue()
    if queue is None:
        raise ContactError(f"{case_type.organisation.name} har ingen kö att skicka remissen till.")
    return queue


def _insert_referral(
    contact_id: int, case_type: CaseType, office: Office, now: datetime
) -> tuple[int, Queue]:
    """A new referral of the contact to the case type's queue, created `now`; its id and queue.

    The caller counts it (tallies.contact_changed), with the contact's change.
    """
    queue = _referral_queue(case_type)
    due = due_at(now, case_type, office)
    referral_id = db.session.execute(
        sa.insert(Referral.__table__).returning(Referral.__table__.c.id),
        {
            "contact_id": contact_id,
            "queue_id": queue.id,
            "status": "ny",
            "created_at": now,
            "due_at": due,
            "version": 1,
        },
    ).scalar_one()
    notify_new_referral(referral_id, queue, case_type.name, office.name, due)
    return referral_id, queue


def _routed_values(data: ContactInput) -> tuple[Outcome, dict]:
    """The routing decision and the contact's columns as the guide gave them."""
    outcome = route(data.rosa_level, mandate_level(data.office, data.case_type), data.put_through)
    required = outcome is Outcome.ESKALERAT and data.question_required_if_referred
    if required and not (data.question or "").strip():
        raise ContactError(QUESTION_MISSING, field="question")
    secret = current_app.config["SECRET_KEY"]
    return outcome, {
        "office_id": data.office.id,
        "channel": data.channel,
        "case_type_id": data.case_type.id,
        "rosa_level": data.rosa_level,
        "outcome": outcome.value,
        "duration_seconds": data.duration_seconds,
        # Masking may lengthen a text (8112189876 -> XXXXXX-9876): cut to the column, as
        # PostgreSQL refuses a longer value (SQLite would keep it).
        "note": mask_personnummer(data.note or "")[:NOTE_MAX_LENGTH],
        "is_repeat": data.is_repeat,
        "citizen_name": mask_personnummer(data.citizen_name or "")[:NAME_MAX],
        "citizen_phone": data.citizen_phone or "",
        "citizen_email": data.citizen_email or "",
        "reach_by": data.reach_by or "",
        "question": mask_personnummer(data.question or "")[:QUESTION_MAX_LENGTH],
        "phone_key": citizen_key(secret, "phone", data.citizen_phone),
        "email_key": citizen_key(secret, "email", data.citizen_email or data.known_email),
    }


def _earlier_contact(values: dict, occurred_at: datetime, exclude_id: int | None = None):
    """The latest earlier contact of the same citizen about the same case type, if recent.

    Found by the keyed hashes, so the link holds after `purge` blanked the details.
    """
    keys = [
        column == values[name]
        for column, name in ((Contact.phone_key, "phone_key"), (Contact.email_key, "email_key"))
        if values[name] is not None
    ]
    if not keys:
        return None
    query = (
        sa.select(Contact.id)
        .where(
            sa.or_(*keys),
            Contact.case_type_id == values["case_type_id"],
            Contact.occurred_at >= occurred_at - REPEAT_WINDOW,
            Contact.occurred_at <= occurred_at,
        )
        .order_by(Contact.occurred_at.desc(), Contact.id.desc())
        .limit(1)
    )
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    return db.session.scalar(query)


def _link_repeat(values: dict, occurred_at: datetime, exclude_id: int | None = None) -> None:
    """Flag the contact as a repeat of an earlier one of the same citizen, if there is one."""
    earlier = _earlier_contact(values, occurred_at, exclude_id)
    values["repeat_of_id"] = earlier
    if earlier is not None:
        values["is_repeat"] = True


@dataclass(frozen=True)
class LoggedContact:
    """What logging a contact decided: its id, outcome and, when referred, the referral."""

    id: int
    outcome: Outcome
    referral_id: int | None = None
    queue: Queue | QueueInfo | None = None
    # True when the submission's key was seen before: nothing new was logged.
    replayed: bool = False


_CONTACTS = Contact.__table__
_INSERT_CONTACT = sa.insert(_CONTACTS).returning(_CONTACTS.c.id)


def _key_used(staff: User, key: str) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(Contact.staff_id == staff.id, Contact.submission_key == key)
            )
        )
    )


def _logged_before(data: ContactInput, staff: User) -> LoggedContact:
    """The first answer to a submission sent again; refused if the key named another contact."""
    first = db.session.scalars(
        sa.select(Contact).where(
            Contact.staff_id == staff.id, Contact.submission_key == data.submission_key
        )
    ).one()
    same = (first.office_id, first.case_type_id, first.channel, first.rosa_level) == (
        data.office.id,
        data.case_type.id,
        data.channel,
        data.rosa_level,
    )
    if not same:
        raise SubmissionKeyReused
    referral = first.referral
    return LoggedContact(
        first.id,
        Outcome(first.outcome),
        referral.id if referral else None,
        referral.queue if referral else None,
        replayed=True,
    )


def log_contact(data: ContactInput, staff: User) -> LoggedContact:
    """Log a contact and route it: answered at the desk, put through, or referred.

    The counter's hot path: plain INSERTs on the session's transaction instead of
    unit-of-work flushes, which cost several times more, and the office, case type,
    queue and mandate from the catalogue cache (`data` may carry models or cached values).
    """
    if staff.role == Role.VAGLEDARE and data.office.id != staff.office_id:
        raise NotYourOffice
    known = catalogue()
    data = replace(
        data, office=known.office(data.office.id), case_type=known.case_type(data.case_type.id)
    )
    outcome, values = _routed_values(data)
    if outcome is Outcome.ESKALERAT:
        _referral_queue(data.case_type)  # refuse before anything is written
    now = utcnow()
    occurred_at = data.occurred_at or now
    _link_repeat(values, occurred_at)
    row = {**values, "occurred_at": occurred_at, "created_at": now, "staff_id": staff.id}
    if data.ticket_id is not None:
        if data.submission_key is not None and _key_used(staff, data.submission_key):
            return _logged_before(data, staff)
        # Served before the contact is written: a second contact for the ticket waits
        # here for the first to commit, then finds it served.
        wait = visitor_operations.serve(data.ticket_id, data.office.id, now)
        if wait is None:
            raise ContactError(TICKET_USED, field="ticket")
        row.update(ticket_id=data.ticket_id, wait_seconds=wait)
    if data.submission_key is None:
        contact_id = db.session.execute(_INSERT_CONTACT, row).scalar_one()
    else:
        row["submission_key"] = data.submission_key
        # One statement, no race: a second transaction with the same key waits for the
        # first to commit (PostgreSQL's unique index; SQLite's write lock), then inserts
        # nothing and reads the first.
        contact_id = insert_unless_taken(
            _CONTACTS,
            row,
            ["staff_id", "submission_key"],
            where=_CONTACTS.c.submission_key.is_not(None),
        )
        if contact_id is None:
            return _logged_before(data, staff)
    referred = outcome is Outcome.ESKALERAT
    after = {name: row[name] for name in CONTACT_FIELDS}
    after["referral"] = (now, None) if referred else None
    contact_changed(None, after)
    result = LoggedContact(contact_id, outcome)
    if referred:
        result = LoggedContact(
            contact_id, outcome, *_insert_referral(contact_id, data.case_type, data.office, now)
        )
    record(
        "contact.logged",
        "contact",
        contact_id,
        staff,
        office=data.office.code,
        case_type=data.case_type.code,
        rosa_level=data.rosa_level,
        outcome=outcome.value,
        referral_id=result.referral_id,
    )
    return result


def can_change(contact: Contact, user: User) -> bool:
    """A guide corrects only their own contacts, and only on the day they were logged."""
    return contact.staff_id == user.id and to_local(contact.occurred_at).date() == local_today()


BACK_OFFICE_STARTED = "Remissen har redan börjat hanteras i backoffice; kontakten kan inte ändras."


def _handled_in_back_office(referral: Referral) -> bool:
    """Anything done to the referral in the back office (claimed, forwarded, ...) is audited."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    AuditEvent.entity == "referral", AuditEvent.entity_id == referral.id
                )
            )
        )
    )


FROM_INBOX = "Kontakten kommer från inkorgen och kan inte ändras här."


def _from_inbox(contact: Contact) -> bool:
    return bool(
        db.session.scalar(sa.select(sa.exists().where(InboxMessage.contact_id == contact.id)))
    )


def _check_changeable(contact: Contact, user: User) -> None:
    if not can_change(contact, user):
        raise ContactError("Du kan bara ändra dina egna kontakter från i dag.")
    # The message keeps pointing at its contact: the triage stands as the record.
    if _from_inbox(contact):
        raise ContactError(FROM_INBOX)
    referral = contact.referral
    if referral is not None and (referral.status != "ny" or _handled_in_back_office(referral)):
        raise ContactError(BACK_OFFICE_STARTED)


def _guarded(statement, referral: Referral) -> None:
    """Change the referral only if the back office has not touched it since it was read."""
    result = db.session.execute(
        statement.where(Referral.id == referral.id, Referral.version == referral.version),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise ContactError(BACK_OFFICE_STARTED)


def _drop_referral(contact: Contact, referral: Referral) -> None:
    _forget_mail_about(referral)
    _guarded(sa.delete(Referral), referral)
    db.session.expunge(referral)
    set_committed_value(contact, "referral", None)


def _forget_mail_about(referral: Referral, *, unlink: bool = True) -> None:
    """Unsent notifications of a referral that goes away (or to another organisation) go too.

    Sent ones stay, unlinked from a referral that is deleted. (Only the handlers'
    notifications can exist here: a referral anyone acted on is never dropped or moved.)
    """
    mail = OutgoingMail.__table__
    db.session.execute(
        sa.delete(mail).where(
            mail.c.referral_id == referral.id, mail.c.state == MailState.QUEUED.value
        )
    )
    if unlink:
        db.session.execute(
            sa.update(mail).where(mail.c.referral_id == referral.id).values(referral_id=None)
        )


def _unlink_repeats_of(contact: Contact) -> None:
    """Later contacts found as repeats of a contact being deleted: linked to what it repeated.

    When it repeated nothing they are no longer repeats (the flag came from the link), and
    their tallies follow.
    """
    later = db.session.scalars(sa.select(Contact).where(Contact.repeat_of_id == contact.id))
    for other in later:
        before = tally_fields(other)
        other.repeat_of_id = contact.repeat_of_id
        other.is_repeat = contact.repeat_of_id is not None
        db.session.flush()
        contact_changed(before, tally_fields(other))


def correct_contact(contact: Contact, data: ContactInput, user: User) -> Contact:
    """Correct a contact of today and route it again; an untouched referral follows the change."""
    _check_changeable(contact, user)
    before = _snapshot(contact)
    referral = contact.referral
    old_queue = referral.queue if referral is not None else None
    outcome, values = _routed_values(data)
    who_or_what_changed = any(
        values[name] != getattr(contact, name)
        for name in ("phone_key", "email_key", "case_type_id")
    )
    if who_or_what_changed:
        # New facts about the citizen or the matter: look for an earlier contact again.
        _link_repeat(values, contact.occurred_at, exclude_id=contact.id)
    else:
        # Otherwise the guide's tick decides, and a kept tick keeps the found link.
        values["repeat_of_id"] = contact.repeat_of_id if data.is_repeat else None
    before_fields = tally_fields(contact, referral)
    for column, value in values.items():
        setattr(contact, column, value)
    db.session.flush()
    now = utcnow()
    after_fields = tally_fields(contact, None)
    if outcome is Outcome.ESKALERAT:  # an untouched referral stays, unanswered
        after_fields["referral"] = (referral.created_at if referral else now, None)
    contact_changed(before_fields, after_fields)
    db.session.expire(contact, ["office", "case_type"])  # follow the new foreign keys
    if outcome is Outcome.ESKALERAT:
        if referral is None:
            _insert_referral(contact.id, data.case_type, data.office, now)
            db.session.expire(contact, ["referral"])
        else:  # the case type (so the queue and the SLA) may have changed
            values = {
                "queue_id": _referral_queue(data.case_type).id,
                "due_at": due_at(referral.created_at, data.case_type, data.office),
                "version": referral.version + 1,
            }
            _guarded(sa.update(Referral).values(**values), referral)
            db.session.expire(referral)
            new_queue = _referral_queue(data.case_type)
            if new_queue.organisation_id != old_queue.organisation_id:
                # It arrives in another organisation's queues: tell those who asked.
                _forget_mail_about(referral, unlink=False)
                notify_new_referral(
                    referral.id, new_queue, data.case_type.name, data.office.name, values["due_at"]
                )
    elif referral is not None:
        _drop_referral(contact, referral)
    db.session.flush()
    record(
        "contact.corrected", "contact", contact.id, user, before=before, after=_snapshot(contact)
    )
    return contact


def delete_contact(contact: Contact, user: User) -> None:
    """Delete a contact of today logged by mistake, with its untouched referral."""
    _check_changeable(contact, user)
    record("contact.deleted", "contact", contact.id, user, before=_snapshot(contact))
    # Contact tallies before the referral tally, as every transaction takes them.
    _unlink_repeats_of(contact)
    contact_changed(tally_fields(contact), None)
    if contact.referral is not None:
        _drop_referral(contact, contact.referral)
    ticket_id = contact.ticket_id
    db.session.delete(contact)
    db.session.flush()
    if ticket_id is not None:
        # The visitor is still at the desk: the ticket waits for the contact logged instead.
        visitor_operations.unserve(ticket_id)


def set_repeat(contact: Contact, is_repeat: bool, user: User) -> Contact:
    """Flag (or unflag) a contact as a repeat about the same matter: failure demand."""
    if not can_change(contact, user):
        raise ContactError("Du kan bara ändra dina egna kontakter från i dag.")
    before_fields = tally_fields(contact)
    contact.is_repeat = is_repeat
    if not is_repeat:  # the guide knows better than the match: it is a new matter
        contact.repeat_of_id = None
    db.session.flush()
    contact_changed(before_fields, tally_fields(contact))
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
        "repeat_of": contact.repeat_of_id,
    }
