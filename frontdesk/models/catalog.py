"""Organisations, offices, their queues, the case-type catalogue and the mandates."""

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.timeutil import UTCDateTime, utcnow
from rosa import DEFAULT_MANDATE

# Why a mandate changed (or a referral was parked or forwarded): a sentence or two.
REASON_MAX = 500

ORGANISATION_KINDS = ("kommun", "stat", "region", "annan")


class Organisation(db.Model):
    """A förvaltning or partner agency that owns case types and has back-office queues."""

    __tablename__ = "organisations"
    __table_args__ = (sa.CheckConstraint(in_list("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(10), default="kommun")

    queues: Mapped[list["Queue"]] = relationship(
        back_populates="organisation", order_by="Queue.code"
    )

    def default_queue(self) -> "Queue | None":
        """The queue referrals go to when the case type names none: the one coded like us."""
        for queue in self.queues:
            if queue.code == self.code:
                return queue
        return self.queues[0] if self.queues else None


class Queue(db.Model):
    """A back-office queue of one organisation."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation] = relationship(back_populates="queues")


class Office(db.Model):
    """A citizen office (medborgarkontor, kontaktcenter) and its opening hours on weekdays.

    Referral deadlines are counted in these hours, Monday to Friday, Swedish public
    holidays excluded (rosa.calendar).
    """

    __tablename__ = "offices"
    __table_args__ = (sa.CheckConstraint("opens < closes", name="opens_before_closes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    opens: Mapped[time] = mapped_column(sa.Time, default=time(8, 0), server_default="08:00:00")
    closes: Mapped[time] = mapped_column(sa.Time, default=time(17, 0), server_default="17:00:00")


class CaseType(db.Model):
    """A kind of citizen matter, owned by one organisation."""

    __tablename__ = "case_types"
    __table_args__ = (sa.CheckConstraint("sla_hours > 0", name="sla_hours_positive"),)
    # No RETURNING of the server defaults below: they stay unread until someone reads them.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # None: the owner's default queue.
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id"))
    category: Mapped[str] = mapped_column(sa.String(100), default="")
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"title": ..., "url": ...}], checked by the catalogue import (catalog/validation.py).
    # Server defaults only, and deferred (loaded when read; the readers undefer the group):
    # the catalogue import still runs on a database at an older revision (test_migrations).
    guidance_links: Mapped[list] = mapped_column(
        sa.JSON, server_default=sa.text("'[]'"), deferred=True, deferred_group="guidance"
    )
    # Words the counter's guidance search finds the case type by (synonyms, everyday words).
    guidance_keywords: Mapped[list] = mapped_column(
        sa.JSON, server_default=sa.text("'[]'"), deferred=True, deferred_group="guidance"
    )
    sla_hours: Mapped[int] = mapped_column(default=72)
    active: Mapped[bool] = mapped_column(default=True)
    # The highest ROSA level the owner lets the citizen office decide (delegation order);
    # None: not set, which caps a state agency's case types at level 3 by rule
    # (rosa.recommend.delegable_level). Deferred like the guidance columns.
    max_delegable_level: Mapped[int | None] = mapped_column(
        nullable=True,
        server_default=sa.text("NULL"),  # so an insert leaves it out unless it is set
        deferred=True,
        deferred_group="delegation",
    )

    organisation: Mapped[Organisation] = relationship()
    queue: Mapped[Queue | None] = relationship()

    def referral_queue(self) -> Queue | None:
        return self.queue or self.organisation.default_queue()


class Mandate(db.Model):
    """The highest ROSA level an office handles for a case type (absent: DEFAULT_MANDATE)."""

    __tablename__ = "mandates"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "case_type_id", name="uq_mandates_office_case_type"),
        sa.CheckConstraint("max_level BETWEEN 1 AND 8", name="max_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"), index=True)
    max_level: Mapped[int] = mapped_column(default=DEFAULT_MANDATE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office] = relationship()
    case_type: Mapped[CaseType] = relationship()


class MandateChange(db.Model):
    """Every change of a mandate: who, when, why, from which level to which."""

    __tablename__ = "mandate_changes"
    __table_args__ = (
        sa.CheckConstraint("new_level BETWEEN 1 AND 8", name="new_level_range"),
        sa.CheckConstraint(
            "old_level IS NULL OR old_level BETWEEN 1 AND 8", name="old_level_range"
        ),
        sa.Index("ix_mandate_changes_office_case_type", "office_id", "case_type_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"))
    old_level: Mapped[int | None]
    new_level: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: changed by a command-line import, not by a person in the app.
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Set when the change carried out an approved ROSA recommendation.
    recommendation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recommendation_decisions.id")
    )

    changed_by: Mapped["User | None"] = relationship()  # noqa: F821
    recommendation: Mapped["RecommendationDecision | None"] = relationship()  # noqa: F821
