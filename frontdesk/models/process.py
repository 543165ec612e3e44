"""Process maps of case types (versioned, never overwritten) and managers' decisions on proposals."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.catalog import CaseType, Office
from frontdesk.models.user import User
from frontdesk.timeutil import UTCDateTime, utcnow

MAP_SOURCES = ("manuell", "json", "bpmn", "logg", "redigering")
DECISIONS = ("approve", "reject")
DECISION_NOTE_MAX = 1000


class ProposalStatus(StrEnum):
    """Where a recommendation stands: undecided, approved or rejected."""

    NY = "ny"
    GODKAND = "godkand"
    AVSLAGEN = "avslagen"


class ProcessMap(db.Model):
    """One version of a case type's process map; the graph is kept in its JSON form.

    A version is written once: every edit stores a new version, so a proposal or an
    approval can always point at the map it was based on.
    """

    __tablename__ = "process_maps"
    __table_args__ = (
        sa.UniqueConstraint("case_type_id", "version", name="uq_process_maps_case_type_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(in_list("source", MAP_SOURCES), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"))
    version: Mapped[int]
    graph: Mapped[dict] = mapped_column(sa.JSON)
    source: Mapped[str] = mapped_column(sa.String(12))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case_type: Mapped[CaseType] = relationship()
    created_by: Mapped[User | None] = relationship()


class RecommendationDecision(db.Model):
    """A manager's approval or rejection of a proposal, with the figures it was shown.

    `proposal_key` (office:case type:current:target) is unique: a proposal is decided
    once, and two managers deciding at the same moment cannot both succeed.
    """

    __tablename__ = "recommendation_decisions"
    __table_args__ = (
        sa.CheckConstraint(in_list("decision", DECISIONS), name="decision_known"),
        sa.CheckConstraint("current_mandate BETWEEN 1 AND 8", name="current_range"),
        sa.CheckConstraint("target_mandate BETWEEN 1 AND 8", name="target_range"),
        sa.Index("ix_recommendation_decisions_office", "office_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    case_type_id: Mapped[int] = mapped_column(sa.ForeignKey("case_types.id"))
    current_mandate: Mapped[int]
    target_mandate: Mapped[int]
    decision: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.String(DECISION_NOTE_MAX), default="")
    # The proposal as the manager saw it (figures and warnings), for the record.
    figures: Mapped[dict] = mapped_column(sa.JSON)
    process_map_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_maps.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    office: Mapped[Office] = relationship()
    case_type: Mapped[CaseType] = relationship()
    decided_by: Mapped[User | None] = relationship()
    process_map: Mapped[ProcessMap | None] = relationship()
