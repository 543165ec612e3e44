"""Staffing: Erlang C against published tables, the forecast from history, page and API."""

from datetime import date, timedelta
from fractions import Fraction
from math import factorial

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Office, OfficeHourStat, StaffingTarget
from rosa.calendar import WorkingHours
from rosa.staffing import (
    erlang_b,
    erlang_c,
    expected_arrivals,
    history_days,
    opening_hours,
    service_level,
    staff_for,
)


@pytest.mark.parametrize(
    ("agents", "erlangs", "published"),
    # Erlang B tables (blocking probability): 2 erlangs on 5 lines, 5 on 10, 10 on 15.
    [(5, 2, 0.0367), (10, 5, 0.0184), (15, 10, 0.0365)],
)
def test_erlang_b_matches_the_published_tables(agents, erlangs, published):
    assert erlang_b(agents, erlangs) == pytest.approx(published, abs=5e-5)


def test_erlang_c_matches_the_textbook_example_and_the_factorial_formula():
    # The worked example contact centres teach with (Call Centre Helper, "Erlang C formula
    # made simple"): 100 calls in 30 minutes, 180 s handling, 80 % within 20 s. A = 10.
    assert [round(erlang_c(n, 10), 4) for n in (11, 12, 13, 14)] == [
        0.6821,
        0.4494,
        0.2853,
        0.1741,
    ]
    assert staff_for(200, 180, 0.8, 20) == (14, pytest.approx(0.8884, abs=1e-4))
    # The formula with factorials, in exact fractions, for 48 erlangs on 55 agents.
    a, n = Fraction(48), 55
    top = a**n / factorial(n) * Fraction(n, n - 48)
    exact = top / (sum(a**k / factorial(k) for k in range(n)) + top)
    assert erlang_c(55, 48) == pytest.approx(float(exact), rel=1e-12)


def test_service_level_edges():
    assert service_level(3, 0, 300, 20) == 1.0
    assert service_level(2, 60, 120, 20) == 0.0  # two erlangs on two agents never empties
    assert staff_for(0, 300, 0.8, 20) == (0, 1.0)
    with pytest.raises(ValueError):
        staff_for(10, 300, 1.0, 20)


def test_history_skips_holidays_and_stops_at_the_first_contact():
    hours = WorkingHours()
    # Tuesday 2026-01-13: the Tuesday before is Trettondedag jul (6 January), skipped.
    days = history_days(date(2026, 1, 13), date(2025, 10, 1), hours)
    assert days[0] == date(2025, 12, 30) and date(2026, 1, 6) not in days
    assert len(days) == 8 and all(d.weekday() == 1 for d in days)
    assert history_days(date(2026, 1, 13), date(2025, 12, 24), hours) == [date(2025, 12, 30)]
    assert history_days(date(2026, 1, 13), None, hours) == []
    assert opening_hours(date(2026, 1, 6), hours) == []  # a holiday
    assert opening_hours(date(2026, 1, 7), hours) == list(range(8, 17))


def test_arrivals_are_the_mean_and_a_flat_history_gives_itself():
    days = [date(2026, 1, 7) - timedelta(weeks=i) for i in range(1, 9)]
    flat = {(d, h): 6 for d in days for h in range(8, 17)}
    assert expected_arrivals(days, flat, range(8, 17)) == dict.fromkeys(range(8, 17), 6.0)
    one_busy_day = {(days[0], 9): 16}
    assert expected_arrivals(days, one_busy_day, [9, 10]) == {9: 2.0, 10: 0.0}


def _history(app, office_code="K1", per_hour=6, weeks=8, channel="besok"):
    """A flat history: `per_hour` visits every opening hour of the last weeks' Mondays."""
    target = date(2026, 12, 7)  # a Monday
    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        for week in range(1, weeks + 1):
            day = target - timedelta(weeks=week)
            for hour in range(8, 17):
                db.session.add(
                    OfficeHourStat(
                        day=day,
                        hour=hour,
                        office_id=office.id,
                        channel=channel,
                        contacts=per_hour,
                    )
                )
        db.session.commit()
    return target


def test_the_api_forecasts_each_opening_hour(app, api, world):
    day = _history(app)
    answer = api.get(
        f"/forecast/staffing?office=K1&channel=besok&date={day}&service_level=0.8"
        "&answer_within_seconds=600",
        as_user="karin",
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert [h["hour"] for h in body["hours"]] == list(range(8, 17))
    assert all(h["arrivals"] == 6.0 for h in body["hours"])
    assert body["handling_from_history"] is False  # no durations logged: the default, 600 s
    expected_staff, level = staff_for(6, 600, 0.8, 600)
    assert {h["staff"] for h in body["hours"]} == {expected_staff}
    assert body["hours"][0]["service_level"] == pytest.approx(level, abs=1e-4)
    assert len(body["history_days"]) == 8
    closed = api.get("/forecast/staffing?office=K1&channel=besok&date=2026-12-26", as_user="karin")
    assert closed.json["hours"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("office=K1&channel=besok&date=2026-13-01", "date"),
        ("office=K1&channel=epost&date=2026-12-07", "channel"),
        ("office=X&channel=besok&date=2026-12-07", "office"),
        ("office=K1&channel=besok&date=2026-12-07&service_level=1.5", "service_level"),
        (
            "office=K1&channel=besok&date=2026-12-07&answer_within_seconds=0",
            "answer_within_seconds",
        ),
        ("channel=besok&date=2026-12-07", "office"),
    ],
)
def test_bad_forecast_parameters_are_422_naming_the_field(api, world, query, field):
    answer = api.get(f"/forecast/staffing?{query}", as_user="karin")
    assert answer.status_code == 422 and field in answer.json["fields"], answer.json


def test_the_page_shows_the_week_and_the_moved_hours_need_staff(app, client, auth, world):
    day = _history(app, per_hour=10)
    auth.login("karin")
    page = client.get(f"/bemanning/?office=K1&channel=besok&vecka={day}&flytt_timmar=160")
    assert page.status_code == 200
    assert 'id="staffing-table"' in page.text and 'id="moved-row"' in page.text
    assert "persontimmar till" in page.text
    assert client.get("/bemanning/?vecka=igår").status_code == 422
    assert client.get("/bemanning/?flytt_timmar=-3").status_code == 422


def test_targets_are_saved_per_channel_and_bad_ones_change_nothing(app, client, auth, world):
    auth.login("karin")
    bad = client.post(
        "/bemanning/mal",
        data={"rows-0-channel": "besok", "rows-0-percent": "120", "rows-0-within_seconds": "600"},
        follow_redirects=True,
    )
    assert "Ange en andel mellan 1 och 99 %." in bad.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffingTarget)) == 0
    client.post(
        "/bemanning/mal",
        data={"rows-0-channel": "telefon", "rows-0-percent": "90", "rows-0-within_seconds": "30"},
    )
    with app.app_context():
        target = db.session.get(StaffingTarget, "telefon")
        assert (target.service_level, target.within_seconds) == (0.9, 30)
