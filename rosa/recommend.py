"""Which case types could move to the citizen office, up to which level, and what it would give.

Input is the logged history of one office and case type (contacts per level and
outcome over a period) and, where one exists, the case type's process map. The
proposal is a target mandate; ranking is by referrals avoided per month.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

import svformat
from rosa.levels import MAX_LEVEL
from rosa.processmap import analyse_move
from rosa.routing import Outcome

# Levels 5-8 stay with the owner as a rule (DESIGN.md); proposals stop at 4 unless told.
DEFAULT_CEILING = 4
DEFAULT_MONTHS = 12
# Decisions in a state agency's matters (myndighetsutövning) cannot be handed to municipal
# staff: without a level in the catalogue, its case types stop at administrative routing.
STATE_AGENCY_KIND = "stat"
STATE_AGENCY_CAP = 3
# From this share of contacts above the target on, the case type is mostly evaluative
# work that the desk cannot take over, and moving the routine rest helps little.
POOR_CANDIDATE_SHARE = 0.5


@dataclass(frozen=True)
class DelegationCap:
    """The highest mandate the law and the owner allow for a case type, and why (Swedish)."""

    level: int
    reason: str = ""

    @property
    def limits(self) -> bool:
        return self.level < MAX_LEVEL


NO_CAP = DelegationCap(MAX_LEVEL)


def delegation_cap(owner_kind: str, max_delegable_level: int | None) -> DelegationCap:
    """The one rule for what may be delegated to the citizen office.

    The catalogue's `max_delegable_level` (the owner's delegation order) wins; without it
    a state agency's (`stat`) case types stop at level 3, and a municipality's are limited
    only by the proposals' ceiling.
    """
    if max_delegable_level is not None:
        if not 1 <= max_delegable_level <= MAX_LEVEL:
            raise ValueError(f"max_delegable_level must be 1-{MAX_LEVEL}")
        return DelegationCap(
            max_delegable_level,
            f"Ägarens delegationsordning tillåter högst nivå {max_delegable_level} på kontoret.",
        )
    if owner_kind == STATE_AGENCY_KIND:
        return DelegationCap(
            STATE_AGENCY_CAP,
            "Myndighetsutövning i en statlig myndighets ärenden kan inte delegeras till "
            f"kommunens personal: högst nivå {STATE_AGENCY_CAP}.",
        )
    return NO_CAP


@dataclass
class PairHistory:
    """One office and case type over a period: contacts per (level, outcome) and handling time."""

    office: str
    case_type: str
    current_mandate: int
    months: float
    counts: dict[tuple[int, str], int] = field(default_factory=dict)
    # Sum and number of logged handling times (seconds) per level.
    seconds_sum: dict[int, float] = field(default_factory=dict)
    seconds_n: dict[int, int] = field(default_factory=dict)
    cap: DelegationCap = NO_CAP

    @property
    def over_cap(self) -> bool:
        """The mandate today is above what may be delegated: flag it, propose nothing higher."""
        return self.current_mandate > self.cap.level

    def level_counts(self) -> dict[int, int]:
        result: dict[int, int] = {}
        for (level, _outcome), count in self.counts.items():
            result[level] = result.get(level, 0) + count
        return result

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Proposal:
    office: str
    case_type: str
    current_mandate: int
    target_mandate: int
    contacts: int
    referrals_avoided_per_month: float
    share_still_referred: float
    hours_moved_per_month: float | None
    hours_basis: str  # "karta", "loggad tid" or "" when unknown
    handoffs_before: int | None
    handoffs_after: int | None
    poor_candidate: bool
    warnings: list[str]
    # What may be delegated limited the target (the card says why): level and reason.
    cap: DelegationCap = NO_CAP

    @property
    def capped(self) -> bool:
        """The cap, not the ceiling or the data, stopped the target where it is."""
        return self.cap.limits and self.target_mandate == self.cap.level

    @property
    def key(self) -> str:
        """Stable id: the same office, case type, current and target give the same proposal."""
        return f"{self.office}:{self.case_type}:{self.current_mandate}:{self.target_mandate}"


def target_level(level_counts: Mapping[int, int], current: int, ceiling: int) -> int | None:
    """The highest level up to the ceiling at which contacts occur above the current mandate."""
    above = [lv for lv, n in level_counts.items() if current < lv <= ceiling and n > 0]
    return max(above) if above else None


def logged_hours_moved(history: PairHistory, target: int) -> float | None:
    """Hours a month the desk would take over at `target`, from the logged handling times.

    The contacts between today's mandate and the target, times their levels' mean logged
    duration, per month; None when none of them has a logged duration.
    """
    moving = range(history.current_mandate + 1, target + 1)
    levels = history.level_counts()
    moved = sum(levels.get(lv, 0) for lv in moving)
    seconds = sum(history.seconds_sum.get(lv, 0.0) for lv in moving)
    timed = sum(history.seconds_n.get(lv, 0) for lv in moving)
    if not moved:
        return 0.0
    if not timed:
        return None
    return moved * (seconds / timed) / 3600 / history.months


def propose(
    history: PairHistory,
    graph: nx.DiGraph | None = None,
    ceiling: int = DEFAULT_CEILING,
) -> Proposal | None:
    """The proposal for one office and case type, or None when nothing lies within reach.

    Never above what may be delegated (`history.cap`): the target stops at the lower of
    the ceiling and the cap.
    """
    if not 1 <= ceiling <= MAX_LEVEL:
        raise ValueError(f"ceiling must be 1-{MAX_LEVEL}, got {ceiling}")
    if history.months <= 0:
        raise ValueError("months must be positive")
    levels = history.level_counts()
    current = history.current_mandate
    target = target_level(levels, current, min(ceiling, history.cap.level))
    if target is None:
        return None
    total = history.total
    moved = sum(n for lv, n in levels.items() if current < lv <= target)
    still_referred = sum(n for lv, n in levels.items() if lv > target)
    share_still = still_referred / total if total else 0.0
    warnings: list[str] = []

    poor = share_still >= POOR_CANDIDATE_SHARE
    if poor:
        warnings.append(
            f"Domineras av värderande arbete: {svformat.percent(share_still, 0)} av kontakterna ligger över "
            f"nivå {target} och skulle fortfarande remitteras."
        )

    hours, basis = None, ""
    handoffs_before = handoffs_after = None
    if graph is not None and len(graph):
        move = analyse_move(graph, target)
        handoffs_before, handoffs_after = move.handoffs_before, move.handoffs_after
        warnings.extend(move.warnings)
        if move.minutes_moved:
            hours = moved * move.minutes_moved / 60 / history.months
            basis = "karta"
    if hours is None:
        hours = logged_hours_moved(history, target)
        if hours is not None:
            basis = "loggad tid"
        else:
            warnings.append("Handläggningstid saknas: varken karta med minuter eller loggad tid.")
    if graph is None:
        warnings.append("Ingen processkarta: överlämningar kan inte räknas.")

    return Proposal(
        office=history.office,
        case_type=history.case_type,
        current_mandate=current,
        target_mandate=target,
        contacts=total,
        referrals_avoided_per_month=moved / history.months,
        share_still_referred=share_still,
        hours_moved_per_month=hours,
        hours_basis=basis,
        handoffs_before=handoffs_before,
        handoffs_after=handoffs_after,
        poor_candidate=poor,
        warnings=warnings,
        cap=history.cap,
    )


def rank(
    histories: Iterable[PairHistory],
    graphs: Mapping[str, nx.DiGraph] | None = None,
    ceiling: int = DEFAULT_CEILING,
) -> list[Proposal]:
    """Proposals for every pair that has one, most referrals avoided first.

    Poor candidates sink below the others whatever their volume: a manager should
    meet the realistic moves first.
    """
    graphs = graphs or {}
    proposals = [
        p for h in histories if (p := propose(h, graphs.get(h.case_type), ceiling)) is not None
    ]
    proposals.sort(
        key=lambda p: (p.poor_candidate, -p.referrals_avoided_per_month, p.office, p.case_type)
    )
    return proposals


@dataclass
class WhatIfRow:
    case_type: str
    current_mandate: int
    target_mandate: int
    contacts: int
    answered_now: int
    answered_then: int
    referred_now: int
    referred_then: int
    hours_moved_per_month: float | None = 0.0  # None: moved contacts without logged times


class AboveCap(ValueError):
    """A what-if target above what may be delegated for that case type."""

    def __init__(self, case_type: str, cap: DelegationCap):
        super().__init__(f"{case_type}: {cap.reason}")
        self.case_type = case_type
        self.cap = cap


@dataclass
class WhatIf:
    months: float
    contacts: int
    first_contact_share_now: float
    first_contact_share_then: float
    referrals_per_month_now: float
    referrals_per_month_then: float
    rows: list[WhatIfRow]
    # Handling time the desk takes over (raised mandates) from the logged durations;
    # None when some moved contacts have no logged time.
    hours_moved_per_month: float | None = 0.0


def what_if(histories: Iterable[PairHistory], targets: Mapping[str, int]) -> WhatIf:
    """The office's first-contact resolution and referrals had the mandates been `targets`.

    "Now" is what the logged contacts actually got. "Then" routes every contact of a
    case type in `targets` again under its target level: at or below it the desk answers,
    above it the contact is referred; contacts put through live stay put through.
    Case types not in `targets` keep their logged outcomes. A target above what may be
    delegated (and above today's mandate) raises AboveCap: the what-if proposes nothing
    unlawful either.
    """
    histories = list(histories)
    for history in histories:
        target = targets.get(history.case_type)
        if target is not None and target > max(history.cap.level, history.current_mandate):
            raise AboveCap(history.case_type, history.cap)
    months = max((h.months for h in histories), default=1.0)
    contacts = answered_now = answered_then = referred_now = referred_then = 0
    rows = []
    for history in histories:
        target = targets.get(history.case_type)
        row = WhatIfRow(
            history.case_type,
            history.current_mandate,
            target or history.current_mandate,
            0,
            0,
            0,
            0,
            0,
        )
        for (level, outcome), count in history.counts.items():
            row.contacts += count
            answered = outcome == Outcome.INFORMERAT
            referred = outcome == Outcome.ESKALERAT
            row.answered_now += count if answered else 0
            row.referred_now += count if referred else 0
            if target is not None and outcome != Outcome.KOPPLAT:
                answered, referred = level <= target, level > target
            row.answered_then += count if answered else 0
            row.referred_then += count if referred else 0
        contacts += row.contacts
        answered_now += row.answered_now
        answered_then += row.answered_then
        referred_now += row.referred_now
        referred_then += row.referred_then
        if target is not None:
            if target > history.current_mandate:
                row.hours_moved_per_month = logged_hours_moved(history, target)
            rows.append(row)
    moved = [row.hours_moved_per_month for row in rows]
    return WhatIf(
        months=months,
        contacts=contacts,
        first_contact_share_now=answered_now / contacts if contacts else 0.0,
        first_contact_share_then=answered_then / contacts if contacts else 0.0,
        referrals_per_month_now=referred_now / months,
        referrals_per_month_then=referred_then / months,
        rows=rows,
        hours_moved_per_month=None if None in moved else sum(moved),
    )
