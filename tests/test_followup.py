"""Follow-up of mandate moves: equal windows before and after each change, the figures of
each, and a plain verdict against what was expected."""

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.feedback.links import feedback_token
from frontdesk.feedback.operations import answer
from frontdesk.mandates.operations import set_mandate
from frontdesk.models import CaseType, Contact, MandateChange, Office, Referral, User
from frontdesk.timeutil import LOCAL_TZ, utcnow
from rosa.calendar import is_working_day
from rosa.followup import Verdict, WindowFigures, verdict, windows
from tests.test_rosa_app import log_many

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def figures(contacts, referred):
    return WindowFigures(contacts=contacts, referred=referred)


def test_windows_are_equal_and_no_longer_than_the_move_has_held():
    span = windows(NOW - timedelta(days=40), NOW, 28)
    assert span.days == 28 and span.change - span.before_start == timedelta(days=28)
    recent = windows(NOW - timedelta(days=3), NOW, 28)
    assert recent.days == 3 and recent.after_end == NOW
    with pytest.raises(ValueError):
        windows(NOW, NOW, 0)


@pytest.mark.parametrize(
    ("before", "after", "days", "expected", "want"),
    [
        (figures(100, 60), figures(100, 20), 28, 0.2, Verdict.AS_EXPECTED),  # 40 of 40 points
        (figures(100, 60), figures(100, 45), 28, 0.2, Verdict.SMALLER),  # 15 of 40
        (figures(100, 60), figures(100, 58), 28, 0.2, Verdict.NO_EFFECT),  # 2 of 40
        (figures(100, 60), figures(100, 70), 28, 0.2, Verdict.OPPOSITE),
        (figures(100, 60), figures(10, 2), 28, 0.2, Verdict.TOO_EARLY),  # too few contacts
        (figures(100, 60), figures(100, 20), 3, 0.2, Verdict.TOO_EARLY),  # too short
        (figures(100, 60), figures(100, 40), 28, None, Verdict.AS_EXPECTED),  # by hand: -20
        (figures(100, 60), figures(100, 58), 28, None, Verdict.NO_EFFECT),
    ],
)
def test_the_verdict_compares_the_drop_in_referrals_with_the_estimate(
    before, after, days, expected, want
):
    assert verdict(before, after, days, 2, 4, expected) is want


def test_a_lowered_mandate_is_expected_to_refer_more():
    assert verdict(figures(50, 10), figures(50, 30), 28, 4, 2) is Verdict.AS_EXPECTED
    assert verdict(figures(50, 30), figures(50, 10), 28, 4, 2) is Verdict.OPPOSITE


def _working_morning(first: datetime, last: datetime) -> datetime:
    """09:00 local on a working day strictly between two instants."""
    day = (first + timedelta(days=1)).astimezone(LOCAL_TZ).date()
    while not is_working_day(day) or datetime.combine(day, time(9), LOCAL_TZ) >= last:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), LOCAL_TZ)


@pytest.fixture
def moved(app, world):
    """EKB at K1 (mandate 2): contacts 15 days ago, a raise to 3 ten days ago, contacts since."""
    log_many(app, {("EKB", 1): 10, ("EKB", 3): 30}, days_ago=15)
    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        ekb = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
        karin = db.session.get(User, world.users["karin"])
        set_mandate(office, ekb, 3, "Vägledning om ansökan flyttas till disken", karin)
        changed_at = utcnow() - timedelta(days=10)
        db.session.execute(sa.update(MandateChange).values(changed_at=changed_at))
        # One referral of the window before answered 2 h 30 min later, on a working morning.
        created = _working_morning(changed_at - timedelta(days=10), changed_at)
        referral = db.session.scalars(
            sa.select(Referral).join(Contact).order_by(Referral.id).limit(1)
        ).one()
        referral.created_at = created
        referral.answered_at = created + timedelta(hours=2, minutes=30)
        db.session.commit()
    log_many(app, {("EKB", 1): 10, ("EKB", 3): 30, ("EKB", 4): 5}, days_ago=5)


def test_the_api_compares_equal_windows_around_each_move(api, moved):
    answer = api.get("/rosa/follow-up?office=K1&days=14", as_user="karin")
    assert answer.status_code == 200
    (move,) = answer.json
    assert (move["case_type"], move["from_level"], move["to_level"]) == ("EKB", 2, 3)
    assert move["source"] == "manuell" and move["expected_referral_share"] is None
    assert move["window_days"] == pytest.approx(10, abs=0.01)  # as long as it has held
    before, after = move["before"], move["after"]
    assert before["contacts"] == 40 and after["contacts"] == 45
    assert before["referral_share"] == 0.75 and after["referral_share"] == round(5 / 45, 4)
    assert before["answered_at_desk_share"] == 0.25 and after["answered_at_desk_share"] == round(
        40 / 45, 4
    )
    assert before["repeat_share"] == 0
    assert before["median_working_hours_to_answer"] == 2.5
    assert before["within_sla_share"] == 1.0  # 2.5 working hours of EKB's 48
    assert after["median_working_hours_to_answer"] is None
    assert move["verdict"] == "som-vantat" and move["verdict_label"] == "Som väntat"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "office"),
        ("office=NOPE", "office"),
        ("office=K1&days=0", "days"),
        ("office=K1&days=x", "days"),
    ],
)
def test_bad_follow_up_parameters_name_the_field(api, world, query, field):
    answer = api.get(f"/rosa/follow-up?{query}", as_user="karin")
    assert answer.status_code == 422 and field in answer.json["fields"]


def test_the_page_shows_each_move_with_its_verdict(client, auth, moved):
    auth.login("karin")
    page = client.get("/rosa/uppfoljning?office=K1&days=14")
    assert page.status_code == 200
    row = page.get_data(as_text=True).split('id="move-')[1].split("</tr>")[0]
    assert "Ekonomiskt bistånd" in row and "2 → 3" in row and "för hand" in row
    assert "75\u00a0%" in row and "11,1\u00a0%" in row and "Som väntat" in row
    assert "2,5\u00a0h" in row
    bad = client.get("/rosa/uppfoljning?office=K1&days=999")
    assert bad.status_code == 422 and "1–365" in bad.get_data(as_text=True)


def test_catalogue_imports_are_not_moves(api, world):
    # The test catalogue set PARK's mandate at K1 by import (no person): nothing to follow.
    assert api.get("/rosa/follow-up?office=K1", as_user="karin").json == []


def test_each_move_shows_what_citizens_said_before_and_after(app, api, client, auth, moved):
    with app.test_request_context():
        changed_at = db.session.scalar(sa.select(MandateChange.changed_at))
        contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        before = [c for c in contacts if c.occurred_at < changed_at]
        after = [c for c in contacts if c.occurred_at > changed_at]
        answer(feedback_token(before[0].id), 5, 5, 5)
        answer(feedback_token(before[1].id), 7, 7, 7)
        answer(feedback_token(after[0].id), 10, 10, 10)
        db.session.commit()
    (move,) = api.get("/rosa/follow-up?office=K1&days=14", as_user="karin").json
    # (5-1)/9 and (7-1)/9 of 100 before, (10-1)/9 after.
    assert (move["before"]["nki"], move["before"]["nki_respondents"]) == (55.6, 2)
    assert (move["after"]["nki"], move["after"]["nki_respondents"]) == (100.0, 1)
    auth.login("karin")
    row = client.get("/rosa/uppfoljning?office=K1&days=14").text.split('id="move-')[1]
    assert "56 (2) → <strong>100 (1)</strong>" in row.split("</tr>")[0]
