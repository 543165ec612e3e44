"""The catalogue and token caches: two app objects on one database behave like two servers.

Each app object keeps its own caches (frontdesk/cache.py), checked on every request
against the versions the database holds. What one server changes, the other obeys on
its very next request: a mandate routes differently, a revoked token or a deactivated
user is refused.
"""

import sqlalchemy as sa

from frontdesk.cache import catalogue, user_for_token
from frontdesk.extensions import db
from frontdesk.mandates.operations import set_mandate
from frontdesk.models import CaseType, Office, User
from tests.conftest import make_app

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "EKB", "rosa_level": 3}


def _bearer(world, username: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[username]}"}


def _second_server(database_url):
    other = make_app(database_url)
    return other, other.test_client()


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_mandate_changed_through_one_server_routes_the_next_contact_on_the_other(
    app, client, world, database_url
):
    other, b = _second_server(database_url)
    try:
        first = b.post("/api/v1/contacts", json=CONTACT, headers=_bearer(world, "anna"))
        assert first.get_json()["outcome"] == "eskalerat"  # EKB: default mandate 2
        changed = client.put(
            "/api/v1/mandates/K1/EKB",
            json={"max_level": 3, "reason": "Flyttat till kontoret"},
            headers=_bearer(world, "karin"),
        )
        assert changed.status_code == 200 and changed.get_json()["changed"]
        second = b.post("/api/v1/contacts", json=CONTACT, headers=_bearer(world, "anna"))
        assert second.status_code == 201
        assert second.get_json()["outcome"] == "informerat"
        # And back again: the other server follows every change, not only the first.
        client.put(
            "/api/v1/mandates/K1/EKB",
            json={"max_level": 2, "reason": "Tillbaka"},
            headers=_bearer(world, "karin"),
        )
        third = b.post("/api/v1/contacts", json=CONTACT, headers=_bearer(world, "anna"))
        assert third.get_json()["outcome"] == "eskalerat"
    finally:
        _dispose(other)


def test_a_token_revoked_through_one_server_is_refused_by_the_other(app, world, database_url):
    other, b = _second_server(database_url)
    try:
        assert b.get("/api/v1/offices", headers=_bearer(world, "anna")).status_code == 200
        result = app.test_cli_runner().invoke(args=["revoke-tokens", "anna"])
        assert result.exit_code == 0, result.output
        refused = b.get("/api/v1/offices", headers=_bearer(world, "anna"))
        assert refused.status_code == 401
        # Other users' tokens still work.
        assert b.get("/api/v1/offices", headers=_bearer(world, "omar")).status_code == 200
    finally:
        _dispose(other)


def test_a_user_deactivated_through_one_server_is_refused_by_the_other(app, world, database_url):
    other, b = _second_server(database_url)
    try:
        assert b.get("/api/v1/offices", headers=_bearer(world, "omar")).status_code == 200
        with app.app_context():
            db.session.get(User, world.users["omar"]).active = False
            db.session.commit()
        assert b.get("/api/v1/offices", headers=_bearer(world, "omar")).status_code == 401
        with app.app_context():
            db.session.get(User, world.users["omar"]).active = True
            db.session.commit()
        assert b.get("/api/v1/offices", headers=_bearer(world, "omar")).status_code == 200
    finally:
        _dispose(other)


def test_a_new_case_type_is_known_to_the_other_server_at_once(app, world, database_url):
    other, b = _second_server(database_url)
    try:
        assert b.post(
            "/api/v1/contacts", json={**CONTACT, "case_type": "NY"}, headers=_bearer(world, "anna")
        ).status_code in (409, 422)
        with app.app_context():
            owner = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
            db.session.add(
                CaseType(code="NY", name="Nytt ärende", organisation_id=owner.organisation_id)
            )
            db.session.commit()
        logged = b.post(
            "/api/v1/contacts",
            json={**CONTACT, "case_type": "NY", "rosa_level": 5},
            headers=_bearer(world, "anna"),
        )
        assert logged.status_code == 201, logged.get_json()
        assert logged.get_json()["outcome"] == "eskalerat"
    finally:
        _dispose(other)


def test_a_transaction_sees_its_own_change_and_a_rolled_back_one_is_forgotten(app, world):
    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        ekb = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
        assert catalogue().mandate_level(office.id, ekb.id) == 2
        set_mandate(office, ekb, 4, "prov", None)
        assert catalogue().mandate_level(office.id, ekb.id) == 4  # its own, uncommitted
        db.session.rollback()
        assert catalogue().mandate_level(office.id, ekb.id) == 2
        set_mandate(office, ekb, 3, "på riktigt", None)
        db.session.commit()
        assert catalogue().mandate_level(office.id, ekb.id) == 3


def test_cached_values_are_plain_and_lookups_follow_the_forms_rules(app, world):
    with app.app_context():
        known = catalogue()
        assert known.office_by_code("k1").code == "K1"
        assert known.case_type_by_code("park").code == "PARK"
        assert known.case_type_by_code("PARK – Parkeringstillstånd").code == "PARK"
        assert known.case_type_by_code("ekonomiskt bistånd").code == "EKB"
        park = known.case_type_by_code("PARK")
        assert park.referral_queue().code == "TEK-GATA" and park.organisation.code == "TEK"
        assert known.case_type_by_code("EKB").referral_queue().code == "SOC"
        assert known.case_type_by_code("okänd") is None
        user = user_for_token(world.tokens["anna"])
        assert user.username == "anna" and user.role == "vagledare"
        assert user_for_token("token-guessed") is None


def test_a_missing_version_row_comes_back_with_the_next_change(app, client, world, database_url):
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM cache_versions"))
        db.session.commit()
    other, b = _second_server(database_url)
    try:
        first = b.post("/api/v1/contacts", json=CONTACT, headers=_bearer(world, "anna"))
        assert first.get_json()["outcome"] == "eskalerat"
        client.put(
            "/api/v1/mandates/K1/EKB",
            json={"max_level": 3, "reason": "Flyttat"},
            headers=_bearer(world, "karin"),
        )
        second = b.post("/api/v1/contacts", json=CONTACT, headers=_bearer(world, "anna"))
        assert second.get_json()["outcome"] == "informerat"
    finally:
        _dispose(other)
