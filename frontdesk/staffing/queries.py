"""The staffing forecast of an office, channel and day, and the channels' targets."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import ContactMonthTally, OfficeHourStat, StaffingTarget
from frontdesk.tallies import working_hours
from kanaler import CHANNELS
from rosa.staffing import (
    HourForecast,
    expected_arrivals,
    forecast_hours,
    history_days,
    opening_hours,
)

# Channels where the citizen waits for someone, and so the ones Erlang C staffs.
STAFFED_CHANNELS = tuple(c.code for c in CHANNELS if c.synchronous)
# Targets until a manager sets the office's own: the common 80/20 of contact centres for
# the phone and chat, and 80 % of visitors served within 10 minutes at the counter.
DEFAULT_TARGETS = {"besok": (0.8, 600), "telefon": (0.8, 20), "chatt": (0.8, 60)}
# When a channel has no logged durations yet: what a contact of it typically takes.
DEFAULT_HANDLING_SECONDS = {"besok": 600, "telefon": 300, "chatt": 480}
# Handling times are read from this many days back.
HANDLING_DAYS = 90
# A full-time post at the desk: the hours of a working month one person is there for.
HOURS_PER_POST_AND_MONTH = 160


@dataclass(frozen=True)
class Target:
    channel: str
    service_level: float
    within_seconds: int
    is_default: bool


def targets() -> dict[str, Target]:
    stored = {t.channel: t for t in db.session.scalars(sa.select(StaffingTarget))}
    result = {}
    for channel in STAFFED_CHANNELS:
        if channel in stored:
            row = stored[channel]
            result[channel] = Target(channel, row.service_level, row.within_seconds, False)
        else:
            level, within = DEFAULT_TARGETS[channel]
            result[channel] = Target(channel, level, within, True)
    return result


def first_contact_day(office_id: int) -> date | None:
    return db.session.scalar(
        sa.select(sa.func.min(OfficeHourStat.day)).where(OfficeHourStat.office_id == office_id)
    )


def handling_seconds(office_id: int, channel: str, day: date) -> tuple[float, bool]:
    """The mean logged duration of the channel's contacts at the office in the last
    HANDLING_DAYS (whole months from the tally); (default, False) when none was logged."""
    since = (day - timedelta(days=HANDLING_DAYS)).replace(day=1)
    total, count = db.session.execute(
        sa.select(
            sa.func.sum(ContactMonthTally.duration_sum), sa.func.sum(ContactMonthTally.duration_n)
        ).where(
            ContactMonthTally.office_id == office_id,
            ContactMonthTally.channel == channel,
            ContactMonthTally.month >= since,
            ContactMonthTally.month <= day,
        )
    ).one()
    if not count:
        return float(DEFAULT_HANDLING_SECONDS[channel]), False
    return float(total) / float(count), True


@dataclass(frozen=True)
class DayForecast:
    day: date
    hours: list[HourForecast]
    history: list[date]
    handling_seconds: float
    handling_from_history: bool

    @property
    def staff_hours(self) -> int:
        return sum(h.staff for h in self.hours)

    @property
    def arrivals(self) -> float:
        return sum(h.arrivals for h in self.hours)


def forecast(
    office,
    channel: str,
    day: date,
    service_level: float,
    within_seconds: int,
    extra_erlangs: float = 0.0,
    first_day: date | None = None,
) -> DayForecast:
    """The expected arrivals of each opening hour of `day` (the mean of the same weekday
    and hour over the last 8 such days that were not holidays), the handling time, and
    the staff Erlang C needs for the target.

    `extra_erlangs`: work moved to the channel (the what-if's hours), added to every hour.
    """
    hours = working_hours(office.opens, office.closes)
    open_hours = opening_hours(day, hours)
    first_day = first_day if first_day is not None else first_contact_day(office.id)
    history = history_days(day, first_day, hours)
    counts = {}
    if history and open_hours:
        counts = {
            (row.day, row.hour): row.contacts
            for row in db.session.execute(
                sa.select(OfficeHourStat.day, OfficeHourStat.hour, OfficeHourStat.contacts).where(
                    OfficeHourStat.office_id == office.id,
                    OfficeHourStat.channel == channel,
                    OfficeHourStat.day.in_(history),
                )
            )
        }
    arrivals = expected_arrivals(history, counts, open_hours)
    handling, measured = handling_seconds(office.id, channel, day)
    if extra_erlangs:
        arrivals = {h: a + extra_erlangs * 3600 / handling for h, a in arrivals.items()}
    return DayForecast(
        day,
        forecast_hours(arrivals, handling, service_level, within_seconds),
        history,
        handling,
        measured,
    )


# Working days in a month, on average (weekdays less the public holidays).
WORKING_DAYS_PER_MONTH = 21


def extra_erlangs_for(hours_per_month: float, office) -> float:
    """Work moved to the desk, in hours a month, as the people it keeps busy while open."""
    minutes_open = (office.closes.hour * 60 + office.closes.minute) - (
        office.opens.hour * 60 + office.opens.minute
    )
    return hours_per_month / (minutes_open / 60 * WORKING_DAYS_PER_MONTH)
