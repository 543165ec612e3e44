"""Lawful recommendations: what may be delegated caps every proposal and every what-if, a
state agency's case types stop at level 3, and the recommendations page groups, filters
and keeps a decision just made in view."""

import pytest
import sqlalchemy as sa

from frontdesk.catalog import CatalogError, import_catalog
from frontdesk.extensions import db
from frontdesk.models import CaseType, RecommendationDecision
from rosa.recommend import PairHistory, delegation_cap, propose
from tests.helpers import count
from tests.test_rosa_app import log_many, seed_history


def test_the_catalogue_wins_then_state_agencies_stop_at_three():
    assert delegation_cap("stat", None).level == 3
    assert "statlig myndighet" in delegation_cap("stat", None).reason
    assert delegation_cap("stat", 2).level == 2  # the owner's delegation order wins
    assert delegation_cap("kommun", 5).level == 5
    assert delegation_cap("kommun", None).limits is False
    with pytest.raises(ValueError):
        delegation_cap("kommun", 9)


def test_a_proposal_never_goes_above_what_may_be_delegated():
    history = PairHistory("K1", "FKBARN", 2, 3.0, {(3, "eskalerat"): 10, (4, "eskalerat"): 30})
    assert propose(history, ceiling=4).target_mandate == 4
    history.cap = delegation_cap("stat", None)
    capped = propose(history, ceiling=4)
    assert capped.target_mandate == 3 and capped.capped
    history.cap = delegation_cap("stat", 2)
    assert propose(history, ceiling=4) is None  # nothing lies within what may be delegated


OWNERS = {"PARK": ("Parkeringstillstånd", "TEK"), "EKB": ("Ekonomiskt bistånd", "SOC")}


def _item(code, level):
    name, owner = OWNERS[code]
    return {"code": code, "name": name, "organisation": owner, "max_delegable_level": level}


def _set_delegable(app, code, level):
    with app.app_context():
        import_catalog({"case_types": [_item(code, level)]})
        db.session.commit()


def test_state_agency_proposals_stop_at_three_and_say_why(app, world, api, client, auth):
    seed_history(app)
    log_many(app, {("FKBARN", 3): 10, ("FKBARN", 4): 30}, days_ago=40)
    by_type = {
        p["case_type"]: p for p in api.get("/rosa/recommendations?office=K1", as_user="karin").json
    }
    fk = by_type["FKBARN"]
    assert (fk["current_mandate"], fk["target_mandate"], fk["max_delegable_level"]) == (2, 3, 3)
    assert "statlig myndighet" in fk["capped_because"]
    assert by_type["PARK"]["capped_because"] is None and by_type["PARK"]["max_delegable_level"] == 8
    auth.login("karin")
    page = client.get("/rosa/rekommendationer?office=K1").get_data(as_text=True)
    assert 'id="cap-FKBARN"' in page and "Myndighetsutövning" in page


def test_a_case_type_capped_below_its_mandate_is_flagged_not_raised(app, world, api, client, auth):
    seed_history(app)  # PARK has mandate 3 at K1 and contacts at level 4
    _set_delegable(app, "PARK", 2)
    proposals = api.get("/rosa/recommendations?office=K1", as_user="karin").json
    assert "PARK" not in {p["case_type"] for p in proposals}
    auth.login("karin")
    page = client.get("/rosa/rekommendationer?office=K1").get_data(as_text=True)
    flagged = page.split('id="over-cap"')[1].split("</ul>")[0]
    assert "Parkeringstillstånd" in flagged and "mandat 3 i dag, högst 2" in flagged
    # The what-if offers nothing above it and refuses it when sent anyway.
    whatif = client.get("/rosa/vad-om?office=K1").get_data(as_text=True)
    choices = whatif.split('id="t-PARK"')[1].split("</select>")[0]
    assert 'value="3"' in choices and 'value="4"' not in choices
    refused = client.post("/rosa/vad-om", data={"office": "K1", "target-PARK": "4"})
    assert refused.status_code == 422 and "delegationsordning" in refused.get_data(as_text=True)


def test_the_catalogue_takes_checks_clears_and_exports_the_cap(app, world, api, client, auth):
    _set_delegable(app, "EKB", 3)
    listed = {c["code"]: c for c in api.get("/case-types", as_user="karin").json["case_types"]}
    assert (
        listed["EKB"]["max_delegable_level"] == 3 and listed["PARK"]["max_delegable_level"] is None
    )
    with app.app_context():
        for bad in (0, 9, "3", True):
            with pytest.raises(CatalogError) as error:
                import_catalog({"case_types": [_item("EKB", bad)]})
            assert "case_types[0].max_delegable_level" in error.value.errors[0]
            db.session.rollback()
    # The admin's page: the field saves, and empty clears it.
    auth.login("admin")
    form = client.get("/admin/katalog/arendetyper/EKB").get_data(as_text=True)
    assert 'name="max_delegable_level"' in form and 'value="3"' in form
    data = {
        "name": "Ekonomiskt bistånd",
        "organisation": "SOC",
        "sla_hours": "48",
        "active": "on",
        "max_delegable_level": "",
    }
    assert client.post("/admin/katalog/arendetyper/EKB", data=data).status_code == 303
    with app.app_context():
        ekb = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
        assert ekb.max_delegable_level is None
    refused = client.post(
        "/admin/katalog/arendetyper/EKB", data={**data, "max_delegable_level": "12"}
    )
    assert refused.status_code == 422 and "ska vara ett heltal 1–8" in refused.get_data(
        as_text=True
    )
    exported = client.get(
        "/api/v1/catalog", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    if exported.status_code == 200:  # the export over the API, where the app has one
        assert any("max_delegable_level" in c for c in exported.json["case_types"])


def test_proposals_are_grouped_and_filtered_by_owner_and_status(app, world, client, auth):
    seed_history(app)
    auth.login("karin")
    page = client.get("/rosa/rekommendationer?office=K1").get_data(as_text=True)
    summaries = [s.split("</summary>")[0] for s in page.split("<summary>")[1:]]
    assert any("Tekniska förvaltningen: mandat 3 → 4" in s and "1 förslag" in s for s in summaries)
    assert any("Socialförvaltningen: mandat 2 → 3" in s for s in summaries)
    only_soc = client.get("/rosa/rekommendationer?office=K1&owner=SOC").get_data(as_text=True)
    assert 'id="proposal-EKB"' in only_soc and 'id="proposal-PARK"' not in only_soc
    bad = client.get("/rosa/rekommendationer?office=K1&owner=NOPE&status=x")
    assert bad.status_code == 422 and "Okänd ägare." in bad.get_data(as_text=True)


def test_a_decision_just_made_stays_in_view(app, world, client, auth):
    seed_history(app)
    auth.login("karin")
    answer = client.post(
        "/rosa/rekommendationer/K1:PARK:3:4/beslut?owner=TEK",
        data={"decision": "approve", "note": "Rutinärende"},
    )
    assert answer.status_code == 303
    assert "beslutat=" in answer.location and "owner=TEK" in answer.location
    assert answer.location.endswith("#beslutat-nyss")
    page = client.get(answer.location).get_data(as_text=True)
    just = page.split('id="beslutat-nyss"')[1].split("</section>")[0]
    assert "Parkeringstillstånd" in just and "Godkänt" in just and "3 → 4" in just
    # The approved proposal left the list (its mandate now holds) but the decision did not.
    decided = client.get("/rosa/rekommendationer?office=K1&status=godkand").get_data(as_text=True)
    assert 'id="decisions"' in decided and "Rutinärende" in decided
    assert 'id="proposal-PARK"' not in decided
    assert count(app, RecommendationDecision) == 1
