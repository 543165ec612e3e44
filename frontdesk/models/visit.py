"""The waiting room and what citizens say afterwards: queue tickets, NKI answers, staffing targets."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.catalog import Office
from frontdesk.timeutil import UTCDateTime, utcnow
from kanaler import CHANNEL_CODES

CATEGORY_MAX = 100
DESK_MAX = 20
FEEDBACK_COMMENT_MAX = 2000
# The NKI scale each question is answered on (SCB's Nöjd Kund Index).
NKI_LOW, NKI_HIGH = 1, 10


class TicketStatus(StrEnum):
    """Where a queue ticket is; the value is what `queue_tickets.status` holds.

    vantar: in the waiting room; inropad: called to a desk; parkerad: set aside by the
    desk (the visitor fetches a paper) and called again later; ej_pa_plats: called but
    did not come; betjanad: a contact was logged for it.
    """

    VANTAR = "vantar"
    INROPAD = "inropad"
    PARKERAD = "parkerad"
    EJ_PA_PLATS = "ej_pa_plats"
    BETJANAD = "betjanad"

    @property
    def label(self) -> str:
        return {
            "vantar": "Väntar",
            "inropad": "Inropad",
            "parkerad": "Parkerad",
            "ej_pa_plats": "Ej på plats",
            "betjanad": "Betjänad",
        }[self.value]


def seconds_waited(issued_at: datetime, called_at: datetime) -> int:
    """A visitor's wait: from taking the ticket to its first call, never negative."""
    return max(0, int((called_at - issued_at).total_seconds()))


class QueueTicket(db.Model):
    """A numbered ticket (kölapp) a visitor took at an office's kiosk."""

    __tablename__ = "queue_tickets"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", [s.value for s in TicketStatus]), name="status_known"),
        # Numbers start at 1 every day at every office.
        sa.UniqueConstraint("office_id", "day", "number", name="uq_queue_tickets_number"),
        # Nästa: the oldest waiting ticket of the office.
        sa.Index("ix_queue_tickets_waiting", "office_id", "status", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    day: Mapped[date]  # the office's local day the ticket was taken
    number: Mapped[int]
    category: Mapped[str] = mapped_column(sa.String(CATEGORY_MAX), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default=TicketStatus.VANTAR.value)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The first call: the visitor's wait is issued_at to called_at.
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest call (a parked ticket is called again): what the waiting-room screen shows.
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    desk: Mapped[str] = mapped_column(sa.String(DESK_MAX), default="")
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    office: Mapped[Office] = relationship()

    @property
    def status_label(self) -> str:
        return TicketStatus(self.status).label

    @property
    def wait_seconds(self) -> int | None:
        if self.called_at is None:
            return None
        return seconds_waited(self.issued_at, self.called_at)


class FeedbackAnswer(db.Model):
    """A citizen's answer to the three NKI questions about one contact.

    Tied to what the contact was (office, channel, case type, ROSA level, day), never
    to the contact row or the guide: `contact_key` is a keyed hash of the contact's
    id, there only so a link answers once.
    """

    __tablename__ = "feedback_answers"
    __table_args__ = (
        *(
            sa.CheckConstraint(f"{q} BETWEEN {NKI_LOW} AND {NKI_HIGH}", name=f"{q}_range")
            for q in ("q1", "q2", "q3")
        ),
        sa.CheckConstraint(in_list("channel", CHANNEL_CODES), name="channel_known"),
        sa.Index("ix_feedback_answers_office_day", "office_id", "contact_day"),
        sa.Index("ix_feedback_answers_case_type_day", "case_type_id", "contact_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"))
    rosa_level: Mapped[int]
    contact_day: Mapped[date]  # the office's local day of the contact
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    q1: Mapped[int]  # overall satisfaction
    q2: Mapped[int]  # against expectations
    q3: Mapped[int]  # against an ideal
    # Masked like notes (personnummer) and blanked by `purge` like them.
    comment: Mapped[str] = mapped_column(sa.String(FEEDBACK_COMMENT_MAX), default="")


class StaffingTarget(db.Model):
    """The service level a channel is staffed for: `service_level` answered within `within_seconds`."""

    __tablename__ = "staffing_targets"
    __table_args__ = (
        sa.CheckConstraint(in_list("channel", CHANNEL_CODES), name="channel_known"),
        sa.CheckConstraint("service_level > 0 AND service_level < 1", name="level_range"),
        sa.CheckConstraint("within_seconds > 0", name="within_positive"),
    )

    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    service_level: Mapped[float]
    within_seconds: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
