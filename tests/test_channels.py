"""The channel report through the app: parity with its flags, channel shift, service levels."""

from datetime import timedelta

import sqlalchemy as sa

from frontdesk.counter.operations import ContactInput, log_contact
from frontdesk.extensions import db
from frontdesk.inbox.intake import store_calls
from frontdesk.inbox.operations import Incoming, receive, triage
from frontdesk.mandates.operations import set_mandate
from frontdesk.models import CaseType, Office, User
from frontdesk.timeutil import utcnow
from kanaler.calls import CallRecord as Call


def _log(office, user, case_type, channel, level, n, days_ago=5):
    for _ in range(n):
        log_contact(
            ContactInput(
                office=office,
                channel=channel,
                case_type=case_type,
                rosa_level=level,
                occurred_at=utcnow() - timedelta(days=days_ago),
            ),
            user,
        )


def seed(app, world):
    with app.app_context():
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        anna = db.session.get(User, world.users["anna"])
        karin = db.session.get(User, world.users["karin"])
        ekb = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        # Letters about EKB level 3 came while the mandate was 2 and were all referred;
        # after the mandate went to 3 the phone calls at the same level were answered.
        _log(k1, anna, ekb, "brev", 3, 30, days_ago=20)
        set_mandate(k1, ekb, 3, "Avtal", karin)
        _log(k1, anna, ekb, "telefon", 3, 30, days_ago=10)
        _log(k1, anna, ekb, "besok", 3, 30, days_ago=10)
        # PARK: mostly simple questions at the counter and on the phone.
        _log(k1, anna, park, "besok", 1, 40)
        _log(k1, anna, park, "telefon", 2, 30)
        _log(k1, anna, park, "webb", 1, 10)
        # Two e-mails: one triaged within the day, one four working days later.
        for hours in (1, 24 * 6):
            message = receive(
                Incoming(
                    channel="epost",
                    office=k1,
                    body="Fråga",
                    received_at=utcnow() - timedelta(days=8),
                )
            )
            db.session.flush()
            triage(message, ContactInput(k1, "epost", park, 1), anna)
            message.handled_at = message.received_at + timedelta(hours=hours)
        calls = [
            Call(utcnow() - timedelta(days=3, minutes=i), "Växel", i % 4 != 0, 30 + i, 60)
            for i in range(20)
        ]
        store_calls(calls)
        db.session.commit()


def test_parity_report_flags_the_channel_treated_differently(app, world, api):
    seed(app, world)
    response = api.get("/channels/parity", as_user="karin")
    assert response.status_code == 200, response.json
    rows = {r["channel"]: r for r in response.json["channels"]}
    assert rows["brev"]["contacts"] == 30 and rows["brev"]["referral_rate"] == 1.0
    assert rows["telefon"]["contacts"] == 60 and rows["telefon"]["referral_rate"] == 0.0
    assert rows["besok"]["first_contact_share"] == 1.0
    flags = response.json["flags"]
    assert [(f["case_type"], f["rosa_level"], f["channel"]) for f in flags] == [("EKB", 3, "brev")]
    assert flags[0]["referral_rate"] == 1.0 and flags[0]["others_rate"] == 0.0
    service = response.json["service_levels"]
    assert service["emails"] == 2 and service["emails_within_one_working_day_share"] == 0.5
    assert service["calls"] == 20 and service["calls_answered_share"] == 0.75
    assert api.get("/channels/parity", as_user="anna").status_code == 403
    assert api.get("/channels/parity?from=x", as_user="karin").status_code == 422


def test_no_flag_when_channels_are_handled_alike(app, world, api):
    with app.app_context():
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        anna = db.session.get(User, world.users["anna"])
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        for channel in ("besok", "telefon", "brev"):
            _log(k1, anna, park, channel, 4, 25)  # above the mandate: all referred alike
        db.session.commit()
    assert api.get("/channels/parity", as_user="admin").json["flags"] == []


def test_channel_page_shows_parity_shift_and_service(app, world, client, auth):
    seed(app, world)
    auth.login("karin")
    page = client.get("/kanaler/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="parity"' in html and 'id="parity-flags"' in html and "Brev" in html
    assert "Ekonomiskt bistånd" in html  # the flag names the case type
    # calls answered, e-mail within a day: Swedish shares
    assert "<strong>75\u00a0%</strong>" in html and "<strong>50\u00a0%</strong>" in html
    assert 'id="shift"' in html and "Parkeringstillstånd" in html
    assert client.get("/kanaler/?to=2026-02-30").status_code == 422
    auth.logout()
    auth.login("anna")
    assert client.get("/kanaler/").status_code == 403
