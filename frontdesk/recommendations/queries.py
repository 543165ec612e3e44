"""Reading the logged history the staircase, the recommendations and the what-if rest on."""

from dataclasses import dataclass

import networkx as nx
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    CaseType,
    ContactDayTally,
    ContactMonthTally,
    Mandate,
    Office,
    Organisation,
    RecommendationDecision,
)
from frontdesk.models.process import ProposalStatus
from frontdesk.periods import Period
from frontdesk.processes.queries import latest_graphs
from rosa import DEFAULT_MANDATE
from rosa.recommend import DelegationCap, PairHistory, Proposal, delegation_cap, rank
from rosa.staircase import Staircase, staircase

DAYS_PER_MONTH = 365.25 / 12


def staircase_for(
    period: Period, office: Office | None = None, case_type: CaseType | None = None
) -> Staircase:
    """Contacts per level for an office, a case type, both or all, over the period."""
    query = (
        sa.select(ContactDayTally.rosa_level, sa.func.sum(ContactDayTally.contacts))
        .where(ContactDayTally.day >= period.first, ContactDayTally.day <= period.last)
        .group_by(ContactDayTally.rosa_level)
    )
    if office is not None:
        query = query.where(ContactDayTally.office_id == office.id)
    if case_type is not None:
        query = query.where(ContactDayTally.case_type_id == case_type.id)
    return staircase({level: int(n or 0) for level, n in db.session.execute(query)})


def delegation_caps() -> dict[int, DelegationCap]:
    """Per case type id, what may be delegated to a citizen office (rosa.recommend's rule)."""
    rows = db.session.execute(
        sa.select(CaseType.id, Organisation.kind, CaseType.max_delegable_level).join(
            Organisation, Organisation.id == CaseType.organisation_id
        )
    )
    return {id_: delegation_cap(kind, level) for id_, kind, level in rows}


def pair_histories(office: Office, period: Period) -> list[PairHistory]:
    """One history per case type the office logged contacts for in the period's months.

    Read from the monthly tallies, so the period is taken in whole months from the
    month of its first day. Rates are per month from the office's first month with
    contacts (not the period's start), so an office with three months of data is not
    read as one with a quarter of the volume.
    """
    first_month = period.first.replace(day=1)
    in_period = (
        ContactMonthTally.office_id == office.id,
        ContactMonthTally.month >= first_month,
        ContactMonthTally.month <= period.last,
        ContactMonthTally.contacts > 0,
    )
    first = db.session.scalar(sa.select(sa.func.min(ContactMonthTally.month)).where(*in_period))
    if first is None:
        return []
    months = max((period.last - first).days + 1, 1) / DAYS_PER_MONTH
    t = ContactMonthTally
    rows = db.session.execute(
        sa.select(
            t.case_type_id,
            t.rosa_level,
            t.outcome,
            sa.func.sum(t.contacts),
            sa.func.sum(t.duration_sum),
            sa.func.sum(t.duration_n),
        )
        .where(*in_period)
        .group_by(t.case_type_id, t.rosa_level, t.outcome)
    ).all()
    codes = dict(db.session.execute(sa.select(CaseType.id, CaseType.code)).all())
    caps = delegation_caps()
    mandates = dict(
        db.session.execute(
            sa.select(Mandate.case_type_id, Mandate.max_level).where(Mandate.office_id == office.id)
        ).all()
    )
    histories: dict[int, PairHistory] = {}
    for case_type_id, level, outcome, count, seconds, timed in rows:
        history = histories.get(case_type_id)
        if history is None:
            history = histories[case_type_id] = PairHistory(
                office=office.code,
                case_type=codes[case_type_id],
                current_mandate=mandates.get(case_type_id, DEFAULT_MANDATE),
                months=months,
                cap=caps[case_type_id],
            )
        history.counts[(level, outcome)] = int(count)
        history.seconds_sum[level] = history.seconds_sum.get(level, 0.0) + float(seconds or 0)
        history.seconds_n[level] = history.seconds_n.get(level, 0) + int(timed or 0)
    return list(histories.values())


@dataclass
class ProposalView:
    """A proposal with its decision, if a manager made one."""

    proposal: Proposal
    decision: RecommendationDecision | None

    @property
    def status(self) -> ProposalStatus:
        if self.decision is None:
            return ProposalStatus.NY
        if self.decision.decision == "approve":
            return ProposalStatus.GODKAND
        return ProposalStatus.AVSLAGEN


@dataclass
class Proposals:
    """The office's ranked proposals with their decisions, the maps used, and the case types
    whose mandate today is above what may be delegated (flagged, never raised)."""

    views: list[ProposalView]
    graphs: dict[str, nx.DiGraph]
    over_cap: list[PairHistory]


def proposals_for(office: Office, period: Period, ceiling: int) -> Proposals:
    """The office's ranked proposals with any decisions taken on them, and the maps used."""
    histories = pair_histories(office, period)
    graphs = latest_graphs([h.case_type for h in histories])
    proposals = rank(histories, {code: g for code, (_, g) in graphs.items()}, ceiling)
    decided = {
        d.proposal_key: d
        for d in db.session.scalars(
            sa.select(RecommendationDecision).where(
                RecommendationDecision.proposal_key.in_([p.key for p in proposals])
            )
        )
    }
    return Proposals(
        [ProposalView(p, decided.get(p.key)) for p in proposals],
        {code: g for code, (_, g) in graphs.items()},
        [h for h in histories if h.over_cap],
    )


@dataclass
class ProposalGroup:
    """Proposals of one owner that move the same step (e.g. 2 → 4): read and decided together."""

    owner: str  # the owning organisation's name
    current_mandate: int
    target_mandate: int
    views: list[ProposalView]

    @property
    def referrals_avoided_per_month(self) -> float:
        return sum(v.proposal.referrals_avoided_per_month for v in self.views)

    @property
    def poor(self) -> bool:
        return all(v.proposal.poor_candidate for v in self.views)


def group_proposals(views: list[ProposalView], owners: dict[str, str]) -> list[ProposalGroup]:
    """Near-identical proposals (same owner, same step) as one group, the ranking kept.

    Groups come in the order of their best proposal, so the page still opens on the
    moves that avoid the most referrals; poor candidates sink with their group.
    """
    groups: dict[tuple, ProposalGroup] = {}
    for view in views:
        p = view.proposal
        key = (owners.get(p.case_type, ""), p.current_mandate, p.target_mandate, p.poor_candidate)
        if key not in groups:
            groups[key] = ProposalGroup(key[0], p.current_mandate, p.target_mandate, [])
        groups[key].views.append(view)
    return list(groups.values())


def recent_decisions(office: Office, limit: int = 50) -> list[RecommendationDecision]:
    """The office's decisions, newest first, whether or not their proposal still holds.

    An approved proposal no longer appears among the proposals (the mandate moved), so
    the decisions are read from their own table: a decision just made stays in view.
    """
    return db.session.scalars(
        sa.select(RecommendationDecision)
        .where(RecommendationDecision.office_id == office.id)
        .order_by(RecommendationDecision.decided_at.desc(), RecommendationDecision.id.desc())
        .limit(limit)
    ).all()
