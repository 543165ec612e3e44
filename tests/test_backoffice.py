"""The back office over the API: the referral life cycle, access, versions and history."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Referral
from frontdesk.timeutil import local_today, utcnow
from rosa.calendar import WorkingHours, add_working_hours, working_time_between
from tests.helpers import count, one

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}


@pytest.fixture
def referral_id(api):
    """A new referral in TEK-GATA (Tekniska förvaltningen), from a K1 contact."""
    return api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]


@pytest.fixture
def second_handler(app, world):
    """Another handler at TEK, with a token."""
    from frontdesk.models import ApiToken, Organisation, User
    from frontdesk.models.user import hash_token

    with app.app_context():
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        user = User(username="petra", display_name="Petra", role="handlaggare", organisation=tek)
        db.session.add_all([user, ApiToken(user=user, token_hash=hash_token("token-petra"))])
        db.session.commit()
    world.tokens["petra"] = "token-petra"
    return "petra"


def post(api, referral_id, action, as_user="erik", **kwargs):
    return api.post(f"/referrals/{referral_id}/{action}", as_user=as_user, **kwargs)


def test_claim_answer_with_callback_and_callback_done(app, api, referral_id):
    claimed = post(api, referral_id, "claim")
    assert claimed.status_code == 200
    assert claimed.get_json()["status"] == "pagar" and claimed.get_json()["claimed_by"] == "erik"
    answered = post(api, referral_id, "answer", json={"answer": "Beviljas.", "callback": True})
    assert answered.status_code == 200
    assert answered.get_json()["status"] == "aterford"
    assert answered.get_json()["answer"] == "Beviljas."
    # The handler cannot close it; the front desk does after calling the citizen.
    assert post(api, referral_id, "callback-done").status_code == 403
    done = post(api, referral_id, "callback-done", as_user="anna")
    assert done.status_code == 200 and done.get_json()["status"] == "avslutad"
    assert done.get_json()["closed_at"]


def test_answer_without_callback_closes(api, referral_id):
    post(api, referral_id, "claim")
    body = post(api, referral_id, "answer", json={"answer": "Klart.", "callback": False}).get_json()
    assert body["status"] == "avslutad" and body["closed_at"]


@pytest.mark.parametrize(
    ("setup", "action", "payload"),
    [
        ([], "answer", {"answer": "x", "callback": True}),  # not claimed
        ([], "release", None),
        ([], "park", {"until": (local_today() + timedelta(days=9)).isoformat(), "reason": "x"}),
        (["claim", "answer"], "claim", None),  # closed / returned
        (["claim", "answer"], "answer", {"answer": "y", "callback": True}),
        (["claim", "answer"], "release", None),
    ],
)
def test_illegal_transitions_are_409_with_the_current_status(
    api, referral_id, setup, action, payload
):
    for step in setup:
        body = {"answer": "Svar", "callback": True} if step == "answer" else None
        assert post(api, referral_id, step, json=body).status_code == 200
    before = api.get(f"/referrals/{referral_id}", as_user="erik").get_json()
    response = post(api, referral_id, action, json=payload)
    assert response.status_code == 409
    assert response.get_json()["status"] == before["status"]
    assert response.get_json()["error"]
    after = api.get(f"/referrals/{referral_id}", as_user="erik").get_json()
    assert after["version"] == before["version"]


def test_second_claim_is_409_naming_the_holder(api, referral_id, second_handler):
    assert post(api, referral_id, "claim").status_code == 200
    response = post(api, referral_id, "claim", as_user="petra")
    assert response.status_code == 409
    assert response.get_json()["claimed_by"] == "erik"
    assert "Erik" in response.get_json()["error"]
    # Nor may the colleague answer or release it.
    assert (
        post(
            api, referral_id, "answer", as_user="petra", json={"answer": "x", "callback": False}
        ).status_code
        == 409
    )
    assert post(api, referral_id, "release", as_user="petra").status_code == 409


def test_release_puts_it_back_for_anyone(api, referral_id, second_handler):
    post(api, referral_id, "claim")
    released = post(api, referral_id, "release")
    assert released.get_json()["status"] == "ny" and released.get_json()["claimed_by"] is None
    assert post(api, referral_id, "claim", as_user="petra").status_code == 200


def test_etag_and_if_match(api, referral_id):
    response = api.get(f"/referrals/{referral_id}", as_user="erik")
    etag = response.headers["ETag"]
    assert etag == f'"{response.get_json()["version"]}"'
    assert post(api, referral_id, "claim", headers={"If-Match": etag}).status_code == 200
    stale = post(
        api,
        referral_id,
        "answer",
        headers={"If-Match": etag},
        json={"answer": "x", "callback": True},
    )
    assert stale.status_code == 412
    current = api.get(f"/referrals/{referral_id}", as_user="erik")
    assert current.get_json()["status"] == "pagar"
    ok = post(
        api,
        referral_id,
        "answer",
        headers={"If-Match": current.headers["ETag"]},
        json={"answer": "x", "callback": True},
    )
    assert ok.status_code == 200
    assert post(api, referral_id, "claim", headers={"If-Match": "nonsense"}).status_code == 400


def test_park_stops_the_clock_and_claiming_resumes(app, api, referral_id):
    post(api, referral_id, "claim")
    due_before = one(app, Referral).due_at
    until = (local_today() + timedelta(days=5)).isoformat()
    parked = post(api, referral_id, "park", json={"until": until, "reason": "Väntar på läkarintyg"})
    assert parked.status_code == 200
    assert parked.get_json()["status"] == "vantar"
    assert parked.get_json()["parked_until"] == until
    # Pretend it was parked five working days ago (Monday to Monday, same hour).
    with app.app_context():
        referral = db.session.scalars(sa.select(Referral)).one()
        referral.parked_at = referral.parked_at - timedelta(days=7)
        parked_at = referral.parked_at
        db.session.commit()
    assert parked.get_json()["overdue"] is False
    resumed = post(api, referral_id, "claim")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "pagar"
    referral = one(app, Referral)
    parked_hours = working_time_between(parked_at, utcnow(), WorkingHours())
    expected = add_working_hours(due_before, parked_hours.total_seconds() / 3600, WorkingHours())
    assert abs((referral.due_at - expected).total_seconds()) < 5
    assert referral.due_at > due_before + timedelta(days=6)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"until": "igår", "reason": "x"}, "until"),
        ({"until": "2000-01-01", "reason": "x"}, "until"),
        ({"until": local_today().isoformat(), "reason": "x"}, "until"),
        ({"until": "2099-01-01", "reason": "x"}, "until"),  # more than a year ahead
        ({"until": (local_today() + timedelta(days=3)).isoformat()}, "reason"),
        ({"reason": "x"}, "until"),
        ({"until": "2099-01-01", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_park_input_names_the_field_and_changes_nothing(api, referral_id, payload, field):
    post(api, referral_id, "claim")
    response = post(api, referral_id, "park", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["status"] == "pagar"


def test_forward_to_another_organisation_keeps_the_original_queue(app, api, world, referral_id):
    response = post(api, referral_id, "forward", json={"queue": "SOC", "reason": "Gäller bistånd"})
    assert response.status_code == 200
    assert response.get_json()["queue"] == "SOC"
    assert response.get_json()["original_queue"] == "TEK-GATA"
    assert response.get_json()["status"] == "ny"
    # The sending organisation no longer sees it.
    assert api.get(f"/referrals/{referral_id}", as_user="erik").status_code == 404
    assert api.get(f"/referrals/{referral_id}", as_user="admin").get_json()["queue"] == "SOC"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"queue": "NOPE", "reason": "x"}, 422, "queue"),
        ({"queue": "SOC"}, 422, "reason"),
        ({"queue": "TEK-GATA", "reason": "x"}, 409, None),  # same organisation: reassign instead
    ],
)
def test_bad_forward_is_refused(api, referral_id, payload, status, field):
    response = post(api, referral_id, "forward", json=payload)
    assert response.status_code == status
    if field:
        assert field in response.get_json()["fields"]
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["queue"] == "TEK-GATA"


def test_answer_input_is_checked(api, referral_id):
    post(api, referral_id, "claim")
    for payload, field in [
        ({"answer": "", "callback": True}, "answer"),
        ({"answer": "x" * 5001, "callback": True}, "answer"),
        ({"answer": "x"}, "callback"),
        ({"answer": "x", "callback": "ja"}, "callback"),
    ]:
        response = post(api, referral_id, "answer", json=payload)
        assert response.status_code == 422, payload
        assert field in response.get_json()["fields"]
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["status"] == "pagar"


def test_personnummer_in_answers_is_masked(api, referral_id):
    post(api, referral_id, "claim")
    body = post(
        api, referral_id, "answer", json={"answer": "Gäller 19850312-1231.", "callback": True}
    ).get_json()
    assert body["answer"] == "Gäller XXXXXX-1231."


def test_access_handlers_see_only_their_organisation(api, referral_id):
    ekb = api.post("/contacts", json={**CONTACT, "case_type": "EKB", "rosa_level": 6}).get_json()
    soc_referral = ekb["referral"]["id"]
    # erik (TEK) sees his own queue's referral, and nothing of SOC's: 404, not 403.
    assert api.get(f"/referrals/{referral_id}", as_user="erik").status_code == 200
    for path in ("", "/events"):
        assert api.get(f"/referrals/{soc_referral}{path}", as_user="erik").status_code == 404
    assert post(api, soc_referral, "claim").status_code == 404
    listed = api.get("/referrals", as_user="erik").get_json()
    assert [r["id"] for r in listed["referrals"]] == [referral_id]
    # The guides of the office see both (read-only); another office's guide sees neither.
    assert api.get("/referrals", as_user="anna").get_json()["total"] == 2
    assert api.get("/referrals", as_user="johan").get_json()["total"] == 0
    assert post(api, referral_id, "claim", as_user="anna").status_code == 403
    assert api.get("/referrals", as_user="admin").get_json()["total"] == 2


def test_list_filters_sorts_and_pages(api):
    ids = [api.post("/contacts", json=CONTACT).get_json()["referral"]["id"] for _ in range(5)]
    post(api, ids[0], "claim")
    listing = api.get("/referrals?per_page=2", as_user="erik").get_json()
    assert [r["id"] for r in listing["referrals"]] == [ids[4], ids[3]]  # newest first
    assert listing["total"] == 5 and listing["next"]
    second = api.get(listing["next"].removeprefix("/api/v1"), as_user="erik").get_json()
    assert [r["id"] for r in second["referrals"]] == [ids[2], ids[1]]
    assert api.get("/referrals?status=pagar", as_user="erik").get_json()["total"] == 1
    assert api.get("/referrals?status=ny&queue=TEK-GATA", as_user="erik").get_json()["total"] == 4
    assert api.get("/referrals?queue=SOC", as_user="erik").get_json()["total"] == 0
    due = api.get("/referrals?sort=due", as_user="erik").get_json()["referrals"]
    assert [r["due_at"] for r in due] == sorted(r["due_at"] for r in due)
    for bad in ("status=klar", "sort=alfabetisk", "page=0", "per_page=x"):
        response = api.get(f"/referrals?{bad}", as_user="erik")
        assert response.status_code == 400
        assert response.get_json()["fields"]


def test_history_lists_every_event(api, referral_id, world):
    post(api, referral_id, "claim")
    post(api, referral_id, "release")
    post(api, referral_id, "claim")
    post(api, referral_id, "answer", json={"answer": "Svar", "callback": True})
    events = api.get(f"/referrals/{referral_id}/events", as_user="erik").get_json()["events"]
    assert [e["action"] for e in events] == [
        "contact.logged",
        "referral.claimed",
        "referral.released",
        "referral.claimed",
        "referral.answered",
    ]
    assert events[0]["user"] == "anna" and events[1]["user"] == "erik"
    assert (events[1]["old_status"], events[1]["new_status"]) == ("ny", "pagar")
    assert (events[4]["old_status"], events[4]["new_status"]) == ("pagar", "aterford")
    assert events[4]["note"] == "Svar"


def test_every_change_is_audited_in_its_transaction(app, api, referral_id):
    before = count(app, AuditEvent, AuditEvent.entity == "referral")
    post(api, referral_id, "claim")
    post(api, referral_id, "answer", json={"answer": "", "callback": True})  # refused: no event
    assert count(app, AuditEvent, AuditEvent.entity == "referral") == before + 1


def test_overdue_referrals_are_flagged(app, api, referral_id):
    with app.app_context():
        referral = db.session.scalars(sa.select(Referral)).one()
        referral.due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["overdue"] is True


def test_due_time_follows_the_offices_own_opening_hours(app, api):
    from datetime import time

    from frontdesk.models import Office

    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        office.opens, office.closes = time(10, 0), time(12, 0)
        db.session.commit()
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        short_day = WorkingHours(opens=time(10, 0), closes=time(12, 0))
        assert referral.due_at == add_working_hours(referral.created_at, 72, short_day)
        # 72 hours of two-hour days: more than seven weeks.
        assert referral.due_at - referral.created_at > timedelta(weeks=7)
