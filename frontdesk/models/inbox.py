"""Messages from the asynchronous channels waiting for triage, and imported call records."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.catalog import Office
from frontdesk.models.contact import Contact
from frontdesk.models.user import User
from frontdesk.timeutil import UTCDateTime, utcnow

INBOX_CHANNELS = ("epost", "brev", "webb", "chatt")
# English status words: the API pins `GET /api/v1/inbox?status=new`.
INBOX_STATUSES = ("new", "triaged", "answered", "spam")
SUBJECT_MAX = 500
SENDER_MAX = 320
BODY_MAX = 100_000
REPLY_MAX = 10_000


class InboxMessage(db.Model):
    """One message from e-mail, a letter, the web form or chat, until a guide handles it.

    Handling is one of: triage (it becomes an ordinary contact, referred where the
    mandate says so), a direct reply (kept), or spam. The status moves from `new`
    exactly once, by a guarded UPDATE, so two guides cannot handle the same message.
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (
        sa.CheckConstraint(in_list("channel", INBOX_CHANNELS), name="channel_known"),
        sa.CheckConstraint(in_list("status", INBOX_STATUSES), name="status_known"),
        sa.CheckConstraint(
            "status = 'new' OR handled_by_id IS NOT NULL",
            name="handled_has_handler",
        ),
        sa.Index("ix_inbox_messages_status", "status", "office_id", "received_at"),
        sa.Index("ix_inbox_messages_source", "source_hash", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender: Mapped[str] = mapped_column(sa.String(SENDER_MAX), default="")
    # Where the citizen wants the answer (e-mail), if anywhere.
    reply_to: Mapped[str] = mapped_column(sa.String(SENDER_MAX), default="")
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    topic: Mapped[str] = mapped_column(sa.String(100), default="")
    receipt: Mapped[str] = mapped_column(sa.String(20), unique=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(998), unique=True)
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    malformed: Mapped[bool] = mapped_column(default=False)
    problems: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The message as received, kept when it could not be read cleanly.
    raw: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # SHA-256 of the web form's client address: rate limits without keeping addresses.
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10), default="new")
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    office: Mapped[Office] = relationship()
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    contact: Mapped[Contact | None] = relationship()


class CallRecord(db.Model):
    """One call from the telephony platform's export: for answer rates and waiting times."""

    __tablename__ = "call_records"
    __table_args__ = (
        # Importing the same export twice adds nothing; `seq` tells apart calls that are
        # identical in the export (minute-level times, two abandoned calls at once).
        sa.UniqueConstraint(
            "called_at",
            "queue",
            "answered",
            "wait_seconds",
            "talk_seconds",
            "seq",
            name="uq_call_records",
        ),
        sa.CheckConstraint("wait_seconds >= 0 AND talk_seconds >= 0", name="durations_positive"),
        sa.Index("ix_call_records_called_at", "called_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queue: Mapped[str] = mapped_column(sa.String(100))
    answered: Mapped[bool]
    wait_seconds: Mapped[int]
    talk_seconds: Mapped[int]
    seq: Mapped[int] = mapped_column(default=0, server_default="0")
