"""Citizen contacts logged at the counter, and the referrals the mandate rule creates."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.catalog import CaseType, Office
from frontdesk.models.user import User
from frontdesk.roles import MANAGER_ROLES, Role
from frontdesk.timeutil import UTCDateTime, utcnow
from kanaler import CHANNEL_CODES
from kanaler.citizen import ReachBy  # noqa: F401  (the column's vocabulary)
from rosa import OUTCOMES

NOTE_MAX_LENGTH = 2000
QUESTION_MAX_LENGTH = 2000
# A contact longer than a working day was not one contact.
MAX_DURATION_SECONDS = 8 * 3600
# A submission's key (the counter form's hidden key, an API client's Idempotency-Key):
# printable ASCII without spaces, as the IETF Idempotency-Key draft's examples.
SUBMISSION_KEY_MAX = 100
SUBMISSION_KEY_PATTERN = rf"^[\x21-\x7e]{{1,{SUBMISSION_KEY_MAX}}}$"


class Contact(db.Model):
    """One citizen contact: who came through which channel about what, and what happened."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.CheckConstraint("rosa_level BETWEEN 1 AND 8", name="rosa_level_range"),
        sa.CheckConstraint(in_list("channel", CHANNEL_CODES), name="channel_known"),
        sa.CheckConstraint(in_list("outcome", OUTCOMES), name="outcome_known"),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name="duration_not_negative"
        ),
        # The counter's "today" list and the type-ahead's usage order read by office and time.
        sa.Index("ix_contacts_office_occurred", "office_id", "occurred_at", "case_type_id"),
        sa.Index("ix_contacts_case_type_occurred", "case_type_id", "occurred_at"),
        sa.CheckConstraint(
            "reach_by = '' OR " + in_list("reach_by", [r.value for r in ReachBy]),
            name="reach_by_known",
        ),
        # Repeat detection: the same citizen (by keyed hash) about the same case type lately.
        sa.Index("ix_contacts_phone_key", "phone_key", "case_type_id", "occurred_at"),
        sa.Index("ix_contacts_email_key", "email_key", "case_type_id", "occurred_at"),
        # A submission is logged once per person: the counter form's one-time key and an
        # API client's Idempotency-Key. Partial, so contacts without a key cost nothing.
        sa.Index(
            "ux_contacts_submission",
            "staff_id",
            "submission_key",
            unique=True,
            sqlite_where=sa.text("submission_key IS NOT NULL"),
            postgresql_where=sa.text("submission_key IS NOT NULL"),
        ),
        sa.Index(
            "ux_contacts_ticket",
            "ticket_id",
            unique=True,
            sqlite_where=sa.text("ticket_id IS NOT NULL"),
            postgresql_where=sa.text("ticket_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"))
    rosa_level: Mapped[int]
    outcome: Mapped[str] = mapped_column(sa.String(12))
    duration_seconds: Mapped[int | None]
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX_LENGTH), default="")
    is_repeat: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who to reach and what they asked: travels with a referral, blanked by `purge`.
    citizen_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    citizen_phone: Mapped[str] = mapped_column(
        sa.String(20), default="", server_default=""
    )  # E.164
    citizen_email: Mapped[str] = mapped_column(sa.String(320), default="", server_default="")
    reach_by: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    question: Mapped[str] = mapped_column(
        sa.String(QUESTION_MAX_LENGTH), default="", server_default=""
    )
    # Keyed hashes of the normalised phone and address (kanaler.citizen.citizen_key): they
    # outlive the purge so a repeat still finds the earlier contact.
    phone_key: Mapped[str | None] = mapped_column(sa.String(64))
    email_key: Mapped[str | None] = mapped_column(sa.String(64))
    # The earlier contact this one repeats (found by the keys, or None when flagged by hand).
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    # The key the submission came with (SUBMISSION_KEY_PATTERN), unique per staff member.
    submission_key: Mapped[str | None] = mapped_column(sa.String(SUBMISSION_KEY_MAX))
    # The visitor's queue ticket (a ticket serves one contact) and how long they waited
    # for it to be called: copied here so the contact says it after the ticket is gone.
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queue_tickets.id"))
    wait_seconds: Mapped[int | None]

    office: Mapped[Office] = relationship()
    case_type: Mapped[CaseType] = relationship()
    staff: Mapped[User | None] = relationship()
    referral: Mapped["Referral | None"] = relationship(back_populates="contact")  # noqa: F821

    @property
    def has_citizen(self) -> bool:
        return bool(self.citizen_name or self.citizen_phone or self.citizen_email)

    def visible_to(self, user: User) -> bool:
        """Managers see every contact, a guide their office's, a handler those referred to
        their organisation."""
        if user.has_role(*MANAGER_ROLES):
            return True
        if user.role == Role.VAGLEDARE:
            return self.office_id == user.office_id
        referral = self.referral
        return (
            user.role == Role.HANDLAGGARE
            and referral is not None
            and referral.queue.organisation_id == user.organisation_id
        )


class ContactDayTally(db.Model):
    """Contacts per local day, office, case type and level: what the staircase reads.

    Kept in step with `contacts` by the operations that write contacts (same
    transaction), so a year's staircase sums a few hundred thousand small rows at
    most instead of counting a million contacts.
    """

    __tablename__ = "contact_day_tallies"
    __table_args__ = (
        sa.Index("ix_contact_day_tallies_day", "day", "office_id", "rosa_level", "contacts"),
        sa.Index("ix_contact_day_tallies_case_type", "case_type_id", "day"),
    )

    day: Mapped[date] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"), primary_key=True)
    rosa_level: Mapped[int] = mapped_column(primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)


class ContactMonthTally(db.Model):
    """Contacts per local month, office, case type, channel, level and outcome.

    What recommendations, the what-if and the overview's per-case-type tables read:
    a year of the demo's two offices is about 50,000 rows against a million contacts.
    """

    __tablename__ = "contact_month_tallies"

    month: Mapped[date] = mapped_column(primary_key=True)  # first day of the month
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    rosa_level: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)
    repeats: Mapped[int] = mapped_column(default=0)
    duration_sum: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    duration_n: Mapped[int] = mapped_column(default=0)


class ContactDayStat(db.Model):
    """Contacts per local day, office, case type, channel, level and outcome.

    The overview reads it when a case type or organisation is chosen (through the
    case-type index) and for the odd days at the ends of a period that the monthly
    tally cannot answer. Without a rowid on SQLite, so a day range is read in key order.
    """

    __tablename__ = "contact_day_stats"
    __table_args__ = (
        sa.Index("ix_contact_day_stats_case_type", "case_type_id", "day", "contacts", "repeats"),
        {"sqlite_with_rowid": False},
    )

    day: Mapped[date] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    rosa_level: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)
    repeats: Mapped[int] = mapped_column(default=0)


class OfficeDayStat(db.Model):
    """Contacts per local day, office, channel, level and outcome: no case type.

    The overview's time series without a case-type filter: a year of an office is a
    few tens of thousands of rows whatever the catalogue's size.
    """

    __tablename__ = "office_day_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    rosa_level: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)
    repeats: Mapped[int] = mapped_column(default=0)


class OfficeHourStat(db.Model):
    """Contacts per local day, hour of the day, office and channel: the busy-hours heat map."""

    __tablename__ = "office_hour_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)
