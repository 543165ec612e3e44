"""Retention: the free text of closed matters is removed once they are old enough.

What a citizen told the office (notes, messages, addresses, the back office's answers,
the comments of NKI answers)
is needed while the matter is open and for a while after, when the citizen comes back
about it; statistics never need it. `purge` blanks it for closed matters older than a
limit and leaves every row, status, time stamp and tally in place, so every figure of
the overview, the staircase and the channel report stays the same.

A matter is closed when its contact has no referral, or its referral is `avslutad`; an
inbox message when a guide has handled it (triaged, answered or spam) and the contact it
became, if any, is closed. "Older than" counts from the last thing that happened: the
contact's time and, for a referral, its closing; for a message, its arrival and
handling. Open matters are never touched, however old.
"""

import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    Contact,
    FeedbackAnswer,
    InboxMessage,
    MailState,
    OutgoingMail,
    Referral,
)
from frontdesk.models.referral import ReferralStatus
from frontdesk.timeutil import LOCAL_TZ, utcnow

# Two years: a citizen who comes back about a matter within a year or two finds the
# note and the answer; the statistics read only the columns and tallies that are kept. A municipality's own document management plan
# (dokumenthanteringsplan) decides in the end: pass --older-than accordingly.
DEFAULT_RETENTION_MONTHS = 24
MAX_RETENTION_MONTHS = 1200

# Audit events whose `note` is text a person typed about the matter. Other referral
# events' notes ("Till kollega ...") are the app's own words and stay.
REFERRAL_TEXT_ACTIONS = (
    "referral.answered",
    "referral.parked",
    "referral.forwarded",
    "referral.noted",
)
CONTACT_TEXT_ACTIONS = ("contact.corrected", "contact.deleted")
# Failed and refused logins keep the name someone typed, which may be a citizen's
# name or a mistyped password; they age out like the matters.
LOGIN_TEXT_ACTIONS = ("auth.login_failed", "auth.login_refused")
BATCH = 1000


def cutoff(months: int, now: datetime | None = None) -> datetime:
    """The instant `months` calendar months before now (Stockholm calendar), in UTC.

    The day is clamped to the month's length: 24 months before 29 February is 28 February.
    """
    if not 1 <= months <= MAX_RETENTION_MONTHS:
        raise ValueError(f"months must be 1..{MAX_RETENTION_MONTHS}")
    local = (now or utcnow()).astimezone(LOCAL_TZ)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = local.day
    while True:
        try:
            moment = local.replace(year=year, month=month, day=day)
            break
        except ValueError:
            day -= 1
    return moment.astimezone(UTC)


@dataclass
class PurgeResult:
    """What a purge removed (or, in a dry run, would remove), per kind."""

    cutoff: datetime
    contact_notes: int = 0
    citizen_details: int = 0
    referral_texts: int = 0
    mails: int = 0
    inbox_messages: int = 0
    audit_events: int = 0
    feedback_comments: int = 0
    attachment_folders: int = 0
    # The attachment folders to delete once the transaction has committed.
    folders: list[Path] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        return {
            key: value for key, value in asdict(self).items() if key not in ("cutoff", "folders")
        }


def _referral_closed_at() -> sa.ColumnElement:
    return sa.func.coalesce(Referral.closed_at, Referral.answered_at, Referral.created_at)


def _contact_closed(limit: datetime) -> sa.ColumnElement[bool]:
    """A contact older than the limit with no referral, or one closed before the limit."""
    still_open = (
        sa.select(Referral.id)
        .where(Referral.contact_id == Contact.id)
        .where(
            sa.not_(
                sa.and_(Referral.status == ReferralStatus.AVSLUTAD, _referral_closed_at() < limit)
            )
        )
    )
    return sa.and_(Contact.occurred_at < limit, ~sa.exists(still_open))


def _referral_closed(limit: datetime) -> sa.ColumnElement[bool]:
    """A referral closed before the limit, of a contact older than it."""
    old_contact = sa.select(Contact.id).where(
        Contact.id == Referral.contact_id, Contact.occurred_at < limit
    )
    return sa.and_(
        Referral.status == ReferralStatus.AVSLUTAD,
        _referral_closed_at() < limit,
        sa.exists(old_contact),
    )


def _message_closed(limit: datetime) -> sa.ColumnElement[bool]:
    """A handled message older than the limit whose contact, if any, is a closed matter."""
    closed_contact = sa.select(Contact.id).where(
        Contact.id == InboxMessage.contact_id, _contact_closed(limit)
    )
    return sa.and_(
        InboxMessage.status != "new",
        InboxMessage.received_at < limit,
        sa.func.coalesce(InboxMessage.handled_at, InboxMessage.received_at) < limit,
        sa.or_(InboxMessage.contact_id.is_(None), sa.exists(closed_contact)),
    )


# Who to reach and what they asked; the keyed hashes (phone_key, email_key) stay, so a
# later repeat still links, but nothing readable is left.
_CITIZEN_HAS_TEXT = sa.or_(
    Contact.citizen_name != "",
    Contact.citizen_phone != "",
    Contact.citizen_email != "",
    Contact.question != "",
)
_CITIZEN_BLANK = {"citizen_name": "", "citizen_phone": "", "citizen_email": "", "question": ""}


def _mail_closed(limit: datetime) -> sa.ColumnElement[bool]:
    """A mail older than the limit, out of the deliverer's hands, about closed matters only."""
    closed_contact = sa.select(Contact.id).where(
        Contact.id == OutgoingMail.contact_id, _contact_closed(limit)
    )
    closed_referral = sa.select(Referral.id).where(
        Referral.id == OutgoingMail.referral_id, _referral_closed(limit)
    )
    closed_message = sa.select(InboxMessage.id).where(
        InboxMessage.id == OutgoingMail.inbox_message_id, _message_closed(limit)
    )
    return sa.and_(
        OutgoingMail.created_at < limit,
        OutgoingMail.state.not_in([MailState.QUEUED.value, MailState.SENDING.value]),
        sa.or_(OutgoingMail.contact_id.is_(None), sa.exists(closed_contact)),
        sa.or_(OutgoingMail.referral_id.is_(None), sa.exists(closed_referral)),
        sa.or_(OutgoingMail.inbox_message_id.is_(None), sa.exists(closed_message)),
        sa.or_(OutgoingMail.body != "", OutgoingMail.to_address != ""),
    )


def _json_text(column) -> sa.ColumnElement:
    return sa.cast(column, sa.Text)


# A message with anything left to remove; a purged one has none of these.
_MESSAGE_HAS_TEXT = sa.or_(
    InboxMessage.sender != "",
    InboxMessage.reply_to != "",
    InboxMessage.subject != "",
    InboxMessage.body != "",
    InboxMessage.topic != "",
    InboxMessage.reply != "",
    InboxMessage.raw.is_not(None),
    InboxMessage.source_hash.is_not(None),
    _json_text(InboxMessage.attachments) != "[]",
    _json_text(InboxMessage.problems) != "[]",
)
_MESSAGE_BLANK = {
    "sender": "",
    "reply_to": "",
    "subject": "",
    "body": "",
    "topic": "",
    "reply": "",
    "raw": None,
    "source_hash": None,
    "attachments": [],
    "problems": [],
}


def _count(model, condition: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(condition))


def _without_text(action: str, data: dict) -> dict | None:
    """The event's data with the typed text blanked, or None when there is none."""
    if action in LOGIN_TEXT_ACTIONS:
        return {**data, "username": ""} if data.get("username") else None
    if action in REFERRAL_TEXT_ACTIONS:
        note = data.get("note") or ""
        if not note:
            return None
        # "Till Socialförvaltningen: reason": the queue it went to is kept, the reason not.
        kept = note.partition(": ")[0] if action == "referral.forwarded" else ""
        return None if kept == note else {**data, "note": kept}
    changed = dict(data)
    for key in ("before", "after"):
        snapshot = data.get(key)
        if isinstance(snapshot, dict) and snapshot.get("note"):
            changed[key] = {**snapshot, "note": ""}
    return changed if changed != data else None


def _events_with_text(limit: datetime) -> Iterator[tuple[int, dict]]:
    """(id, blanked data) of the audit events of closed matters that hold typed text."""
    queries = (
        sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.data).where(
            AuditEvent.entity == "referral",
            AuditEvent.action.in_(REFERRAL_TEXT_ACTIONS),
            AuditEvent.entity_id.in_(sa.select(Referral.id).where(_referral_closed(limit))),
        ),
        sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.data).where(
            AuditEvent.entity == "contact",
            AuditEvent.action == "contact.corrected",
            AuditEvent.entity_id.in_(sa.select(Contact.id).where(_contact_closed(limit))),
        ),
        # A deleted contact is no matter at all any more: its text goes with age alone.
        sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.data).where(
            AuditEvent.entity == "contact",
            AuditEvent.action == "contact.deleted",
            AuditEvent.at < limit,
        ),
        sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.data).where(
            AuditEvent.entity == "user",
            AuditEvent.action.in_(LOGIN_TEXT_ACTIONS),
            AuditEvent.at < limit,
        ),
    )
    for query in queries:
        for event_id, action, data in db.session.execute(query.order_by(AuditEvent.id)):
            blanked = _without_text(action, data or {})
            if blanked is not None:
                yield event_id, blanked


def _attachment_folders(limit: datetime, attachments_dir: str | None) -> list[Path]:
    """Folders under MAIL_ATTACHMENTS_DIR that belong to closed messages older than the limit.

    Read from the disk, not from what this run blanks: a folder left behind by a run whose
    deletion failed is found again by the next.
    """
    if not attachments_dir:
        return []
    root = Path(attachments_dir)
    if not root.is_dir():
        return []
    names = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    folders = []
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        receipts = db.session.scalars(
            sa.select(InboxMessage.receipt).where(
                InboxMessage.receipt.in_(chunk), _message_closed(limit)
            )
        )
        folders.extend(root / receipt for receipt in receipts)
    return sorted(folders)


def purge(
    months: int,
    *,
    dry_run: bool = False,
    attachments_dir: str | None = None,
    now: datetime | None = None,
) -> PurgeResult:
    """Blank the free text of closed matters older than `months`; one audit event.

    Writes in the session's transaction and never commits; a dry run writes nothing and
    only counts. The attachment folders in `result.folders` are for the caller to delete
    with `remove_folders` once the transaction has committed: files cannot be rolled back.
    """
    limit = cutoff(months, now)
    result = PurgeResult(cutoff=limit)
    contacts = sa.and_(_contact_closed(limit), Contact.note != "")
    referrals = sa.and_(
        _referral_closed(limit), sa.or_(Referral.answer != "", Referral.park_reason != "")
    )
    messages = sa.and_(_message_closed(limit), _MESSAGE_HAS_TEXT)
    citizens = sa.and_(_contact_closed(limit), _CITIZEN_HAS_TEXT)
    mails = _mail_closed(limit)
    # A citizen's NKI comment is tied to no matter: it ages from when it was written.
    comments = sa.and_(FeedbackAnswer.answered_at < limit, FeedbackAnswer.comment != "")
    events = list(_events_with_text(limit))
    result.contact_notes = _count(Contact, contacts)
    result.citizen_details = _count(Contact, citizens)
    result.mails = _count(OutgoingMail, mails)
    result.referral_texts = _count(Referral, referrals)
    result.inbox_messages = _count(InboxMessage, messages)
    result.audit_events = len(events)
    result.feedback_comments = _count(FeedbackAnswer, comments)
    result.folders = _attachment_folders(limit, attachments_dir)
    result.attachment_folders = len(result.folders)
    if dry_run:
        return result
    db.session.execute(
        sa.update(Referral).where(referrals).values(answer="", park_reason=""),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.update(InboxMessage).where(messages).values(**_MESSAGE_BLANK),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.update(Contact).where(contacts).values(note=""),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.update(Contact).where(citizens).values(**_CITIZEN_BLANK),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.update(FeedbackAnswer).where(comments).values(comment=""),
        execution_options={"synchronize_session": False},
    )
    # The mail's row, kind, state and times stay; to whom and what it said do not.
    db.session.execute(
        sa.update(OutgoingMail).where(mails).values(to_address="", subject="", body=""),
        execution_options={"synchronize_session": False},
    )
    table = AuditEvent.__table__
    update_event = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("event_id"))
        .values(data=sa.bindparam("new_data", type_=table.c.data.type))
    )
    for start in range(0, len(events), BATCH):
        db.session.connection().execute(
            update_event,
            [{"event_id": i, "new_data": data} for i, data in events[start : start + BATCH]],
        )
    record(
        "retention.purged",
        "retention",
        None,
        None,
        months=months,
        cutoff=limit.isoformat(),
        **result.counts(),
    )
    return result


def remove_folders(folders: list[Path]) -> list[tuple[Path, OSError]]:
    """Delete the attachment folders (after the commit); the ones that failed, with why."""
    failed = []
    for folder in folders:
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            continue
        except OSError as error:
            failed.append((folder, error))
    return failed
