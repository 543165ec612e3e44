"""Input that once gave a 500 or a wrong write: each gets a 4xx and changes nothing."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, Office, Referral
from frontdesk.timeutil import local_today
from tests.conftest import TEST_CATALOG
from tests.helpers import count, one

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}


@pytest.mark.parametrize("field", ["note", "case_type", "channel", "office"])
def test_nul_bytes_in_json_are_refused_by_field(app, api, field):
    response = api.post("/contacts", json={**CONTACT, field: f"{CONTACT.get(field, 'x')}\x00"})
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(app, Contact) == 0


@pytest.mark.parametrize(
    "path", ["/referrals?queue=a%00b", "/mandates?office=K%001", "/referrals?page=%00"]
)
def test_nul_bytes_in_query_strings_are_400(api, path):
    response = api.get(path)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_nul_bytes_in_page_forms_are_400(app, client, auth, world):
    auth.login("anna")
    response = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1", "note": "a\x00b"},
    )
    assert response.status_code == 400
    assert count(app, Contact) == 0


@pytest.mark.parametrize("page", ["100000000000000000000", "²", "٣", "-1", "0"])
def test_odd_page_numbers(api, client, auth, page):
    assert api.get(f"/referrals?page={page}", as_user="erik").status_code == 400
    auth.login("erik")
    assert client.get(f"/remisser/?page={page}").status_code == 200


@pytest.mark.parametrize("etag", ['"²"', '"٣"', '"99999999999999999999999"', "nonsense"])
def test_odd_if_match_is_400(api, etag):
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    response = api.post(
        f"/referrals/{referral_id}/claim", as_user="erik", headers={"If-Match": etag}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-01:00", "1800-01-01T00:00:00"]
)
def test_impossible_contact_times_are_refused(app, api, moment):
    response = api.post("/contacts", json={**CONTACT, "occurred_at": moment})
    assert response.status_code == 422
    assert "occurred_at" in response.get_json()["fields"]
    assert count(app, Contact) == 0


@pytest.mark.parametrize("action", ["park", "forward", "answer"])
def test_guides_get_403_before_their_input_is_read(api, action):
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    response = api.post(f"/referrals/{referral_id}/{action}", json={})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("answer", {"answer": "   ", "callback": True}, "answer"),
        (
            "park",
            {"until": (local_today() + timedelta(days=2)).isoformat(), "reason": "  "},
            "reason",
        ),
        ("forward", {"queue": "SOC", "reason": " \t "}, "reason"),
    ],
)
def test_blank_text_counts_as_missing(api, action, payload, field):
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    response = api.post(f"/referrals/{referral_id}/{action}", as_user="erik", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["status"] == "pagar"


def test_parking_that_ran_out_counts_as_overdue(app, api):
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    until = (local_today() + timedelta(days=2)).isoformat()
    api.post(f"/referrals/{referral_id}/park", as_user="erik", json={"until": until, "reason": "x"})
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["overdue"] is False
    with app.app_context():
        db.session.get(Referral, referral_id).parked_until = local_today() - timedelta(days=1)
        db.session.commit()
    assert api.get(f"/referrals/{referral_id}", as_user="erik").get_json()["overdue"] is True


def _write(tmp_path, data):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("office", "place"),
    [
        ({"code": "K1", "name": "x", "closes": "07:00"}, "offices[0].closes"),
        ({"code": "K9", "name": "x", "opens": "18:00"}, "offices[0].closes"),
        ({"code": "K9", "name": "x", "opens": "25:00"}, "offices[0].opens"),
    ],
)
def test_import_refuses_offices_that_close_before_they_open(
    app, runner, tmp_path, world, office, place
):
    result = runner.invoke(args=["import-catalog", _write(tmp_path, {"offices": [office]})])
    assert result.exit_code != 0 and place in result.output, result.output
    assert one(app, Office, Office.code == "K1").closes.isoformat() == "17:00:00"


def test_import_refuses_a_queue_of_another_organisation(app, runner, tmp_path, world):
    park = dict(TEST_CATALOG["case_types"][0], queue="SOC")
    result = runner.invoke(args=["import-catalog", _write(tmp_path, {"case_types": [park]})])
    assert result.exit_code != 0
    assert "case_types[0].queue" in result.output and "hör till SOC" in result.output


def test_correction_after_the_back_office_acted_is_refused(app, api, client, auth):
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    contact_id = one(app, Referral).contact_id
    # Claimed and released: back to "ny", but no longer untouched.
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    api.post(f"/referrals/{referral_id}/release", as_user="erik")
    auth.login("anna")
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "telefon", "case_type": "PARK", "rosa_level": "1"},
    )
    assert response.status_code == 422
    assert "redan börjat hanteras" in response.text
    assert count(app, Referral) == 1
    assert (
        client.post(
            f"/disk/kontakter/{contact_id}/ta-bort", headers={"HX-Request": "true"}
        ).status_code
        == 409
    )
    assert count(app, Contact) == 1


def test_correcting_the_case_type_moves_an_untouched_referral_with_its_sla(app, api, client, auth):
    api.post("/contacts", json=CONTACT)
    contact_id = one(app, Referral).contact_id
    auth.login("anna")
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "telefon", "case_type": "EKB", "rosa_level": "6", "question": "Bistånd?"},
    )
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.scalars(sa.select(Referral)).one()
        assert referral.queue.code == "SOC"
        from rosa.calendar import WorkingHours, add_working_hours

        assert referral.due_at == add_working_hours(referral.created_at, 48, WorkingHours())
    event = one(app, AuditEvent, AuditEvent.action == "contact.corrected")
    assert (event.data["before"]["case_type"], event.data["after"]["case_type"]) == ("PARK", "EKB")
