"""A chef manages the offices they are given; an admin manages all (issue 15).

Karin is chef of K1 (her home office). She changes K1's mandates and decides K1's
proposals, on the pages and through the API, and is refused K2's with the same Swedish
message on both, until an admin gives her K2 as well. Reading figures across offices
stays open to her.
"""

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Mandate, MandateChange, Office, RecommendationDecision, User
from frontdesk.office_access import managed_office_ids
from tests.conftest import PASSWORD
from tests.helpers import count

REFUSED = "Du är inte chef för Medborgarkontoret Norra."
CONTACT = {"office": "K2", "channel": "telefon", "case_type": "PARK", "rosa_level": 4}


def _login(client, username):
    assert (
        client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    )


def test_a_chef_changes_her_offices_mandates_and_not_anothers(app, client, world, api):
    _login(client, "karin")
    data = {"max_level": "4", "reason": "Utbildning klar."}
    assert client.post("/mandat/K1/PARK", data=data).status_code == 303
    refused = client.post("/mandat/K2/PARK", data=data)
    assert refused.status_code == 403 and REFUSED in refused.text
    answer = api.put("/mandates/K2/PARK", json=data | {"max_level": 4}, as_user="karin")
    assert answer.status_code == 403
    assert answer.get_json() == {"error": _message(), "fields": {}}
    assert (
        api.put("/mandates/K1/EKB", json=data | {"max_level": 3}, as_user="karin").status_code
        == 200
    )
    with app.app_context():
        k2 = db.session.scalar(sa.select(Office.id).where(Office.code == "K2"))
        assert count(app, Mandate, Mandate.office_id == k2) == 0
        assert count(app, MandateChange, MandateChange.office_id == k2) == 0
    # The admin manages every office.
    assert (
        api.put("/mandates/K2/PARK", json=data | {"max_level": 4}, as_user="admin").status_code
        == 200
    )


def _message() -> str:
    return (
        "Du är inte chef för Medborgarkontoret Norra. Bara kontorets chef eller en "
        "administratör kan ändra dess mandat och besluta om dess förslag."
    )


def test_the_pages_offer_changes_only_where_the_chef_manages(client, world):
    _login(client, "karin")
    k1 = client.get("/mandat/?office=K1").text
    k2 = client.get("/mandat/?office=K2").text
    assert 'action="/mandat/K1/PARK"' in k1 and "Du är inte chef" not in k1
    assert (
        'action="/mandat/K2/PARK"' not in k2 and "Du är inte chef för Medborgarkontoret Norra" in k2
    )
    # Figures across offices stay readable.
    assert client.get("/rosa/trappan?office=K2").status_code == 200
    assert client.get("/rosa/rekommendationer?office=K2").status_code == 200


def test_a_chef_decides_only_her_offices_proposals(app, client, world, api):
    assert api.post("/contacts", json=CONTACT, as_user="johan").status_code == 201
    verdict = {"decision": "approve", "note": "Utbildade."}
    page = api.get("/rosa/recommendations?office=K2", as_user="karin").get_json()
    assert [p["id"] for p in page] == ["K2:PARK:2:4"]
    refused = api.post("/rosa/recommendations/K2:PARK:2:4/decision", json=verdict, as_user="karin")
    assert refused.status_code == 403 and refused.get_json()["error"] == _message()
    _login(client, "karin")
    html = client.get("/rosa/rekommendationer?office=K2").text
    assert 'action="/rosa/rekommendationer/K2:PARK:2:4/beslut"' not in html
    form = client.post("/rosa/rekommendationer/K2:PARK:2:4/beslut", data=verdict)
    assert form.status_code == 403 and _message() in form.text
    assert count(app, RecommendationDecision) == 0

    # The admin gives her K2 as well: now she decides it.
    changed = api.request("PATCH", "/users/karin", json={"offices": ["K1", "K2"]}, as_user="admin")
    assert changed.status_code == 200 and changed.get_json()["offices"] == ["K1", "K2"]
    assert (
        'action="/rosa/rekommendationer/K2:PARK:2:4/beslut"'
        in client.get("/rosa/rekommendationer?office=K2").text
    )
    decided = api.post("/rosa/recommendations/K2:PARK:2:4/decision", json=verdict, as_user="karin")
    assert decided.status_code == 201
    with app.app_context():
        karin = db.session.get(User, world.users["karin"])
        assert managed_office_ids(karin) == {karin.office_id, _office_id("K2")}


def _office_id(code):
    return db.session.scalar(sa.select(Office.id).where(Office.code == code))


def test_create_user_gives_a_chef_several_offices(app, runner, world):
    result = runner.invoke(
        args=[
            "create-user",
            "olle",
            "--role",
            "chef",
            "--office",
            "K2",
            "--office",
            "K1",
            "--password-stdin",
        ],
        input="ett-langt-losenord-2026\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        olle = db.session.scalar(sa.select(User).where(User.username == "olle"))
        assert olle.office.code == "K2"
        assert [o.code for o in olle.managed_offices] == ["K1", "K2"]
    refused = runner.invoke(
        args=[
            "create-user",
            "vera",
            "--role",
            "vagledare",
            "--office",
            "K1",
            "--office",
            "K2",
            "--password-stdin",
        ],
        input="ett-langt-losenord-2026\n",
    )
    assert refused.exit_code != 0 and "bara en chef" in refused.output
    assert count(app, User, User.username == "vera") == 0


def test_the_processes_stay_per_case_type(api, world):
    """Process maps belong to a case type, not an office: any manager keeps mapping them."""
    steps = [{"id": "a", "name": "Ta emot", "level": 1}, {"id": "b", "name": "Besluta"}]
    body = {"steps": steps, "flows": [{"from": "a", "to": "b"}]}
    assert api.put("/process-maps/PARK", json=body, as_user="karin").status_code == 201
