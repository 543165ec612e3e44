"""The staircase, proposals and decisions as the API gives and takes them."""

from typing import Annotated, Literal

from pydantic import Field, RootModel

from frontdesk.api.spec import Body, Out, PeriodQuery, Query, text
from frontdesk.catalog.schemas import Code, Level
from frontdesk.counter.schemas import iso
from frontdesk.models.process import DECISION_NOTE_MAX, DECISIONS, ProposalStatus

Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


class StaircaseQuery(PeriodQuery):
    office: str | None = Field(None, description="Office code.", examples=["K1"])
    case_type: str | None = Field(None, description="Case type code.", examples=["PARK"])


class Stair(Out):
    level: Level
    name: str
    count: Count
    share: Share
    cumulative_share: Share


class StaircaseOut(Out):
    total: Count
    levels: list[Stair] = Field(min_length=8, max_length=8)


class RecommendationsQuery(Query):
    office: str = Field(description="Office code.", examples=["K1"])


class ProposalOut(Out):
    id: str = Field(description="`OFFICE:CASE_TYPE:CURRENT:TARGET`.")
    office: Code
    case_type: Code
    current_mandate: Level
    target_mandate: Level
    referrals_avoided_per_month: float
    share_still_referred: Share
    hours_moved_per_month: float | None
    hours_basis: Literal["karta", "loggad tid"] | None
    handoffs_before: int | None
    handoffs_after: int | None
    poor_candidate: bool
    contacts: Count
    warnings: list[str]
    max_delegable_level: Level = Field(
        description="What may be delegated to the office for the case type (8: no limit); "
        "the target never exceeds it."
    )
    capped_because: str | None = Field(
        description="Why the target stops at max_delegable_level, when that limit stopped it."
    )
    status: ProposalStatus

    @classmethod
    def of(cls, view) -> "ProposalOut":
        p = view.proposal
        return cls(
            id=p.key,
            office=p.office,
            case_type=p.case_type,
            current_mandate=p.current_mandate,
            target_mandate=p.target_mandate,
            referrals_avoided_per_month=round(p.referrals_avoided_per_month, 2),
            share_still_referred=round(p.share_still_referred, 4),
            hours_moved_per_month=(
                None if p.hours_moved_per_month is None else round(p.hours_moved_per_month, 2)
            ),
            hours_basis=p.hours_basis or None,
            handoffs_before=p.handoffs_before,
            handoffs_after=p.handoffs_after,
            poor_candidate=p.poor_candidate,
            contacts=p.contacts,
            warnings=p.warnings,
            max_delegable_level=p.cap.level,
            capped_because=p.cap.reason if p.capped else None,
            status=view.status,
        )


class ProposalList(RootModel[list[ProposalOut]]):
    """Best first; decided ones carry their status."""


class DecisionInput(Body):
    decision: Literal[DECISIONS]
    note: text(DECISION_NOTE_MAX, required=True)


class DecisionOut(Out):
    id: int
    proposal: str
    decision: Literal[DECISIONS]
    note: str
    office: Code
    case_type: Code
    current_mandate: Level
    target_mandate: Level
    decided_by: str | None
    decided_at: str = Field(description="ISO 8601 with the local UTC offset.")

    @classmethod
    def of(cls, row) -> "DecisionOut":
        return cls(
            id=row.id,
            proposal=row.proposal_key,
            decision=row.decision,
            note=row.note,
            office=row.office.code,
            case_type=row.case_type.code,
            current_mandate=row.current_mandate,
            target_mandate=row.target_mandate,
            decided_by=row.decided_by.username if row.decided_by else None,
            decided_at=iso(row.decided_at),
        )


class ProposalConflict(Out):
    """Already decided (`decision`) or stale (`current_id`)."""

    error: str
    fields: dict[str, str]
    current_id: str | None = Field(
        None, description="Stale: the proposal that replaces it, if any."
    )
    decision: DecisionOut | None = None
