"""JSON API v1: bearer tokens, the contact endpoint, the catalogue and mandates."""

from datetime import timedelta

import pytest

from frontdesk.models import AuditEvent, Contact, MandateChange, Referral
from frontdesk.timeutil import LOCAL_TZ, utcnow
from tests.helpers import count, one

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 2}


def test_requests_without_a_token_get_401(client, world):
    for path in ("/api/v1/case-types", "/api/v1/offices", "/api/v1/contacts/1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "error" in response.get_json()


def test_unknown_token_gets_401(api):
    response = api.get("/case-types", as_user=None, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "Okänd eller återkallad API-nyckel."


def test_case_types_and_offices(api):
    case_types = api.get("/case-types").get_json()["case_types"]
    park = next(ct for ct in case_types if ct["code"] == "PARK")
    assert park == {
        "code": "PARK",
        "name": "Parkeringstillstånd",
        "organisation": "TEK",
        "category": "Trafik",
        "sla_hours": 72,
        "queue": "TEK-GATA",
        "guidance": "Hjälp med ansökan. Läs mer: https://example.se/park",
        "guidance_links": [],
        "guidance_keywords": [],
        "max_delegable_level": None,
        "active": True,
    }
    offices = api.get("/offices").get_json()["offices"]
    assert [o["code"] for o in offices] == ["K1", "K2"]


def test_post_contact_within_mandate(app, api):
    response = api.post("/contacts", json=CONTACT)
    assert response.status_code == 201
    body = response.get_json()
    assert body["outcome"] == "informerat" and body["referral"] is None
    assert response.headers["Location"] == f"/api/v1/contacts/{body['id']}"
    assert one(app, Contact).channel == "telefon"


def test_post_contact_above_mandate_names_referral_and_queue(app, api):
    response = api.post("/contacts", json={**CONTACT, "rosa_level": 5})
    body = response.get_json()
    assert response.status_code == 201
    assert body["outcome"] == "eskalerat"
    assert body["referral"]["queue"] == "TEK-GATA"
    assert one(app, Referral).id == body["referral"]["id"]


def test_post_contact_with_all_optional_fields(app, api):
    occurred = (utcnow() - timedelta(hours=2)).astimezone(LOCAL_TZ).replace(microsecond=0)
    response = api.post(
        "/contacts",
        json={
            **CONTACT,
            "rosa_level": 6,
            "note": "pnr 850312-1231",
            "duration_seconds": 300,
            "occurred_at": occurred.isoformat(),
            "outcome": "kopplat",
            "repeat": True,
        },
    )
    assert response.status_code == 201
    body = api.get(f"/contacts/{response.get_json()['id']}").get_json()
    assert body["outcome"] == "kopplat" and body["referral"] is None
    assert body["note"] == "pnr XXXXXX-1231"
    assert body["duration_seconds"] == 300 and body["repeat"] is True
    assert body["occurred_at"] == occurred.isoformat()
    assert body["staff"] == "anna"


def test_the_same_routing_serves_page_and_api(app, api, client, auth):
    auth.login("anna")
    client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "EKB", "rosa_level": "3", "question": "Bistånd?"},
    )
    api_outcome = api.post("/contacts", json={**CONTACT, "case_type": "EKB", "rosa_level": 3})
    assert api_outcome.get_json()["outcome"] == "eskalerat"
    assert count(app, Referral) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**CONTACT, "case_type": "NOPE"}, "case_type"),
        ({**CONTACT, "channel": "fax"}, "channel"),
        ({**CONTACT, "office": "K9"}, "office"),
        ({**CONTACT, "rosa_level": 9}, "rosa_level"),
        ({**CONTACT, "rosa_level": 0}, "rosa_level"),
        ({**CONTACT, "rosa_level": "3"}, "rosa_level"),
        ({**CONTACT, "rosa_level": True}, "rosa_level"),
        ({**CONTACT, "rosa_level": 2.5}, "rosa_level"),
        ({k: v for k, v in CONTACT.items() if k != "case_type"}, "case_type"),
        ({k: v for k, v in CONTACT.items() if k != "office"}, "office"),
        ({k: v for k, v in CONTACT.items() if k != "rosa_level"}, "rosa_level"),
        ({**CONTACT, "note": "x" * 2001}, "note"),
        ({**CONTACT, "duration_seconds": -1}, "duration_seconds"),
        ({**CONTACT, "occurred_at": "igår"}, "occurred_at"),
        # 1999 in UTC, as it would be stored, although its own calendar says 2000.
        ({**CONTACT, "occurred_at": "2000-01-01T00:00:00+14:00"}, "occurred_at"),
        ({**CONTACT, "occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at"),
        ({**CONTACT, "occurred_at": (utcnow() + timedelta(hours=1)).isoformat()}, "occurred_at"),
        ({**CONTACT, "outcome": "informerat"}, "outcome"),
        ({**CONTACT, "repeat": "ja"}, "repeat"),
        ({**CONTACT, "colour": "blue"}, "colour"),
    ],
)
def test_bad_contact_names_the_field_and_writes_nothing(app, api, payload, field):
    response = api.post("/contacts", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert field in body["fields"], body
    assert body["fields"][field]
    assert count(app, Contact) == 0
    assert count(app, AuditEvent, AuditEvent.action == "contact.logged") == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_malformed_json_is_400(app, api, body):
    response = api.post("/contacts", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert count(app, Contact) == 0


def test_guides_log_only_for_their_own_office(app, api):
    response = api.post("/contacts", json={**CONTACT, "office": "K2"})
    assert response.status_code == 403
    assert count(app, Contact) == 0
    assert (
        api.post("/contacts", json={**CONTACT, "office": "K2"}, as_user="karin").status_code == 201
    )


def test_handlers_cannot_log_contacts(app, api):
    assert api.post("/contacts", json=CONTACT, as_user="erik").status_code == 403


def test_contact_visibility(api):
    contact_id = api.post("/contacts", json={**CONTACT, "rosa_level": 5}).get_json()["id"]
    assert api.get(f"/contacts/{contact_id}").status_code == 200
    assert api.get(f"/contacts/{contact_id}", as_user="omar").status_code == 200  # same office
    assert api.get(f"/contacts/{contact_id}", as_user="johan").status_code == 404  # other office
    assert api.get(f"/contacts/{contact_id}", as_user="erik").status_code == 200  # referred to TEK
    assert api.get(f"/contacts/{contact_id}", as_user="admin").status_code == 200
    assert api.get("/contacts/999999").status_code == 404
    within = api.post("/contacts", json=CONTACT).get_json()["id"]
    assert api.get(f"/contacts/{within}", as_user="erik").status_code == 404


def test_list_mandates(api):
    mandates = api.get("/mandates?office=K1").get_json()["mandates"]
    by_code = {m["case_type"]: m for m in mandates}
    assert by_code["PARK"] == {"office": "K1", "case_type": "PARK", "max_level": 3, "agreed": True}
    assert by_code["EKB"]["max_level"] == 2 and not by_code["EKB"]["agreed"]
    assert len(api.get("/mandates").get_json()["mandates"]) == 6  # 2 offices x 3 case types
    response = api.get("/mandates?office=K9")
    assert response.status_code == 422 and "office" in response.get_json()["fields"]


def test_manager_changes_mandate_and_the_counter_routes_differently(app, api, world):
    assert (
        api.post("/contacts", json={**CONTACT, "case_type": "EKB", "rosa_level": 3}).get_json()[
            "outcome"
        ]
        == "eskalerat"
    )
    response = api.put(
        "/mandates/K1/EKB", json={"max_level": 3, "reason": "Pilot"}, as_user="karin"
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "office": "K1",
        "case_type": "EKB",
        "max_level": 3,
        "changed": True,
    }
    change = one(app, MandateChange, MandateChange.reason == "Pilot")
    assert (change.old_level, change.new_level) == (None, 3)
    assert change.changed_by_id == world.users["karin"]
    assert count(app, AuditEvent, AuditEvent.action == "mandate.changed") >= 1
    assert (
        api.post("/contacts", json={**CONTACT, "case_type": "EKB", "rosa_level": 3}).get_json()[
            "outcome"
        ]
        == "informerat"
    )


def test_guides_and_handlers_cannot_change_mandates(app, api):
    for user in ("anna", "erik"):
        response = api.put("/mandates/K1/EKB", json={"max_level": 4, "reason": "x"}, as_user=user)
        assert response.status_code == 403
    assert count(app, MandateChange, MandateChange.reason == "x") == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"max_level": 9, "reason": "x"}, "max_level"),
        ({"max_level": "3", "reason": "x"}, "max_level"),
        ({"max_level": 3}, "reason"),
        ({"max_level": 3, "reason": "  "}, "reason"),
        ({"max_level": 3, "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_mandate_change_is_422_and_changes_nothing(app, api, payload, field):
    before = count(app, MandateChange)
    response = api.put("/mandates/K1/EKB", json=payload, as_user="admin")
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(app, MandateChange) == before


def test_mandate_of_unknown_office_or_case_type_is_404(api):
    assert (
        api.put(
            "/mandates/K9/EKB", json={"max_level": 3, "reason": "x"}, as_user="admin"
        ).status_code
        == 404
    )
    assert (
        api.put(
            "/mandates/K1/NOPE", json={"max_level": 3, "reason": "x"}, as_user="admin"
        ).status_code
        == 404
    )


def test_unknown_api_path_is_json_404(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]
