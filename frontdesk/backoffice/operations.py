"""What happens to a referral in the back office: one function per action, each audited.

Every change is an UPDATE guarded by the version read before it (optimistic
locking): of any number of simultaneous claims exactly one matches, the others
find a newer version and are refused with the current state. Callers may pass
the version the user saw (HTTP If-Match); a stale one raises StaleVersion.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.backoffice.deadlines import extend_for_parking
from frontdesk.extensions import db
from frontdesk.inbox.operations import reply_address
from frontdesk.mail import texts
from frontdesk.mail.notifications import notify_new_referral
from frontdesk.mail.outbox import enqueue
from frontdesk.models import InboxMessage, MailKind, Queue, Referral, User
from frontdesk.models.catalog import REASON_MAX
from frontdesk.models.contact import ReachBy
from frontdesk.models.referral import (
    ACTION_RULES,
    OPEN_REFERRAL_STATUSES,
    ReferralAction,
    ReferralStatus,
)
from frontdesk.roles import Role
from frontdesk.tallies import referral_answered
from frontdesk.timeutil import local_today, utcnow
from kanaler import mask_personnummer

MAX_PARK_DAYS = 365
NOTE_MAX = 2000
NO_ADDRESS = "Medborgaren har inte lämnat någon e-postadress; välj att disken ringer upp."


class AnswerDelivery(StrEnum):
    """Where the handler's answer goes."""

    CALLBACK = "callback"  # back to the front desk, which calls the citizen
    EMAIL = "email"  # straight to the citizen by e-mail; the referral is closed
    CLOSE = "close"  # closed without a reply (the matter is settled otherwise)

    @property
    def label(self) -> str:
        return {
            "callback": "Disken ringer upp medborgaren",
            "email": "Skicka svaret med e-post till medborgaren",
            "close": "Avsluta remissen utan svar",
        }[self.value]


class NoAddress(Exception):
    """The answer should go by e-mail but the matter has no address to send it to."""

    def __init__(self):
        super().__init__(NO_ADDRESS)


class ReferralConflict(Exception):
    """The action does not fit the referral's current state (HTTP 409); message in Swedish."""

    def __init__(self, referral: Referral, message: str):
        super().__init__(message)
        self.referral = referral
        self.message = message


class StaleVersion(Exception):
    """The caller saw an older version of the referral (HTTP 412)."""

    def __init__(self, referral: Referral):
        super().__init__("stale version")
        self.referral = referral


@dataclass(frozen=True)
class Change:
    action: str
    values: dict
    note: str = ""


def _holder_name(referral: Referral) -> str:
    return referral.claimed_by.name if referral.claimed_by else "någon annan"


def _apply(referral: Referral, user: User, change: Change, seen_version: int | None) -> Referral:
    """Write the change if nobody changed the referral since it was read, and audit it."""
    if seen_version is not None and seen_version != referral.version:
        raise StaleVersion(referral)
    old_status = referral.status
    values = {**change.values, "version": referral.version + 1}
    result = db.session.execute(
        sa.update(Referral)
        .where(Referral.id == referral.id, Referral.version == referral.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(referral)
    if result.rowcount != 1:
        # Someone else got there first: report what the referral is now.
        if change.action == "claimed" and referral.claimed_by_id not in (None, user.id):
            raise ReferralConflict(
                referral, f"Remissen är redan tagen av {_holder_name(referral)}."
            )
        raise ReferralConflict(referral, "Remissen ändrades samtidigt av någon annan. Försök igen.")
    record(
        f"referral.{change.action}",
        "referral",
        referral.id,
        user,
        old_status=old_status,
        new_status=referral.status,
        note=change.note,
        queue=referral.queue.code,
    )
    return referral


def _resumed_due(referral: Referral, now: datetime) -> dict:
    """Leaving VANTAR: the parked working time no longer counts against the deadline."""
    if referral.status != ReferralStatus.VANTAR or referral.parked_at is None:
        return {}
    due = extend_for_parking(referral.due_at, referral.parked_at, now, referral.contact.office)
    return {"due_at": due, "parked_at": None, "parked_until": None}


ROLE_REFUSED = "Din roll kan inte göra det med remissen."


def _holder_refusal(referral: Referral) -> str:
    if referral.claimed_by_id is None:
        return "Ta remissen först."
    return f"Remissen hanteras av {_holder_name(referral)}."


def _refusal(referral: Referral, user: User, action: ReferralAction) -> str:
    """Why Referral.allowed_actions leaves the action out, in Swedish.

    The rule itself is ACTION_RULES; this only finds the words for the user.
    """
    if user.role not in ACTION_RULES[action].roles:
        return ROLE_REFUSED
    if action in (ReferralAction.CALLBACK_DONE, ReferralAction.CALLBACK_BY_EMAIL):
        return "Remissen väntar inte på återkoppling."
    taken_by_other = referral.claimed_by_id not in (None, user.id)
    if action in (ReferralAction.CLAIM, ReferralAction.RESUME) and taken_by_other:
        return f"Remissen är redan tagen av {_holder_name(referral)}."
    if action == ReferralAction.PARK and referral.status != ReferralStatus.PAGAR:
        return "Bara en remiss som du har tagit kan parkeras."
    if referral.status not in OPEN_REFERRAL_STATUSES:
        return "Remissen är redan besvarad."
    if action in (ReferralAction.CLAIM, ReferralAction.RESUME):
        return "Du har redan tagit remissen."
    if action == ReferralAction.ANSWER and referral.status != ReferralStatus.PAGAR:
        return "Ta remissen innan du svarar."
    return _holder_refusal(referral)


def _require(referral: Referral, user: User, action: ReferralAction) -> None:
    """Refuse (409) an action the referral's state machine does not allow this user now."""
    if action not in referral.allowed_actions(user):
        raise ReferralConflict(referral, _refusal(referral, user, action))


def claim(referral: Referral, user: User, seen_version: int | None = None) -> Referral:
    """Take a referral from the queue (or resume one's own parked referral)."""
    now = utcnow()
    if ReferralAction.RESUME in referral.allowed_actions(user):
        values = {"status": ReferralStatus.PAGAR, **_resumed_due(referral, now)}
        return _apply(referral, user, Change("resumed", values), seen_version)
    _require(referral, user, ReferralAction.CLAIM)
    values = {"status": ReferralStatus.PAGAR, "claimed_by_id": user.id, "claimed_at": now}
    return _apply(referral, user, Change("claimed", values), seen_version)


def release(referral: Referral, user: User, seen_version: int | None = None) -> Referral:
    """Put a claimed or parked referral back in the queue for anyone to take."""
    _require(referral, user, ReferralAction.RELEASE)
    values = {
        "status": ReferralStatus.NY,
        "claimed_by_id": None,
        "claimed_at": None,
        "park_reason": "",
        **_resumed_due(referral, utcnow()),
    }
    return _apply(referral, user, Change("released", values), seen_version)


def park(
    referral: Referral, user: User, until: date, reason: str, seen_version: int | None = None
) -> Referral:
    """Park one's referral until a date (waiting for documents); the deadline stops meanwhile."""
    _require(referral, user, ReferralAction.PARK)
    # Masking may lengthen a text (a personnummer without its dash): cut to the column.
    reason = mask_personnummer(reason)[:REASON_MAX]
    values = {
        "status": ReferralStatus.VANTAR,
        "parked_until": until,
        "parked_at": utcnow(),
        "park_reason": reason,
    }
    return _apply(referral, user, Change("parked", values, note=reason), seen_version)


def check_park_date(until: date) -> str | None:
    """A Swedish message when the date cannot be a parking date, else None."""
    today = local_today()
    if until <= today:
        return "Datumet måste ligga efter i dag."
    if until > today + timedelta(days=MAX_PARK_DAYS):
        return "Högst ett år framåt."
    return None


def forward(
    referral: Referral, user: User, queue: Queue, reason: str, seen_version: int | None = None
) -> Referral:
    """Send a misrouted referral to another organisation's queue; the first queue is kept."""
    _require(referral, user, ReferralAction.FORWARD)
    if queue.organisation_id == referral.queue.organisation_id:
        raise ReferralConflict(referral, "Välj en kö hos en annan organisation (eller omfördela).")
    values = {
        "queue_id": queue.id,
        "original_queue_id": referral.original_queue_id or referral.queue_id,
        "status": ReferralStatus.NY,
        "claimed_by_id": None,
        "claimed_at": None,
        "park_reason": "",
        **_resumed_due(referral, utcnow()),
    }
    note = f"Till {queue.name}: {mask_personnummer(reason)}"
    referral = _apply(referral, user, Change("forwarded", values, note=note), seen_version)
    contact = referral.contact
    notify_new_referral(
        referral.id, queue, contact.case_type.name, contact.office.name, referral.due_at
    )
    return referral


def reassign(
    referral: Referral,
    user: User,
    *,
    colleague: User | None = None,
    queue: Queue | None = None,
    seen_version: int | None = None,
) -> Referral:
    """Hand a referral to a colleague, or to another queue of the same organisation."""
    _require(referral, user, ReferralAction.REASSIGN)
    organisation_id = referral.queue.organisation_id
    now = utcnow()
    if colleague is not None:
        if colleague.role != Role.HANDLAGGARE or colleague.organisation_id != organisation_id:
            raise ReferralConflict(referral, "Kollegan hör inte till samma organisation.")
        values = {
            "status": ReferralStatus.PAGAR,
            "claimed_by_id": colleague.id,
            "claimed_at": now,
            **_resumed_due(referral, now),
        }
        change = Change("reassigned", values, note=f"Till {colleague.name}")
    elif queue is not None:
        if queue.organisation_id != organisation_id or queue.id == referral.queue_id:
            raise ReferralConflict(referral, "Välj en annan kö i samma organisation.")
        values = {
            "queue_id": queue.id,
            "status": ReferralStatus.NY,
            "claimed_by_id": None,
            "claimed_at": None,
            **_resumed_due(referral, now),
        }
        change = Change("reassigned", values, note=f"Till kön {queue.name}")
    else:
        raise ValueError("reassign needs a colleague or a queue")
    return _apply(referral, user, change, seen_version)


def source_messages(contact_ids: list[int]) -> dict[int, InboxMessage]:
    """The inbox messages these contacts were triaged from, by contact id: one query."""
    if not contact_ids:
        return {}
    query = sa.select(InboxMessage).where(InboxMessage.contact_id.in_(contact_ids))
    return {message.contact_id: message for message in db.session.scalars(query)}


def source_message(referral: Referral) -> InboxMessage | None:
    """The inbox message the referral's contact was triaged from, if any."""
    return source_messages([referral.contact_id]).get(referral.contact_id)


def reply_address_of(contact, message: InboxMessage | None) -> str:
    """The address the desk noted, else the source message's reply address; or ""."""
    if contact.citizen_email:
        return contact.citizen_email
    return reply_address(message) if message is not None else ""


def proposed_delivery(contact, address: str) -> AnswerDelivery:
    """Where the answer goes unless the handler says otherwise: as the citizen asked.

    By e-mail when they asked for it (or left only an address), else back to the desk.
    """
    wants_mail = contact.reach_by == ReachBy.EPOST or not contact.citizen_phone
    return AnswerDelivery.EMAIL if address and wants_mail else AnswerDelivery.CALLBACK


def citizen_address(referral: Referral) -> str:
    """Where an answer by e-mail goes (see reply_address_of)."""
    return reply_address_of(referral.contact, source_message(referral))


def _queue_answer_mail(referral: Referral, user: User, text: str, address: str) -> None:
    subject, body = texts.answer_to_citizen(referral, text, source_message(referral))
    enqueue(
        MailKind.ANSWER,
        address,
        subject,
        body,
        user=user,
        contact_id=referral.contact_id,
        referral_id=referral.id,
    )


def answer(
    referral: Referral,
    user: User,
    text: str,
    delivery: AnswerDelivery,
    seen_version: int | None = None,
) -> Referral:
    """Answer a claimed referral: to the desk for a call-back, by e-mail, or closed.

    By e-mail the mail is queued in the same transaction (the outbox) and the referral
    is closed: NoAddress, before anything is written, when there is no address.
    """
    _require(referral, user, ReferralAction.ANSWER)
    address = ""
    if delivery is AnswerDelivery.EMAIL:
        address = citizen_address(referral)
        if not address:
            raise NoAddress
    now = utcnow()
    text = mask_personnummer(text)
    callback = delivery is AnswerDelivery.CALLBACK
    values = {
        "status": ReferralStatus.ATERFORD if callback else ReferralStatus.AVSLUTAD,
        "answer": text,
        "answered_at": now,
        "answered_by_id": user.id,
        "callback": callback,
        "closed_at": None if callback else now,
    }
    referral = _apply(referral, user, Change("answered", values, note=text[:200]), seen_version)
    referral_answered(referral, now)
    if address:
        _queue_answer_mail(referral, user, text, address)
    return referral


def callback_done(referral: Referral, user: User, seen_version: int | None = None) -> Referral:
    """The front desk has called the citizen back: the referral is closed."""
    _require(referral, user, ReferralAction.CALLBACK_DONE)
    values = {"status": ReferralStatus.AVSLUTAD, "closed_at": utcnow()}
    return _apply(referral, user, Change("callback_done", values), seen_version)


def callback_by_email(referral: Referral, user: User, seen_version: int | None = None) -> Referral:
    """The desk sends the back office's answer by e-mail instead of calling: closed."""
    _require(referral, user, ReferralAction.CALLBACK_BY_EMAIL)
    address = citizen_address(referral)
    if not address:
        raise NoAddress
    values = {"status": ReferralStatus.AVSLUTAD, "closed_at": utcnow()}
    referral = _apply(referral, user, Change("callback_emailed", values), seen_version)
    _queue_answer_mail(referral, user, referral.answer, address)
    return referral


def add_note(referral: Referral, user: User, text: str) -> None:
    """A handler's note on the citizen's matter: kept in the history, the state unchanged."""
    _require(referral, user, ReferralAction.NOTE)
    text = mask_personnummer(text.strip())[:NOTE_MAX]
    record(
        "referral.noted",
        "referral",
        referral.id,
        user,
        old_status=None,
        new_status=None,
        note=text,
        queue=referral.queue.code,
    )


class NoUserAddress(Exception):
    """A handler without an e-mail address asked for notifications."""

    def __init__(self):
        super().__init__("Du har ingen e-postadress i systemet; be administratören lägga in den.")


def set_notifications(user: User, wanted: bool) -> None:
    """A handler chooses whether new referrals in their queues are mailed to them."""
    if wanted and not user.email:
        raise NoUserAddress
    user.notify_new_referrals = wanted
    db.session.flush()
    record("user.notifications", "user", user.id, user, notify_new_referrals=wanted)
