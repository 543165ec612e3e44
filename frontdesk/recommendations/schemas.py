"""The staircase, proposals and decisions as the API gives and takes them."""

from typing import Annotated, Literal

from pydantic import Field, RootModel

from frontdesk.api.spec import Body, Out, PeriodQuery, Query, text
from frontdesk.catalog.schemas import Code, Level
from frontdesk.counter.schemas import iso
from frontdesk.models.process import DECISION_NOTE_MAX, DECISIONS, ProposalStatus
from rosa.followup import DEFAULT_WINDOW_DAYS, Verdict

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


class FollowUpQuery(Query):
    office: str = Field(description="Office code.", examples=["K1"])
    days: int = Field(
        DEFAULT_WINDOW_DAYS,
        ge=1,
        le=365,
        description="The windows' length before and after each move, in days (shorter "
        "when the move is more recent: both windows are as long as it has been in force).",
    )


class WindowOut(Out):
    contacts: Count
    referral_share: Share | None
    answered_at_desk_share: Share | None
    repeat_share: Share | None
    median_working_hours_to_answer: Annotated[float, Field(ge=0)] | None = Field(
        description="Of the window's answered referrals, in the office's working hours."
    )
    within_sla_share: Share | None = Field(
        description="Of the answered referrals: fewer working hours than the SLA."
    )
    nki: Annotated[float, Field(ge=0, le=100)] | None = Field(
        description="What citizens answered about the window's contacts (NKI 0–100), by "
        "contact day; the day of the move belongs to neither window."
    )
    nki_respondents: Count

    @classmethod
    def of(cls, figures) -> "WindowOut":
        def rounded(value, digits=4):
            return None if value is None else round(value, digits)

        return cls(
            contacts=figures.contacts,
            referral_share=rounded(figures.referral_share),
            answered_at_desk_share=rounded(figures.answered_at_desk_share),
            repeat_share=rounded(figures.repeat_share),
            median_working_hours_to_answer=rounded(figures.median_working_hours, 2),
            within_sla_share=rounded(figures.within_sla_share),
            nki=rounded(figures.nki, 1),
            nki_respondents=figures.nki_respondents,
        )


class MoveOut(Out):
    case_type: Code
    changed_at: str = Field(description="ISO 8601 with the local UTC offset.")
    from_level: Level
    to_level: Level
    source: Literal["rekommendation", "manuell"]
    window_days: float = Field(description="The length of each window, in days.")
    before: WindowOut
    after: WindowOut
    expected_referral_share: Share | None = Field(
        description="What the approved recommendation estimated (null for a manual change)."
    )
    verdict: Verdict
    verdict_label: str

    @classmethod
    def of(cls, move) -> "MoveOut":
        return cls(
            case_type=move.case_type.code,
            changed_at=iso(move.change.changed_at),
            from_level=move.from_level,
            to_level=move.change.new_level,
            source=move.source,
            window_days=round(move.windows.days, 2),
            before=WindowOut.of(move.before),
            after=WindowOut.of(move.after),
            expected_referral_share=move.expected_referral_share,
            verdict=move.verdict,
            verdict_label=move.verdict.label,
        )


class FollowUpList(RootModel[list[MoveOut]]):
    """The office's mandate moves, newest first."""
