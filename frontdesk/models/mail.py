"""The outbox: every e-mail the app sends, written in the transaction that causes it."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.user import User
from frontdesk.timeutil import UTCDateTime, utcnow

MAIL_SUBJECT_MAX = 300
MAIL_ERROR_MAX = 1000


class MailState(StrEnum):
    """Where a mail is on its way out.

    queued: waiting for `deliver-mail` (again, after a temporary failure: `last_error`
    and `next_attempt_at` say why and when); sending: claimed by a deliverer that is
    talking to the server now; sent: the server accepted it; failed: the server refused
    it for good (5xx) and nobody will retry; uncertain: a deliverer claimed it and
    vanished (a crash between the server's answer and the mark), so it may or may not
    have gone out, and it is not sent again unless a person says so.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"

    @property
    def label(self) -> str:
        return {
            "queued": "Väntar på att skickas",
            "sending": "Skickas nu",
            "sent": "Skickat",
            "failed": "Kunde inte skickas",
            "uncertain": "Osäkert om det skickades",
        }[self.value]


class MailKind(StrEnum):
    """Why the mail was written."""

    ANSWER = "answer"  # a handler's answer straight to the citizen
    REPLY = "reply"  # the inbox's direct reply
    RECEIPT = "receipt"  # the web form's receipt
    NEW_REFERRAL = "new_referral"  # to a handler: a referral arrived in their queues
    OVERDUE_DIGEST = "overdue_digest"  # to a handler: the organisation's overdue referrals
    PASSWORD_RESET = "password_reset"  # to a staff member: an admin's link to choose a password

    @property
    def label(self) -> str:
        return {
            "answer": "Svar till medborgaren",
            "reply": "Svar på meddelandet",
            "receipt": "Mottagningskvitto",
            "new_referral": "Avisering om ny remiss",
            "overdue_digest": "Försenade remisser",
            "password_reset": "Länk för nytt lösenord",
        }[self.value]


class OutgoingMail(db.Model):
    """One e-mail to one recipient: a transactional outbox row, delivered by `deliver-mail`."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        sa.CheckConstraint(in_list("state", [s.value for s in MailState]), name="state_known"),
        sa.CheckConstraint(in_list("kind", [k.value for k in MailKind]), name="kind_known"),
        # The deliverer's question: which queued mails are due?
        sa.Index("ix_outgoing_mail_due", "state", "next_attempt_at"),
        sa.Index("ix_outgoing_mail_referral", "referral_id"),
        sa.Index("ix_outgoing_mail_message", "inbox_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(10), default=MailState.QUEUED.value)
    # Set when queued and sent unchanged on every attempt, so a receiver can tell a
    # resend from a new mail.
    message_id: Mapped[str] = mapped_column(sa.String(998), unique=True)  # RFC 5322's line
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(MAIL_SUBJECT_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"))
    inbox_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_messages.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The server's answer (or the connection error) of the last failed attempt.
    last_error: Mapped[str] = mapped_column(
        sa.String(MAIL_ERROR_MAX), default="", server_default=""
    )

    created_by: Mapped[User | None] = relationship()

    @property
    def state_label(self) -> str:
        return MailState(self.state).label

    @property
    def kind_label(self) -> str:
        return MailKind(self.kind).label
