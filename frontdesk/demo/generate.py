"""Synthetic contacts whose ROSA levels follow the 2008 study's staircase.

About 25 % of contacts at level 1, 65 % up to level 2 and 75 % up to level 4;
case types differ (routine ones sit lower, assessment-heavy ones higher) but
average out to that staircase. Rows are plain tuples so they can be bulk-loaded.
"""

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from frontdesk.models.referral import ReferralStatus
from frontdesk.timeutil import LOCAL_TZ
from rosa import Outcome, route
from rosa.calendar import add_working_hours

# Share of contacts per level 1..8: cumulative 25, 65, 70, 75, 82, 94, 97, 100 %.
LEVEL_WEIGHTS = (0.25, 0.40, 0.05, 0.05, 0.07, 0.12, 0.03, 0.03)
CHANNEL_WEIGHTS = {"besok": 30, "telefon": 40, "epost": 12, "brev": 3, "webb": 8, "chatt": 7}
ROUTINE = {"PARK", "BOPARK", "AVFALL", "BIBL", "LOKAL", "KARTA", "FSKOLA", "SKVFOLK", "MAXT"}
ASSESSMENT = {"EKB", "LSS", "HEMTJ", "STRAND", "BOSTAD", "SERV", "ENSKAV"}
MEAN_MINUTES = {1: 2, 2: 6, 3: 8, 4: 10}
NOTES = (
    "Återkommer med komplettering.",
    "Fick blankett och hjälp med e-tjänsten.",
    "Vill bli uppringd efter kl 15.",
    "Tolk behövs (arabiska).",
    "Har sökt tidigare, väntar på beslut.",
)
# New ones twice as often as the other open states.
OPEN_STATUSES = (
    ReferralStatus.NY,
    ReferralStatus.NY,
    ReferralStatus.PAGAR,
    ReferralStatus.VANTAR,
    ReferralStatus.ATERFORD,
)
ANSWERS = (
    "Beslut fattat, skickas med post.",
    "Ansökan är komplett och handläggs; svar inom två veckor.",
    "Medborgaren behöver komplettera med intyg.",
    "Ärendet är avslutat efter telefonsamtal.",
)
# SLA hours are working hours (Mon-Fri 08-17); for the closed referrals the synthetic
# data stretches them by the week's ratio instead of walking the calendar 300,000 times.
CALENDAR_STRETCH = (7 * 24) / (5 * 9)


def _stamp_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000000")


@dataclass(frozen=True)
class CaseTypeInfo:
    id: int
    code: str
    sla_hours: int
    queue_id: int
    handler_ids: tuple[int, ...] = ()  # handläggare of the owning organisation


@dataclass(frozen=True)
class OfficeInfo:
    id: int
    staff_ids: tuple[int, ...]
    mandates: dict[int, int]  # case-type id -> max level (DEFAULT_MANDATE where absent)


def level_weights(code: str) -> list[float]:
    """The level distribution of one case type: the study's, tilted by the kind of matter."""
    weights = list(LEVEL_WEIGHTS)
    if code in ROUTINE:
        factors = (1.0, 0.9, 2.5, 2.5, 0.8, 0.4, 0.5, 0.5)
    elif code in ASSESSMENT:
        factors = (0.7, 0.9, 0.8, 0.6, 1.5, 2.5, 1.5, 1.0)
    else:
        factors = (1.05, 1.05, 0.9, 0.9, 0.95, 0.85, 0.95, 1.0)
    return [w * f for w, f in zip(weights, factors, strict=True)]


def working_days(end: date, days: int) -> list[date]:
    """Weekdays in the `days` calendar days up to and including `end`."""
    result = []
    for offset in range(days):
        day = end - timedelta(days=offset)
        if day.weekday() < 5:
            result.append(day)
    return result


def _day_prefix_and_offset(day: date) -> tuple[str, int]:
    """The UTC date string and the UTC offset in seconds of a local office day.

    Offices are open 08-17 local time, well away from midnight and from the
    02:00-03:00 switch to and from summer time, so one offset per day is exact.
    """
    noon = datetime.combine(day, time(12), tzinfo=LOCAL_TZ)
    offset = int(noon.utcoffset().total_seconds())
    return day.isoformat(), offset


def _stamp(prefix: str, local_seconds: int, offset: int) -> str:
    seconds = local_seconds - offset
    return f"{prefix} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000"


def generate_contacts(
    count: int,
    offices: list[OfficeInfo],
    case_types: list[CaseTypeInfo],
    *,
    first_id: int,
    now: datetime,
    seed: int = 2026,
) -> Iterator[tuple[tuple, tuple | None]]:
    """Yield (contact row, referral row or None) tuples; timestamps as naive-UTC strings.

    Contact row: id, occurred_at, office_id, channel, case_type_id, rosa_level,
    outcome, duration_seconds, staff_id, note, is_repeat, created_at.
    Referral row: contact_id, queue_id, status, created_at, due_at, closed_at, version.
    """
    rng = random.Random(seed)
    today = now.astimezone(LOCAL_TZ).date()
    days = [_day_prefix_and_offset(d) for d in working_days(today - timedelta(days=1), 365)]
    recent_cutoff = (today - timedelta(days=10)).isoformat()
    channels = list(CHANNEL_WEIGHTS)
    channel_weights = list(CHANNEL_WEIGHTS.values())
    per_type_weights = {ct.id: list(accumulate(level_weights(ct.code))) for ct in case_types}
    channel_cum = list(accumulate(channel_weights))
    # Each office has its own popular case types: a Zipf-like curve over a shuffled catalogue.
    office_mix = []
    for office in offices:
        order = case_types[:]
        rng.shuffle(order)
        zipf = [1 / (rank + 1) ** 0.9 for rank in range(len(order))]
        office_mix.append((office, order, list(accumulate(zipf))))

    chunk = 10_000
    for chunk_start in range(0, count, chunk):
        size = min(chunk, count - chunk_start)
        # Drawing a chunk at a time is several times faster than one draw per row.
        channel_draws = rng.choices(channels, cum_weights=channel_cum, k=size)
        day_draws = rng.choices(days, k=size)
        for offset_in_chunk in range(size):
            index = chunk_start + offset_in_chunk
            yield _contact_row(
                rng,
                index,
                first_id,
                office_mix[index % len(office_mix)],
                channel_draws[offset_in_chunk],
                day_draws[offset_in_chunk],
                per_type_weights,
                recent_cutoff,
            )


def _contact_row(rng, index, first_id, mix, channel, day, per_type_weights, recent_cutoff):
    office, order, weights = mix
    case_type = order[bisect(weights, rng.random() * weights[-1])]
    level_cum = per_type_weights[case_type.id]
    level = bisect(level_cum, rng.random() * level_cum[-1]) + 1
    put_through = channel in ("telefon", "besok") and level > 2 and rng.random() < 0.05
    outcome = route(level, office.mandates.get(case_type.id, 2), put_through)
    prefix, offset = day
    # Opening hours 08-17 with a late-morning peak.
    local_seconds = int(min(max(rng.gauss(11.5 * 3600, 2.3 * 3600), 8 * 3600), 17 * 3600 - 1))
    occurred = _stamp(prefix, local_seconds, offset)
    duration = int(rng.expovariate(1 / (MEAN_MINUTES.get(level, 5) * 60))) + 30
    note = rng.choice(NOTES) if rng.random() < 0.05 else ""
    is_repeat = rng.random() < (0.12 if outcome is Outcome.ESKALERAT else 0.06)
    contact_id = first_id + index
    staff = (
        office.staff_ids[int(rng.random() * len(office.staff_ids))] if office.staff_ids else None
    )
    contact = (
        contact_id,
        occurred,
        office.id,
        channel,
        case_type.id,
        level,
        outcome.value,
        duration,
        staff,
        note,
        is_repeat,
        occurred,
    )
    referral = None
    if outcome is Outcome.ESKALERAT:
        referral = _referral_row(rng, contact_id, case_type, occurred, prefix < recent_cutoff)
    return contact, referral


def _referral_row(rng, contact_id, case_type, occurred, is_old) -> tuple:
    """A referral in a plausible state: old ones closed, recent ones anywhere on their way."""
    created = datetime.fromisoformat(occurred).replace(tzinfo=UTC)
    if is_old:
        due = created + timedelta(hours=case_type.sla_hours * CALENDAR_STRETCH)
    else:  # the few that are still open show exact due times, as the queue displays them
        due = add_working_hours(created, case_type.sla_hours)
    status = ReferralStatus.AVSLUTAD if is_old else rng.choice(OPEN_STATUSES)
    handler = rng.choice(case_type.handler_ids) if case_type.handler_ids else None
    if handler is None and status != ReferralStatus.AVSLUTAD:
        status = ReferralStatus.NY
    claimed_at = answered_at = closed_at = parked_until = parked_at = None
    answer, park_reason, callback = "", "", False
    if status != ReferralStatus.NY:
        claimed_at = _stamp_of(created + timedelta(hours=rng.uniform(0.5, 20)))
    if status == ReferralStatus.VANTAR:
        parked_at = claimed_at
        parked_until = (created + timedelta(days=14)).date().isoformat()
        park_reason = "Väntar på komplettering"
    if status in (ReferralStatus.ATERFORD, ReferralStatus.AVSLUTAD):
        answered = created + timedelta(hours=case_type.sla_hours * rng.uniform(0.2, 1.6))
        answered_at = _stamp_of(answered)
        answer = rng.choice(ANSWERS)
        callback = status == ReferralStatus.ATERFORD or rng.random() < 0.5
        if status == ReferralStatus.AVSLUTAD:
            closed_at = _stamp_of(
                answered + timedelta(hours=rng.uniform(0.1, 8)) if callback else answered
            )
    return (
        contact_id, case_type.queue_id, status.value, occurred, _stamp_of(due), closed_at, 1,
        handler if status != ReferralStatus.NY else None, claimed_at, parked_until, parked_at, park_reason,
        answer, answered_at, handler if answered_at else None, callback,
    )  # fmt: skip
