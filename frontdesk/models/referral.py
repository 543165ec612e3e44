"""Referrals: escalated contacts handed to a back-office queue, and their life there."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list, not_in_list
from frontdesk.models.catalog import REASON_MAX, Queue
from frontdesk.models.contact import Contact
from frontdesk.models.user import User
from frontdesk.roles import DESK_ROLES, HANDLER_ROLES, Role
from frontdesk.timeutil import UTCDateTime, to_local, utcnow


class ReferralStatus(StrEnum):
    """Where a referral is; the value is what `referrals.status` holds (and the API shows).

    ny: waiting in the queue; pagar: claimed by a handler; vantar: parked until a
    date (parked working time is added to the due time when it resumes);
    aterford: answered, the front desk calls the citizen back; avslutad: closed.
    """

    NY = "ny"
    PAGAR = "pagar"
    VANTAR = "vantar"
    ATERFORD = "aterford"
    AVSLUTAD = "avslutad"

    @property
    def label(self) -> str:
        return {
            "ny": "Ny",
            "pagar": "Pågår",
            "vantar": "Väntar",
            "aterford": "Återförd",
            "avslutad": "Avslutad",
        }[self.value]


# Still in the back office's hands: in a queue, claimed or parked.
OPEN_REFERRAL_STATUSES = (ReferralStatus.NY, ReferralStatus.PAGAR, ReferralStatus.VANTAR)
# Held by a handler (claimed_by_id is set).
HELD_STATUSES = (ReferralStatus.PAGAR, ReferralStatus.VANTAR)
# Whose due time runs: a parked referral's clock is stopped.
RUNNING_STATUSES = (ReferralStatus.NY, ReferralStatus.PAGAR)
# The API's status filter and schema read this name (kept until the API rewrite lands).
REFERRAL_STATUSES = tuple(s.value for s in ReferralStatus)


class ReferralAction(StrEnum):
    """What a user can do with a referral; Referral.allowed_actions says who and when."""

    CLAIM = "claim"  # take it from the queue
    RESUME = "resume"  # take one's own parked referral up again
    RELEASE = "release"  # put it back in the queue
    PARK = "park"  # wait until a date; the deadline stops
    ANSWER = "answer"  # to the desk for a call-back, to the citizen by e-mail, or closed
    REASSIGN = "reassign"  # to a colleague or another queue of the same organisation
    FORWARD = "forward"  # to another organisation's queue
    NOTE = "note"  # a note in the matter's history; the status stays
    CALLBACK_DONE = "callback_done"  # the desk called the citizen back
    CALLBACK_BY_EMAIL = "callback_by_email"  # the desk mailed the answer instead

    @property
    def in_back_office(self) -> bool:
        """Taken on the referral's own page; the call-backs are the counter's."""
        return self not in (ReferralAction.CALLBACK_DONE, ReferralAction.CALLBACK_BY_EMAIL)


class Holder(Enum):
    """Whose an action is, among users of a role that may take it."""

    ANYONE = "anyone"
    HOLDER = "holder"  # only the handler who holds the referral
    FREE_OR_HOLDER = "free_or_holder"  # nobody holds it, or the user does


@dataclass(frozen=True)
class ActionRule:
    roles: tuple[Role, ...]
    statuses: tuple[ReferralStatus, ...]
    holder: Holder


# The referral's state machine: which roles may take each action, in which statuses, and
# whether they must hold it. Referral.allowed_actions reads it; the back-office operations
# refuse what it does not allow, and the referral's page shows only what it allows.
ACTION_RULES: dict[ReferralAction, ActionRule] = {
    ReferralAction.CLAIM: ActionRule(HANDLER_ROLES, (ReferralStatus.NY,), Holder.ANYONE),
    ReferralAction.RESUME: ActionRule(HANDLER_ROLES, (ReferralStatus.VANTAR,), Holder.HOLDER),
    ReferralAction.RELEASE: ActionRule(HANDLER_ROLES, HELD_STATUSES, Holder.HOLDER),
    ReferralAction.PARK: ActionRule(HANDLER_ROLES, (ReferralStatus.PAGAR,), Holder.HOLDER),
    ReferralAction.ANSWER: ActionRule(HANDLER_ROLES, (ReferralStatus.PAGAR,), Holder.HOLDER),
    ReferralAction.REASSIGN: ActionRule(
        HANDLER_ROLES, OPEN_REFERRAL_STATUSES, Holder.FREE_OR_HOLDER
    ),
    ReferralAction.FORWARD: ActionRule(
        HANDLER_ROLES, OPEN_REFERRAL_STATUSES, Holder.FREE_OR_HOLDER
    ),
    ReferralAction.NOTE: ActionRule(HANDLER_ROLES, tuple(ReferralStatus), Holder.ANYONE),
    ReferralAction.CALLBACK_DONE: ActionRule(DESK_ROLES, (ReferralStatus.ATERFORD,), Holder.ANYONE),
    ReferralAction.CALLBACK_BY_EMAIL: ActionRule(
        DESK_ROLES, (ReferralStatus.ATERFORD,), Holder.ANYONE
    ),
}

# Queues list the open referrals by due time; a partial index holds just those, so the
# list does not wade through the closed ones. Queries must spell the predicate the same
# way (literal values) for the planner to use it: see OPEN_FILTER.
OPEN_PREDICATE = in_list("status", OPEN_REFERRAL_STATUSES)
ANSWER_MAX_LENGTH = 5000


class Referral(db.Model):
    """The hand-over of an escalated contact to the owning organisation's queue.

    Its life is `status` (ReferralStatus); what a user may do with it in each status is
    `allowed_actions`.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", ReferralStatus), name="status_known"),
        # Claimed and parked referrals carry their handler; one in the queue has none.
        sa.CheckConstraint(
            not_in_list("status", HELD_STATUSES) + " OR claimed_by_id IS NOT NULL",
            name="claimed_has_handler",
        ),
        sa.CheckConstraint(
            f"status <> '{ReferralStatus.NY}' OR claimed_by_id IS NULL", name="new_has_no_handler"
        ),
        # A parked referral says until when (the queue shows it, the overdue rule reads it).
        sa.CheckConstraint(
            f"status <> '{ReferralStatus.VANTAR}' OR parked_until IS NOT NULL",
            name="parked_has_date",
        ),
        sa.Index("ix_referrals_queue_status_due", "queue_id", "status", "due_at"),
        # Covers the per-status and overdue counts of a queue page.
        sa.Index("ix_referrals_status_queue", "status", "queue_id", "due_at"),
        # Any-status lists by due time (the API's sort=due).
        sa.Index("ix_referrals_due", "due_at", "queue_id"),
        sa.Index(
            "ix_referrals_open_due",
            "due_at",
            "queue_id",
            "status",
            sqlite_where=sa.text(OPEN_PREDICATE),
            postgresql_where=sa.text(OPEN_PREDICATE),
        ),
        sa.Index("ix_referrals_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id"), unique=True)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id"))
    # The queue the front desk first sent it to, when it has been forwarded since.
    original_queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=ReferralStatus.NY.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_until: Mapped[date | None] = mapped_column(sa.Date)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    park_reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="", server_default="")
    answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    callback: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change; the API hands it out as the ETag.
    version: Mapped[int] = mapped_column(default=1)

    contact: Mapped[Contact] = relationship(back_populates="referral")
    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id])
    original_queue: Mapped[Queue | None] = relationship(foreign_keys=[original_queue_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def allowed_actions(self, user: User) -> frozenset[ReferralAction]:
        """What this user may do with the referral in its current status (ACTION_RULES).

        Whether the user may see the referral at all (their organisation's queues, their
        office's contacts) is the caller's question, asked before this one.
        """
        held_by_user = self.claimed_by_id is not None and self.claimed_by_id == user.id
        holder_ok = {
            Holder.ANYONE: True,
            Holder.HOLDER: held_by_user,
            Holder.FREE_OR_HOLDER: self.claimed_by_id is None or held_by_user,
        }
        return frozenset(
            action
            for action, rule in ACTION_RULES.items()
            if user.role in rule.roles and self.status in rule.statuses and holder_ok[rule.holder]
        )

    def is_overdue(self, now: datetime) -> bool:
        """Past its due time in the back office, or parked past the date it was parked until.

        Parked time does not count against the deadline, but a parking that has run
        out needs its handler: it counts as overdue until someone resumes it.
        """
        if self.status == ReferralStatus.VANTAR:
            return self.parked_until is not None and self.parked_until < to_local(now).date()
        return self.status in RUNNING_STATUSES and self.due_at < now


# The open-referral filter with its values inlined, matching ix_referrals_open_due.
OPEN_FILTER = Referral.status.in_(
    sa.bindparam("open_statuses", OPEN_REFERRAL_STATUSES, expanding=True, literal_execute=True)
)


def overdue_clause(now: datetime) -> sa.ColumnElement[bool]:
    """Referral.is_overdue as SQL, for lists and counts."""
    return sa.or_(
        sa.and_(Referral.status.in_(RUNNING_STATUSES), Referral.due_at < now),
        sa.and_(
            Referral.status == ReferralStatus.VANTAR,
            Referral.parked_until < to_local(now).date(),
        ),
    )


class ReferralMonthStat(db.Model):
    """Referrals per local month of creation, office, case type, channel and time to answer.

    `answer_bucket` is the minutes from creation to answer rounded down to a grid that
    coarsens with the wait (frontdesk.tallies.answer_bucket), or -1 while unanswered.
    The overview reads created and answered counts and the lead-time percentiles from it
    instead of sorting a year of referrals.
    """

    __tablename__ = "referral_month_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    month: Mapped[date] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    answer_bucket: Mapped[int] = mapped_column(primary_key=True)
    referrals: Mapped[int] = mapped_column(default=0)
