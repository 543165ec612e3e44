"""Receiving and handling inbox messages. Each handling moves the status from `new` once."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.counter.operations import ContactInput, LoggedContact, log_contact
from frontdesk.database import insert_unless_taken, lock_for_the_transaction
from frontdesk.extensions import db
from frontdesk.mail import texts
from frontdesk.mail.outbox import enqueue
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import InboxMessage, MailKind, Office, User
from frontdesk.models.inbox import BODY_MAX, REPLY_MAX, SENDER_MAX, SUBJECT_MAX
from frontdesk.roles import Role
from frontdesk.timeutil import EARLIEST_YEAR, LOCAL_TZ, local_today, utcnow
from kanaler import mask_personnummer
from kanaler.citizen import address_of
from rosa import Outcome, route

NO_REPLY_ADDRESS = (
    "Meddelandet har ingen e-postadress att svara till. Triagera det, eller kontakta "
    "avsändaren på annat sätt."
)

# Crockford-style alphabet: no I, L, O, U, so a receipt read over the phone is unambiguous.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class InboxConflict(Exception):
    """Someone else handled the message first; `message` is as it is now."""

    def __init__(self, message: InboxMessage):
        who = message.handled_by.name if message.handled_by else "någon annan"
        super().__init__(f"Meddelandet är redan hanterat av {who}.")
        self.message = message


class InboxRefused(Exception):
    """A domain rule refused the handling; the text is Swedish and shown to the guide.

    `field` names the input the rule is about.
    """

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class OtherOffice(Exception):
    """A guide acted for another office than their own (HTTP 403); message in Swedish."""


def _own_office(user: User | None, office: Office, doing: str) -> None:
    """A guide works for their own office only; chef and admin for any."""
    if user is not None and user.role == Role.VAGLEDARE and office.id != user.office_id:
        raise OtherOffice(f"Du kan bara {doing} till ditt eget kontor.")


def visible_messages(user: User) -> sa.Select:
    """The messages a user may see: a guide their office's, chef and admin every office's."""
    query = sa.select(InboxMessage)
    if user.role == Role.VAGLEDARE:
        query = query.where(InboxMessage.office_id == user.office_id)
    return query


def new_receipt(channel: str) -> str:
    prefix = {"epost": "E", "brev": "B", "webb": "W", "chatt": "C"}[channel]
    return prefix + "-" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))


@dataclass
class Incoming:
    """A message as an intake adapter read it, before it is stored."""

    channel: str
    office: Office
    sender: str = ""
    reply_to: str = ""
    subject: str = ""
    body: str = ""
    received_at: datetime | None = None
    topic: str = ""
    message_id: str | None = None
    attachments: list | None = None
    malformed: bool = False
    problems: list | None = None
    raw: bytes | None = None
    source_hash: str | None = None


def _clean(text: str, limit: int) -> str:
    return mask_personnummer((text or "").replace("\x00", ""))[:limit]


def receive(incoming: Incoming, user: User | None = None) -> InboxMessage | None:
    """Store a message in the inbox; None when one with the same Message-ID is there already.

    A guide hands over messages to their own office only (OtherOffice).
    """
    _own_office(user, incoming.office, "lämna meddelanden")
    values = {
        "channel": incoming.channel,
        "office_id": incoming.office.id,
        "received_at": incoming.received_at or utcnow(),
        "sender": _clean(incoming.sender, SENDER_MAX),
        "reply_to": (incoming.reply_to or "")[:SENDER_MAX],
        "subject": _clean(incoming.subject, SUBJECT_MAX),
        "body": _clean(incoming.body, BODY_MAX),
        "topic": _clean(incoming.topic, 100),
        "receipt": new_receipt(incoming.channel),
        "message_id": incoming.message_id[:998] if incoming.message_id else None,
        "attachments": incoming.attachments or [],
        "malformed": incoming.malformed,
        "problems": incoming.problems or [],
        "raw": incoming.raw,
        "source_hash": incoming.source_hash,
        "status": "new",
        "created_by_id": user.id if user else None,
    }
    if values["message_id"] is None:
        message_id = db.session.execute(
            sa.insert(InboxMessage.__table__).returning(InboxMessage.__table__.c.id), values
        ).scalar_one()
    else:
        message_id = insert_unless_taken(InboxMessage.__table__, values, ["message_id"])
        if message_id is None:
            return None
    record(
        "inbox.received",
        "inbox_message",
        message_id,
        user,
        channel=incoming.channel,
        office=incoming.office.code,
        receipt=values["receipt"],
        malformed=incoming.malformed,
    )
    return db.session.get(InboxMessage, message_id)


def _take(message: InboxMessage, user: User, status: str, **values) -> None:
    """Move the message from `new` to `status`, or raise InboxConflict if someone was first."""
    result = db.session.execute(
        sa.update(InboxMessage)
        .where(InboxMessage.id == message.id, InboxMessage.status == "new")
        .values(status=status, handled_by_id=user.id, handled_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(message)
    if result.rowcount != 1:
        raise InboxConflict(message)


def reply_address(message: InboxMessage) -> str:
    """Where an answer to the message goes: its reply address, else the sender's; or ""."""
    return address_of(message.reply_to) or address_of(message.sender)


def _contact_input(message: InboxMessage, data: ContactInput) -> ContactInput:
    note = f"{message.receipt}: {message.subject}".strip()[:2000]
    return ContactInput(
        office=data.office,
        channel=message.channel,
        case_type=data.case_type,
        rosa_level=data.rosa_level,
        note=note,
        occurred_at=message.received_at,
        put_through=data.put_through,
        # The message keeps the address; the contact keeps only its keyed hash (repeats).
        known_email=reply_address(message),
    )


def triage(message: InboxMessage, data: ContactInput, user: User) -> LoggedContact:
    """Turn the message into an ordinary contact, routed like one logged at the counter.

    A guide handles messages for their own office only (OtherOffice).
    """
    _own_office(user, data.office, "hantera meddelanden")
    _take(message, user, "triaged")
    logged = log_contact(_contact_input(message, data), user)
    db.session.execute(
        sa.update(InboxMessage).where(InboxMessage.id == message.id).values(contact_id=logged.id)
    )
    db.session.expire(message)
    record(
        "inbox.triaged",
        "inbox_message",
        message.id,
        user,
        contact_id=logged.id,
        outcome=logged.outcome.value,
        referral_id=logged.referral_id,
    )
    return logged


def reply(message: InboxMessage, data: ContactInput, text: str, user: User) -> LoggedContact:
    """Answer the message directly: a contact answered at first contact, the reply mailed.

    The reply goes to the sender through the outbox, in this transaction; a message with
    no address to answer is refused before anything is written (a letter: triage it).
    A guide handles messages for their own office only (OtherOffice).
    """
    _own_office(user, data.office, "hantera meddelanden")
    text = mask_personnummer(text.strip())[:REPLY_MAX]
    if not text:
        raise InboxRefused("Skriv svaret.", "reply")
    address = reply_address(message)
    if not address:
        raise InboxRefused(NO_REPLY_ADDRESS, "reply")
    # Refuse before anything is written: above the mandate the desk may not answer.
    mandate = mandate_level(data.office, data.case_type)
    if route(data.rosa_level, mandate, data.put_through) is not Outcome.INFORMERAT:
        raise InboxRefused(
            f"Nivå {data.rosa_level} ligger över kontorets mandat ({mandate}) för ärendetypen; "
            "triagera meddelandet så att det blir en remiss.",
            "rosa_level",
        )
    _take(message, user, "answered", reply=text)
    logged = log_contact(_contact_input(message, data), user)
    db.session.execute(
        sa.update(InboxMessage).where(InboxMessage.id == message.id).values(contact_id=logged.id)
    )
    db.session.expire(message)
    record("inbox.answered", "inbox_message", message.id, user, contact_id=logged.id)
    subject, body = texts.reply_to_message(message, text, logged.id)
    enqueue(
        MailKind.REPLY,
        address,
        subject,
        body,
        user=user,
        contact_id=logged.id,
        inbox_message_id=message.id,
    )
    return logged


def mark_spam(message: InboxMessage, user: User) -> None:
    """Set the message aside as spam: no contact, nothing counted."""
    _take(message, user, "spam")
    record("inbox.spam", "inbox_message", message.id, user)


class TooManyQuestions(Exception):
    """The web form's limit per client address and hour is reached."""


QUESTION_WINDOW = timedelta(hours=1)


def ask_question(
    office: Office, question: str, email: str, topic: str, source_hash: str, limit: int
) -> InboxMessage:
    """A citizen's question from the web form, unless the address asked `limit` times this hour.

    Posts from one address wait for each other on PostgreSQL (an advisory lock), so
    simultaneous ones cannot all pass the count. On SQLite the count is taken again with
    the new question in, after the write lock is held. TooManyQuestions after the insert
    relies on the request failing (4xx), which rolls the insert back.
    """
    lock_for_the_transaction("web-form:" + source_hash)
    since = utcnow() - QUESTION_WINDOW
    if recent_from_source(source_hash, since) >= limit:
        raise TooManyQuestions
    message = receive(
        Incoming(
            channel="webb",
            office=office,
            sender=email,
            reply_to=email,
            subject=(topic or "Fråga via webbformuläret")[:200],
            body=question,
            topic=topic,
            source_hash=source_hash,
        )
    )
    if recent_from_source(source_hash, since) > limit:
        raise TooManyQuestions
    address = address_of(email)
    if address:
        subject, body = texts.web_form_receipt(message)
        enqueue(MailKind.RECEIPT, address, subject, body, inbox_message_id=message.id)
    return message


def register_letter(
    office: Office, sender: str, subject: str, body: str, received_on: date, user: User
) -> InboxMessage:
    """A paper letter as an inbox message with channel brev; InboxRefused for a bad date."""
    if received_on > local_today():
        raise InboxRefused("Datumet ligger i framtiden.", "received_on")
    if received_on.year < EARLIEST_YEAR:
        raise InboxRefused(f"Datumet ligger före {EARLIEST_YEAR}.", "received_on")
    # A letter has a date, not a time: noon keeps it on that day in any zone (or now,
    # for a letter registered this morning).
    received = min(datetime.combine(received_on, time(12), tzinfo=LOCAL_TZ), utcnow())
    return receive(
        Incoming(
            channel="brev",
            office=office,
            sender=sender,
            subject=subject,
            body=body,
            received_at=received,
        ),
        user,
    )


def recent_from_source(source_hash: str, since: datetime) -> int:
    """How many web-form messages this client address sent since `since`."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.source_hash == source_hash, InboxMessage.received_at >= since)
    )
