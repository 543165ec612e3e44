"""Channel analyses: parity, channel shift and service levels.

Pure functions over aggregates: the app runs the GROUP BYs (contacts per channel, case
type, ROSA level and outcome; minutes to answer per channel) and passes the results in.
No Flask, no database, no `rosa` import (the outcome names are repeated here).

Counts are tuples `(channel, case_type, level, outcome, count)`; `case_type` is used as
given in the Swedish messages, so pass the case type's name rather than its id. Tuples
with the same key are added up, so per-office or per-month rows may be passed as they are.
"""

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import svformat
from kanaler.calls import CallRecord
from kanaler.channels import CHANNEL_CODES, channel_label

INFORMERAT = "informerat"  # answered at first contact
KOPPLAT = "kopplat"  # put through live
ESKALERAT = "eskalerat"  # referred to a back office
OUTCOMES = (INFORMERAT, KOPPLAT, ESKALERAT)
MIN_LEVEL, MAX_LEVEL = 1, 8
# ROSA levels 1-2 (information, guidance) are what web pages and e-services can take over.
LOW_LEVEL_MAX = 2
# Minutes a level 1-2 contact takes when the caller has no measured figure.
DEFAULT_MINUTES_PER_CONTACT: Mapping[str, float] = {"besok": 6.0, "telefon": 4.0}

Count = tuple[str, str, int, str, int]

# Shares and differences are compared with this slack, so that 0.6 - 0.5 counts as 0.10.
_EPSILON = 1e-9
_ORDER = {code: index for index, code in enumerate(CHANNEL_CODES)}


@dataclass
class ChannelRow:
    channel: str
    contacts: int
    first_contact_share: float | None  # informerat / contacts; None without contacts
    referral_rate: float | None  # eskalerat / contacts; None without contacts
    median_minutes_to_answer: float | None
    answered_count_for_median: int


@dataclass
class ParityFlag:
    case_type: str
    rosa_level: int
    channel: str
    contacts: int
    referral_rate: float
    others_rate: float  # pooled over the other channels in the same case type and level
    p_value: float  # two-sided, uncorrected; flagged because it is below alpha / comparisons
    message: str


@dataclass
class ParityReport:
    rows: list[ChannelRow]
    flags: list[ParityFlag]


@dataclass
class ShiftCandidate:
    case_type: str
    contacts: int  # all channels
    expensive_contacts: int
    low_level_share: float  # level 1-2 share of the expensive-channel contacts
    low_level_expensive_contacts: int
    hours_saved: float


@dataclass
class ServiceLevels:
    emails: int
    emails_within_one_working_day_share: float | None
    calls: int
    calls_answered_share: float | None
    median_wait_seconds: float | None


# --- Input checks -------------------------------------------------------------------------


def _check_channel(channel: str) -> str:
    if channel not in _ORDER:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNEL_CODES}")
    return channel


def _checked(counts: Iterable[Count]) -> Iterable[Count]:
    for channel, case_type, level, outcome, count in counts:
        _check_channel(channel)
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"ROSA level must be {MIN_LEVEL}-{MAX_LEVEL}, got {level}")
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        yield channel, case_type, level, outcome, count


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")


def _percent(share: float) -> str:
    return svformat.percent(share, 0)


# --- Channel parity -----------------------------------------------------------------------


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test of x1/n1 against x2/n2.

    Normal approximation: z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with the pooled
    p = (x1 + x2) / (n1 + n2), and p-value = erfc(|z| / sqrt(2)). None when there is
    nothing to test: an empty group, or a pooled p of 0 or 1 (no variance).
    """
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if pooled <= 0.0 or pooled >= 1.0:
        return None
    standard_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = (x1 / n1 - x2 / n2) / standard_error
    return math.erfc(abs(z) / math.sqrt(2.0))


def parity(
    counts: Iterable[Count],
    minutes_to_answer: Mapping[str, Sequence[float]],
    *,
    min_contacts: int = 20,
    alpha: float = 0.01,
    min_difference: float = 0.10,
) -> ParityReport:
    """Per channel figures, and the case types where a channel is referred differently.

    `minutes_to_answer` holds, per channel, the minutes from arrival to triage or reply
    (inbox messages) or from creation to answer (referrals); their median is reported.

    Flags. Within each (case type, level) cell, every channel with at least `min_contacts`
    contacts is compared with the pooled referral rate of all the other channels in the
    cell (together also at least `min_contacts`) by `two_proportion_p_value`. A channel is
    flagged when p < alpha / m and |its rate - the others' rate| >= `min_difference`, where
    m is the number of comparisons that could be tested in the first pass over all cells
    (Bonferroni: the chance of at least one false flag in the whole report stays below
    `alpha`). The difference threshold keeps large but harmless differences out.

    One channel far from the rest pulls the pooled rate of the others with it, so the
    ordinary channels would look "different" too. Within a cell the most significant
    flag is therefore taken first, its channel set aside, and the remaining channels are
    compared again among themselves, until nothing more is flagged.
    """
    if min_contacts < 1:
        raise ValueError(f"min_contacts must be >= 1, got {min_contacts}")
    _check_fraction("alpha", alpha)
    _check_fraction("min_difference", min_difference)

    totals: dict[str, dict[str, int]] = {}
    # (case_type, level) -> channel -> [contacts, referrals]
    cells: dict[tuple[str, int], dict[str, list[int]]] = {}
    for channel, case_type, level, outcome, count in _checked(counts):
        by_outcome = totals.setdefault(channel, dict.fromkeys(OUTCOMES, 0))
        by_outcome[outcome] += count
        tally = cells.setdefault((case_type, level), {}).setdefault(channel, [0, 0])
        tally[0] += count
        if outcome == ESKALERAT:
            tally[1] += count

    medians: dict[str, tuple[float | None, int]] = {}
    for channel, minutes in minutes_to_answer.items():
        _check_channel(channel)
        values = [float(value) for value in minutes]
        if any(not math.isfinite(value) or value < 0 for value in values):
            raise ValueError(f"minutes to answer for {channel!r} must be finite and >= 0")
        medians[channel] = (statistics.median(values) if values else None, len(values))

    rows = []
    for channel in CHANNEL_CODES:
        if channel not in totals and channel not in medians:
            continue
        by_outcome = totals.get(channel, dict.fromkeys(OUTCOMES, 0))
        contacts = sum(by_outcome.values())
        median, answered = medians.get(channel, (None, 0))
        rows.append(
            ChannelRow(
                channel=channel,
                contacts=contacts,
                first_contact_share=by_outcome[INFORMERAT] / contacts if contacts else None,
                referral_rate=by_outcome[ESKALERAT] / contacts if contacts else None,
                median_minutes_to_answer=median,
                answered_count_for_median=answered,
            )
        )

    comparisons = sum(len(_comparisons(cell, min_contacts)) for cell in cells.values())
    flags: list[ParityFlag] = []
    if comparisons:
        threshold = alpha / comparisons
        for (case_type, level), cell in sorted(cells.items()):
            flags.extend(
                _cell_flags(case_type, level, cell, min_contacts, threshold, min_difference)
            )
    return ParityReport(rows=rows, flags=flags)


@dataclass(frozen=True)
class _Comparison:
    channel: str
    contacts: int
    rate: float
    others_rate: float
    p_value: float


def _comparisons(cell: Mapping[str, list[int]], min_contacts: int) -> list[_Comparison]:
    """Each channel of a cell against the pooled others, where both are large enough."""
    all_contacts = sum(contacts for contacts, _ in cell.values())
    all_referrals = sum(referrals for _, referrals in cell.values())
    result = []
    for channel in sorted(cell, key=_ORDER.__getitem__):
        contacts, referrals = cell[channel]
        others, others_referrals = all_contacts - contacts, all_referrals - referrals
        if contacts < min_contacts or others < min_contacts:
            continue
        p_value = two_proportion_p_value(referrals, contacts, others_referrals, others)
        if p_value is None:
            continue
        result.append(
            _Comparison(channel, contacts, referrals / contacts, others_referrals / others, p_value)
        )
    return result


def _cell_flags(
    case_type: str,
    level: int,
    cell: Mapping[str, list[int]],
    min_contacts: int,
    threshold: float,
    min_difference: float,
) -> list[ParityFlag]:
    remaining = dict(cell)
    flags = []
    while True:
        significant = [
            comparison
            for comparison in _comparisons(remaining, min_contacts)
            if comparison.p_value < threshold
            and abs(comparison.rate - comparison.others_rate) >= min_difference - _EPSILON
        ]
        if not significant:
            break
        # With two channels both comparisons are the same test: the smaller channel is
        # the one that departs from how the case type is usually handled.
        chosen = min(significant, key=lambda c: (c.p_value, c.contacts, _ORDER[c.channel]))
        del remaining[chosen.channel]
        direction = "oftare" if chosen.rate > chosen.others_rate else "mer sällan"
        flags.append(
            ParityFlag(
                case_type=case_type,
                rosa_level=level,
                channel=chosen.channel,
                contacts=chosen.contacts,
                referral_rate=chosen.rate,
                others_rate=chosen.others_rate,
                p_value=chosen.p_value,
                message=(
                    f"{channel_label(chosen.channel)} remitteras {direction} än andra kanaler "
                    f"för {case_type} nivå {level} "
                    f"({_percent(chosen.rate)} mot {_percent(chosen.others_rate)})"
                ),
            )
        )
    flags.sort(key=lambda flag: _ORDER[flag.channel])
    return flags


# --- Channel shift ------------------------------------------------------------------------


def channel_shift(
    counts: Iterable[Count],
    minutes_per_contact: Mapping[tuple[str, int], float] | None = None,
    *,
    expensive: Sequence[str] = ("besok", "telefon"),
    min_share: float = 0.6,
    min_contacts: int = 50,
    self_service_share: float = 0.5,
) -> list[ShiftCandidate]:
    """Case types whose contacts on expensive channels are mostly level 1-2.

    A case type is a candidate when it has at least `min_contacts` contacts on the
    `expensive` channels and at least `min_share` of them are at ROSA level 1-2.

    hours_saved = sum over its level 1-2 expensive contacts of
    `self_service_share` x minutes per contact / 60, where `self_service_share` is the
    assumed share of those contacts that would move to better web information or an
    e-service (half by default: an assumption to state beside the figure, not a
    measurement), and minutes per contact come from `minutes_per_contact[(channel, level)]`
    (e.g. the measured mean handling time) or else `DEFAULT_MINUTES_PER_CONTACT`.

    Sorted by hours saved, largest first.
    """
    for channel in expensive:
        _check_channel(channel)
    _check_fraction("min_share", min_share)
    _check_fraction("self_service_share", self_service_share)
    minutes_per_contact = minutes_per_contact or {}
    for (channel, _level), minutes in minutes_per_contact.items():
        _check_channel(channel)
        if not math.isfinite(minutes) or minutes < 0:
            raise ValueError(f"minutes per contact must be finite and >= 0, got {minutes}")

    def minutes_for(channel: str, level: int) -> float:
        if (channel, level) in minutes_per_contact:
            return minutes_per_contact[(channel, level)]
        if channel in DEFAULT_MINUTES_PER_CONTACT:
            return DEFAULT_MINUTES_PER_CONTACT[channel]
        raise ValueError(f"no minutes per contact for channel {channel!r} at level {level}")

    expensive_set = frozenset(expensive)
    # case_type -> [contacts, expensive, low-level expensive, low-level expensive minutes]
    tallies: dict[str, list[float]] = {}
    for channel, case_type, level, _outcome, count in _checked(counts):
        tally = tallies.setdefault(case_type, [0, 0, 0, 0.0])
        tally[0] += count
        if channel in expensive_set:
            tally[1] += count
            if level <= LOW_LEVEL_MAX:
                tally[2] += count
                tally[3] += count * minutes_for(channel, level)

    candidates = []
    for case_type, (contacts, expensive_contacts, low, low_minutes) in tallies.items():
        if expensive_contacts < min_contacts or expensive_contacts == 0:
            continue
        share = low / expensive_contacts
        if share < min_share - _EPSILON:
            continue
        candidates.append(
            ShiftCandidate(
                case_type=case_type,
                contacts=int(contacts),
                expensive_contacts=int(expensive_contacts),
                low_level_share=share,
                low_level_expensive_contacts=int(low),
                hours_saved=low_minutes * self_service_share / 60.0,
            )
        )
    candidates.sort(key=lambda c: (-c.hours_saved, -c.low_level_expensive_contacts, c.case_type))
    return candidates


# --- Service levels -----------------------------------------------------------------------


def service_levels(
    email_answered_within_day: Iterable[bool], calls: Iterable[CallRecord]
) -> ServiceLevels:
    """The figures municipalities report (SKR, Kommunens kvalitet i korthet).

    `email_answered_within_day` holds one bool per e-mail: answered within one working
    day (the caller decides working days, e.g. with rosa.calendar). The share of calls
    answered counts every call in the export. The median waiting time is taken over all
    calls, answered or abandoned: the wait of those who hung up is part of what callers
    experience, and leaving it out would make a queue look better the more callers give up.
    Each figure is None when there is nothing to base it on.
    """
    emails = within = 0
    for answered_in_time in email_answered_within_day:
        emails += 1
        within += bool(answered_in_time)
    call_count = answered = 0
    waits: list[int] = []
    for call in calls:
        call_count += 1
        answered += call.answered
        waits.append(call.wait_seconds)
    return ServiceLevels(
        emails=emails,
        emails_within_one_working_day_share=within / emails if emails else None,
        calls=call_count,
        calls_answered_share=answered / call_count if call_count else None,
        median_wait_seconds=float(statistics.median(waits)) if waits else None,
    )
