"""Working-time calendar: Easter, Swedish holidays, deadlines and parked time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rosa.calendar import (
    WorkingHours,
    add_working_hours,
    easter_sunday,
    is_working_day,
    swedish_public_holidays,
    working_time_between,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
EVERY_DAY = frozenset(range(7))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


# --- Easter and holidays ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),  # earliest possible date
    ],
)
def test_easter_sunday(year, expected):
    assert easter_sunday(year) == expected


def test_easter_sunday_is_always_a_sunday_in_range():
    for year in range(1900, 2201):
        easter = easter_sunday(year)
        assert easter.weekday() == 6
        assert date(year, 3, 22) <= easter <= date(year, 4, 25)


def test_easter_before_gregorian_calendar_is_rejected():
    with pytest.raises(ValueError):
        easter_sunday(1500)


def test_holidays_2026():
    holidays = swedish_public_holidays(2026)
    assert holidays[date(2026, 1, 1)] == "Nyårsdagen"
    assert holidays[date(2026, 1, 6)] == "Trettondedag jul"
    assert holidays[date(2026, 4, 3)] == "Långfredagen"
    assert holidays[date(2026, 4, 5)] == "Påskdagen"
    assert holidays[date(2026, 4, 6)] == "Annandag påsk"
    assert holidays[date(2026, 5, 1)] == "Första maj"
    assert holidays[date(2026, 5, 14)] == "Kristi himmelsfärdsdag"
    assert holidays[date(2026, 5, 24)] == "Pingstdagen"
    assert holidays[date(2026, 6, 6)] == "Sveriges nationaldag"
    assert holidays[date(2026, 6, 19)] == "Midsommarafton"
    assert holidays[date(2026, 6, 20)] == "Midsommardagen"
    assert holidays[date(2026, 10, 31)] == "Alla helgons dag"
    assert holidays[date(2026, 12, 24)] == "Julafton"
    assert holidays[date(2026, 12, 25)] == "Juldagen"
    assert holidays[date(2026, 12, 26)] == "Annandag jul"
    assert holidays[date(2026, 12, 31)] == "Nyårsafton"
    assert len(holidays) == 13 + 3


def test_holidays_without_eves():
    holidays = swedish_public_holidays(2026, include_eves=False)
    assert len(holidays) == 13
    assert date(2026, 12, 24) not in holidays
    assert date(2026, 12, 31) not in holidays
    assert date(2026, 6, 19) not in holidays
    assert holidays[date(2026, 12, 25)] == "Juldagen"


def test_holidays_2025_saturday_rules():
    holidays = swedish_public_holidays(2025)
    assert holidays[date(2025, 11, 1)] == "Alla helgons dag"
    assert holidays[date(2025, 6, 21)] == "Midsommardagen"
    assert holidays[date(2025, 6, 20)] == "Midsommarafton"
    assert date(2025, 10, 31) not in holidays


def test_moveable_and_fixed_holidays_on_the_same_day_keep_both_names():
    # Easter 2008 was 23 March, so Kristi himmelsfärdsdag fell on 1 May.
    holidays = swedish_public_holidays(2008)
    assert holidays[date(2008, 5, 1)] == "Första maj och Kristi himmelsfärdsdag"
    assert len(holidays) == 15


def test_midsummer_and_all_saints_are_saturdays_in_their_windows():
    for year in range(2000, 2060):
        names = {name: day for day, name in swedish_public_holidays(year).items()}
        assert names["Midsommardagen"].weekday() == 5
        assert date(year, 6, 20) <= names["Midsommardagen"] <= date(year, 6, 26)
        assert names["Midsommarafton"] == names["Midsommardagen"] - timedelta(days=1)
        assert names["Alla helgons dag"].weekday() == 5
        assert date(year, 10, 31) <= names["Alla helgons dag"] <= date(year, 11, 6)


# --- WorkingHours and is_working_day -----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": time(17), "closes": time(8)},
        {"opens": time(9), "closes": time(9)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({0, 7})},
        {"weekdays": frozenset({-1})},
        {"tz": "Europe/Nowhere"},
    ],
)
def test_invalid_working_hours(kwargs):
    with pytest.raises(ValueError):
        WorkingHours(**kwargs)


def test_working_hours_stores_weekdays_as_frozenset():
    hours = WorkingHours(weekdays={0, 1})
    assert hours.weekdays == frozenset({0, 1})
    hash(hours)


def test_is_working_day():
    assert is_working_day(date(2026, 3, 9))  # Monday
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert not is_working_day(date(2026, 4, 3))  # Långfredagen
    assert not is_working_day(date(2026, 5, 14))  # Kristi himmelsfärdsdag
    assert not is_working_day(date(2026, 12, 24))  # Julafton, a Thursday
    assert is_working_day(date(2026, 12, 24), WorkingHours(include_eves=False))
    assert is_working_day(date(2026, 3, 7), WorkingHours(weekdays=EVERY_DAY))
    with pytest.raises(TypeError):
        is_working_day(local(2026, 3, 9, 10))


# --- add_working_hours ---------------------------------------------------------------------


def test_friday_afternoon_rolls_over_the_weekend():
    assert add_working_hours(local(2026, 3, 6, 16), 2) == local(2026, 3, 9, 9)


def test_start_before_opening_counts_from_opening():
    assert add_working_hours(local(2026, 3, 9, 7), 1) == local(2026, 3, 9, 9)


def test_start_after_closing_counts_from_next_opening():
    assert add_working_hours(local(2026, 3, 9, 19), 1) == local(2026, 3, 10, 9)


def test_within_one_day():
    assert add_working_hours(local(2026, 3, 10, 10, 30), 2.5) == local(2026, 3, 10, 13)


def test_72_hours_is_eight_full_working_days():
    # Mon-Fri (45 h) + Mon-Wed (27 h): the deadline is Wednesday of the following week at
    # closing time, not the next morning.
    assert add_working_hours(local(2026, 3, 9, 8), 72) == local(2026, 3, 18, 17)
    assert add_working_hours(local(2026, 3, 9, 8), 72.25) == local(2026, 3, 19, 8, 15)


def test_zero_hours():
    assert add_working_hours(local(2026, 3, 7, 12), 0) == local(2026, 3, 9, 8)  # Saturday
    assert add_working_hours(local(2026, 3, 9, 7), 0) == local(2026, 3, 9, 8)
    assert add_working_hours(local(2026, 3, 9, 17), 0) == local(2026, 3, 10, 8)  # closed
    inside = local(2026, 3, 9, 11, 23)
    assert add_working_hours(inside, 0) == inside


def test_easter_2026_is_skipped():
    # Thursday 2 April 16:00: one hour that day, then Långfredagen, the weekend and
    # Annandag påsk are closed.
    assert add_working_hours(local(2026, 4, 2, 16), 2) == local(2026, 4, 7, 9)
    # A week of work from the Wednesday before Easter ends on the Thursday after it.
    assert add_working_hours(local(2026, 4, 1, 8), 5 * 9) == local(2026, 4, 9, 17)


def test_christmas_2026_is_skipped():
    # Working days: 23, 28, 29, 30 December, then 4 January (24-27 and 31 Dec-3 Jan closed).
    start = local(2026, 12, 23, 8)
    assert add_working_hours(start, 4 * 9) == local(2026, 12, 30, 17)
    assert add_working_hours(start, 4 * 9 + 1) == local(2027, 1, 4, 9)
    assert add_working_hours(local(2026, 12, 23, 16), 2) == local(2026, 12, 28, 9)


def test_christmas_eves_count_when_excluded_from_closures():
    calendar = WorkingHours(include_eves=False)
    assert add_working_hours(local(2026, 12, 23, 16), 2, calendar) == local(2026, 12, 24, 9)
    assert add_working_hours(local(2026, 12, 30, 16), 2, calendar) == local(2026, 12, 31, 9)


def test_kristi_himmelsfard_and_midsummer_eve_are_skipped():
    assert add_working_hours(local(2026, 5, 13, 16), 2) == local(2026, 5, 15, 9)
    assert add_working_hours(local(2026, 6, 18, 16), 2) == local(2026, 6, 22, 9)


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # Spring forward on Sunday 29 March 2026: 07:00 UTC (CET) to 15:00 UTC (CEST).
        (local(2026, 3, 27, 8), datetime(2026, 3, 30, 15, tzinfo=UTC)),
        # Fall back on Sunday 25 October 2026: 06:00 UTC (CEST) to 16:00 UTC (CET).
        (local(2026, 10, 23, 8), datetime(2026, 10, 26, 16, tzinfo=UTC)),
    ],
)
def test_weekend_with_dst_change(start, expected_utc):
    assert add_working_hours(start, 18) == expected_utc


@pytest.mark.parametrize("change_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_dst_change_day_is_nine_hours(change_day):
    calendar = WorkingHours(weekdays=EVERY_DAY)
    opening = datetime.combine(change_day, time(8), tzinfo=STOCKHOLM)
    closing = datetime.combine(change_day, time(17), tzinfo=STOCKHOLM)
    assert add_working_hours(opening, 9, calendar) == closing
    assert working_time_between(opening - timedelta(hours=6), closing, calendar) == timedelta(
        hours=9
    )


def test_result_is_utc():
    result = add_working_hours(local(2026, 3, 9, 10), 1)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 9, 10, tzinfo=UTC)  # 11:00 CET


def test_start_in_another_time_zone():
    # 06:30 UTC is 07:30 in Stockholm: counting starts at 08:00 local.
    assert add_working_hours(datetime(2026, 3, 9, 6, 30, tzinfo=UTC), 1) == local(2026, 3, 9, 9)


def test_naive_start_is_rejected():
    with pytest.raises(ValueError):
        add_working_hours(datetime(2026, 3, 9, 10), 1)


@pytest.mark.parametrize("hours", [-1, -0.001, float("nan"), float("inf")])
def test_invalid_hours_are_rejected(hours):
    with pytest.raises(ValueError):
        add_working_hours(local(2026, 3, 9, 10), hours)


def test_custom_working_hours():
    calendar = WorkingHours(opens=time(9), closes=time(15), weekdays=frozenset({0, 1, 2, 3}))
    # Thursday 14:00: one hour left, Friday closed, the rest on Monday.
    assert add_working_hours(local(2026, 3, 12, 14), 2, calendar) == local(2026, 3, 16, 10)
    assert add_working_hours(local(2026, 3, 13, 10), 0, calendar) == local(2026, 3, 16, 9)
    assert add_working_hours(local(2026, 3, 9, 8), 4 * 6, calendar) == local(2026, 3, 12, 15)
    assert add_working_hours(local(2026, 3, 9, 16), 1, calendar) == local(2026, 3, 10, 10)


def test_other_time_zone_calendar():
    calendar = WorkingHours(tz="Europe/Helsinki")
    helsinki = ZoneInfo("Europe/Helsinki")
    start = datetime(2026, 3, 9, 16, tzinfo=helsinki)
    assert add_working_hours(start, 2, calendar) == datetime(2026, 3, 10, 9, tzinfo=helsinki)


def test_large_sla():
    start = local(2026, 1, 5, 8)
    deadline = add_working_hours(start, 2000)
    assert deadline > start + timedelta(days=300)
    assert is_working_day(deadline.astimezone(STOCKHOLM).date())
    assert working_time_between(start, deadline) == timedelta(hours=2000)


# --- working_time_between --------------------------------------------------------------------


def test_working_time_same_day():
    assert working_time_between(local(2026, 3, 9, 10), local(2026, 3, 9, 12)) == timedelta(hours=2)


def test_working_time_over_weekend():
    assert working_time_between(local(2026, 3, 6, 16), local(2026, 3, 9, 9)) == timedelta(hours=2)


def test_working_time_outside_opening_hours_only():
    assert working_time_between(local(2026, 3, 9, 17), local(2026, 3, 10, 8)) == timedelta(0)
    assert working_time_between(local(2026, 3, 7, 9), local(2026, 3, 8, 17)) == timedelta(0)


def test_working_time_end_before_start_is_zero():
    assert working_time_between(local(2026, 3, 9, 12), local(2026, 3, 9, 10)) == timedelta(0)
    same = local(2026, 3, 9, 12)
    assert working_time_between(same, same) == timedelta(0)


def test_working_time_over_christmas():
    total = working_time_between(local(2026, 12, 21, 8), local(2027, 1, 8, 17))
    # 21-23 and 28-30 December, 4-5 and 7-8 January (6 January is Trettondedag jul).
    assert total == timedelta(hours=10 * 9)


def test_working_time_rejects_naive():
    with pytest.raises(ValueError):
        working_time_between(datetime(2026, 3, 9, 10), local(2026, 3, 9, 12))
    with pytest.raises(ValueError):
        working_time_between(local(2026, 3, 9, 10), datetime(2026, 3, 9, 12))


@pytest.mark.parametrize(
    "calendar",
    [
        WorkingHours(),
        WorkingHours(opens=time(9), closes=time(15), weekdays=frozenset({0, 1, 2, 3})),
        WorkingHours(weekdays=EVERY_DAY, include_eves=False),
    ],
)
def test_working_time_is_the_inverse_of_adding(calendar):
    # Starts every 7 h 13 min from before the spring DST change through Easter 2026, plus a
    # few around Christmas; both in local time and UTC.
    starts = [local(2026, 3, 25, 5) + timedelta(hours=7, minutes=13) * i for i in range(40)]
    starts += [datetime(2026, 12, 22, 6, tzinfo=UTC) + timedelta(hours=11) * i for i in range(20)]
    for start in starts:
        for hours in (0, 0.25, 1, 2.5, 8.75, 9, 17, 72, 200):
            deadline = add_working_hours(start, hours, calendar)
            assert deadline >= start
            assert working_time_between(start, deadline, calendar) == timedelta(hours=hours), (
                start,
                hours,
            )
