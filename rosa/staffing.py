"""Staffing from the office's own history: expected arrivals per hour and Erlang C.

Pure domain code (standard library and rosa.calendar only).

Erlang C is the queueing model contact centres plan with (M/M/N: Poisson arrivals,
exponential handling times, N servers, nobody hangs up). With traffic intensity
A = arrivals per second × mean handling time, and N > A agents:

    C(N, A)  = N·B(N, A) / (N − A·(1 − B(N, A)))     probability a caller waits
    SL(N, A) = 1 − C(N, A) · exp(−(N − A) · t / h)    share answered within t seconds

where B is Erlang B, computed by its recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)),
which never forms the factorials of the textbook formula and so stays exact for hundreds
of agents. Written here rather than taken from a library: it is ten lines, and the
one maintained package (pyworkforce) brings pandas and OR-Tools for its schedulers.
tests/test_staffing.py checks it against published Erlang B and C tables.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from rosa.calendar import WorkingHours, swedish_public_holidays

__all__ = [
    "HISTORY_DAYS",
    "HourForecast",
    "erlang_b",
    "erlang_c",
    "expected_arrivals",
    "forecast_hours",
    "history_days",
    "opening_hours",
    "service_level",
    "staff_for",
]

# The same weekday this many times back: two months of history, recent enough to follow
# a change of season, long enough that one odd day weighs an eighth.
HISTORY_DAYS = 8
# No office plans more people than this for one hour: the search stops there.
MAX_AGENTS = 500


def erlang_b(agents: int, intensity: float) -> float:
    """The probability that all `agents` are busy when a contact arrives (Erlang B)."""
    if agents < 0 or intensity < 0:
        raise ValueError("agents and intensity must not be negative")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = intensity * blocking / (n + intensity * blocking)
    return blocking


def erlang_c(agents: int, intensity: float) -> float:
    """The probability that a contact has to wait (Erlang C); 1 when the queue never empties."""
    if agents <= intensity:
        return 1.0
    blocking = erlang_b(agents, intensity)
    return agents * blocking / (agents - intensity * (1 - blocking))


def service_level(
    agents: int, arrivals_per_hour: float, handling_seconds: float, within_seconds: float
) -> float:
    """The share of contacts answered within `within_seconds` with `agents` at work."""
    if arrivals_per_hour <= 0:
        return 1.0
    if handling_seconds <= 0:
        raise ValueError("handling_seconds must be positive")
    intensity = arrivals_per_hour * handling_seconds / 3600
    if agents <= intensity:
        return 0.0
    waiting = erlang_c(agents, intensity)
    return max(
        0.0, 1 - waiting * math.exp(-(agents - intensity) * within_seconds / handling_seconds)
    )


def staff_for(
    arrivals_per_hour: float, handling_seconds: float, target: float, within_seconds: float
) -> tuple[int, float]:
    """The fewest agents that answer `target` of the contacts within `within_seconds`,
    and the service level they give. No arrivals: nobody, service level 1."""
    if not 0 < target < 1:
        raise ValueError("target must lie between 0 and 1")
    if arrivals_per_hour <= 0:
        return 0, 1.0
    intensity = arrivals_per_hour * handling_seconds / 3600
    agents = max(1, math.floor(intensity) + 1)
    while agents <= MAX_AGENTS:
        level = service_level(agents, arrivals_per_hour, handling_seconds, within_seconds)
        if level >= target:
            return agents, level
        agents += 1
    raise ValueError(f"more than {MAX_AGENTS} agents would be needed")


def opening_hours(day: date, hours: WorkingHours) -> list[int]:
    """The hours of the day (09 is 09.00–09.59) the office is open, on a working day; else []."""
    if day.weekday() not in hours.weekdays or day in swedish_public_holidays(
        day.year, hours.include_eves
    ):
        return []
    last = hours.closes.hour if hours.closes.minute else hours.closes.hour - 1
    return list(range(hours.opens.hour, last + 1))


def history_days(
    day: date, first_day: date | None, hours: WorkingHours, count: int = HISTORY_DAYS
) -> list[date]:
    """The last `count` days before `day` on its weekday that were not public holidays,
    none before `first_day` (the office's first contact). Newest first."""
    if first_day is None:
        return []
    found = []
    candidate = day - timedelta(days=7)
    while len(found) < count and candidate >= first_day:
        if candidate not in swedish_public_holidays(candidate.year, hours.include_eves):
            found.append(candidate)
        candidate -= timedelta(days=7)
    return found


def expected_arrivals(
    days: Iterable[date], counts: Mapping[tuple[date, int], int], hours: Iterable[int]
) -> dict[int, float]:
    """Per hour, the mean of the contacts in that hour over `days` (a day without any counts
    0); every hour 0 when there is no history."""
    days = list(days)
    if not days:
        return {hour: 0.0 for hour in hours}
    return {hour: sum(counts.get((d, hour), 0) for d in days) / len(days) for hour in hours}


@dataclass(frozen=True)
class HourForecast:
    """One opening hour: expected arrivals, handling time, the staff the target needs and
    the service level they give."""

    hour: int
    arrivals: float
    handling_seconds: float
    staff: int
    service_level: float


def forecast_hours(
    arrivals: Mapping[int, float], handling_seconds: float, target: float, within_seconds: float
) -> list[HourForecast]:
    """The staffing of each hour of `arrivals` for the target."""
    result = []
    for hour, expected in sorted(arrivals.items()):
        staff, level = staff_for(expected, handling_seconds, target, within_seconds)
        result.append(HourForecast(hour, expected, handling_seconds, staff, level))
    return result
