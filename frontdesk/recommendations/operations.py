"""Deciding on a proposal. An approval raises the mandate, so the counter routes anew."""

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.database import insert_unless_taken
from frontdesk.extensions import db
from frontdesk.mandates.operations import set_mandate
from frontdesk.models import CaseType, Office, RecommendationDecision, User
from frontdesk.office_access import require_managed
from frontdesk.periods import Period
from frontdesk.processes.queries import latest_graphs
from frontdesk.recommendations.queries import pair_histories
from frontdesk.timeutil import utcnow
from kanaler import mask_personnummer
from rosa.recommend import Proposal, propose

NOTE_MAX = 1000  # RecommendationDecision.note


class ProposalNotFound(Exception):
    """The id names no office or case type we know."""


class ProposalStale(Exception):
    """The proposal no longer holds (the mandate or the data changed); `current` is today's."""

    def __init__(self, current: Proposal | None):
        super().__init__("stale")
        self.current = current


class ProposalDecided(Exception):
    """A manager has already decided on this proposal."""

    def __init__(self, decision: RecommendationDecision):
        super().__init__("decided")
        self.decision = decision


def parse_key(key: str) -> tuple[Office, CaseType]:
    office_code, _, rest = key.partition(":")
    case_type_code = rest.split(":", 1)[0]
    office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
    case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type_code))
    if office is None or case_type is None:
        raise ProposalNotFound(key)
    return office, case_type


def current_proposal(
    office: Office, case_type: CaseType, period: Period, ceiling: int
) -> tuple[Proposal | None, int | None]:
    """Today's proposal for one pair, and the id of the map version it used."""
    # The whole office's history, so the months a rate is taken over are the list's.
    histories = [h for h in pair_histories(office, period) if h.case_type == case_type.code]
    if not histories:
        return None, None
    maps = latest_graphs([case_type.code])
    process_map, graph = maps.get(case_type.code, (None, None))
    return propose(histories[0], graph, ceiling), process_map.id if process_map else None


def figures_of(proposal: Proposal) -> dict:
    return {
        "referrals_avoided_per_month": proposal.referrals_avoided_per_month,
        "share_still_referred": proposal.share_still_referred,
        "hours_moved_per_month": proposal.hours_moved_per_month,
        "hours_basis": proposal.hours_basis,
        "handoffs_before": proposal.handoffs_before,
        "handoffs_after": proposal.handoffs_after,
        "poor_candidate": proposal.poor_candidate,
        "contacts": proposal.contacts,
        "warnings": proposal.warnings,
    }


def decide(
    key: str, decision: str, note: str, user: User, period: Period, ceiling: int
) -> RecommendationDecision:
    """Approve or reject the proposal `key`; an approval sets the mandate to its target.

    The proposal is computed again first: a decision is only taken on what still holds.
    Only a manager of the office may decide (OfficeNotManaged).
    """
    office, case_type = parse_key(key)
    require_managed(user, office)
    # Masking may lengthen a text (a personnummer without its dash): cut to the column.
    note = mask_personnummer(note)[:NOTE_MAX]
    existing = db.session.scalar(
        sa.select(RecommendationDecision).where(RecommendationDecision.proposal_key == key)
    )
    if existing is not None:
        raise ProposalDecided(existing)
    proposal, process_map_id = current_proposal(office, case_type, period, ceiling)
    if proposal is None or proposal.key != key:
        raise ProposalStale(proposal)
    row_id = insert_unless_taken(
        RecommendationDecision.__table__,
        {
            "proposal_key": key,
            "office_id": office.id,
            "case_type_id": case_type.id,
            "current_mandate": proposal.current_mandate,
            "target_mandate": proposal.target_mandate,
            "decision": decision,
            "note": note,
            "figures": figures_of(proposal),
            "process_map_id": process_map_id,
            "decided_at": utcnow(),
            "decided_by_id": user.id,
        },
        ["proposal_key"],
    )
    # Two managers deciding at once: the unique key lets one through, the other gets 409.
    if row_id is None:
        winner = db.session.scalar(
            sa.select(RecommendationDecision).where(RecommendationDecision.proposal_key == key)
        )
        raise ProposalDecided(winner)
    row = db.session.get(RecommendationDecision, row_id)
    record(
        f"recommendation.{'approved' if decision == 'approve' else 'rejected'}",
        "recommendation",
        row.id,
        user,
        proposal=key,
        office=office.code,
        case_type=case_type.code,
        current_mandate=proposal.current_mandate,
        target_mandate=proposal.target_mandate,
        note=note,
    )
    if decision == "approve":
        set_mandate(
            office,
            case_type,
            proposal.target_mandate,
            f"Godkänd rekommendation: {note}",
            user,
            recommendation=row,
        )
    return row
