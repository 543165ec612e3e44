"""Administration: the admin's user pages and the users API, on both databases.

Accounts are created without a password, edited, switched off and on; a switched-off
person is locked out of the pages and the API at once, in every process; the API
answers as the pinned issue says (201, 200, 403, 409, 422 naming the field).
"""

import re

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import ApiToken, AuditEvent, User
from frontdesk.models.user import hash_token, token_expiry
from tests.conftest import PASSWORD, make_app
from tests.helpers import count, one


def _login(client, username="admin"):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client


def _errors(html: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', html)


def _bearer(world, username):
    return {"Authorization": f"Bearer {world.tokens[username]}"}


def _offices_of(app, username) -> list[str]:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        return [o.code for o in user.managed_offices]


# --- Pages ---------------------------------------------------------------------------


def test_admin_menu_and_the_list_with_search(client, world):
    _login(client)
    home = client.get("/admin/anvandare")
    assert home.status_code == 200
    assert 'aria-current="page">Administration</a>' in home.text
    for name in ("anna", "erik", "karin"):
        assert f">{name}</a>" in home.text
    # Search by office name, role label and organisation code; any case.
    k2 = client.get("/admin/anvandare?q=norra").text
    assert ">johan</a>" in k2 and ">anna</a>" not in k2
    handlers = client.get("/admin/anvandare?q=HANDLÄGG").text
    assert ">erik</a>" in handlers and ">anna</a>" not in handlers
    assert ">erik</a>" in client.get("/admin/anvandare?q=tek").text
    only_chefs = client.get("/admin/anvandare?role=chef").text
    assert ">karin</a>" in only_chefs and ">anna</a>" not in only_chefs
    # An htmx search answers the list alone.
    fragment = client.get("/admin/anvandare?q=karin", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and ">karin</a>" in fragment
    # A manager's menu has no Administration.
    other = _login(client.application.test_client(), "karin")
    assert "Administration" not in other.get("/disk").text
    assert other.get("/admin/anvandare").status_code == 403


def test_create_a_chef_with_two_offices_without_a_password(app, client, world):
    _login(client)
    response = client.post(
        "/admin/anvandare/ny",
        data={
            "username": "sara.ek",
            "display_name": "Sara Ek",
            "role": "chef",
            "office": "K2",
            "offices": ["K1"],
            "email": "Sara.Ek@Example.SE",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Användaren sara.ek är skapad." in page.text
    sara = one(app, User, User.username == "sara.ek")
    assert sara.password_hash == "" and sara.active
    assert sara.email == "Sara.Ek@example.se"
    assert _offices_of(app, "sara.ek") == ["K1", "K2"]
    with app.app_context():
        assert db.session.get(User, sara.id).office.code == "K2"  # the home office
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
        assert event.user_id == world.users["admin"] and event.data["offices"] == ["K1", "K2"]
    # No password: nobody logs in as her with an empty one.
    assert client.post("/login", data={"username": "sara.ek", "password": ""}).status_code == 200


def test_bad_input_is_refused_on_the_form_and_nothing_changes(app, client, world):
    _login(client)
    before = count(app, User)
    cases = [
        ({"username": "", "role": "vagledare", "office": "K1"}, "Ange ett användarnamn."),
        ({"username": "två ord", "role": "vagledare", "office": "K1"}, "Använd bokstäverna"),
        ({"username": "ANNA", "role": "vagledare", "office": "K1"}, "redan upptaget"),
        ({"username": "ny", "role": "vagledare"}, "behöver ett kontor"),
        ({"username": "ny", "role": "handlaggare"}, "behöver en organisation"),
        (
            {"username": "ny", "role": "handlaggare", "organisation": "TEK", "office": "K1"},
            "inte ett kontor",
        ),
        (
            {"username": "ny", "role": "vagledare", "office": "K1", "offices": ["K2"]},
            "Bara en chef",
        ),
        ({"username": "ny", "role": "chef", "office": "K9"}, "Okänt kontor: K9."),
        ({"username": "ny", "role": "chef"}, "minst ett kontor"),
        ({"username": "ny", "role": "kung", "office": "K1"}, "Välj en roll."),
        (
            {"username": "ny", "role": "vagledare", "office": "K1", "email": "inte-en-adress"},
            "inte giltig",
        ),
        ({"username": "x" * 81, "role": "vagledare", "office": "K1"}, "Högst 80 tecken."),
        ({"username": "ny\x00", "role": "vagledare", "office": "K1"}, None),
    ]
    for data, message in cases:
        response = client.post("/admin/anvandare/ny", data=data)
        assert response.status_code in (400, 422), (data, response.status_code)
        if message:
            assert any(message in e for e in _errors(response.text)), (data, _errors(response.text))
    assert count(app, User) == before


def test_edit_a_user_and_change_a_role(app, client, world):
    _login(client)
    anna = world.users["anna"]
    form = client.get(f"/admin/anvandare/{anna}").text
    assert 'value="anna"' in form and "Medborgarkontoret Centrum (K1)" in form
    data = {
        "username": "anna",
        "display_name": "Anna Berg",
        "role": "handlaggare",
        "office": "",
        "organisation": "TEK",
        "email": "anna@example.se",
    }
    assert client.post(f"/admin/anvandare/{anna}", data=data).status_code == 303
    user = one(app, User, User.id == anna)
    assert (user.role, user.office_id, user.display_name) == ("handlaggare", None, "Anna Berg")
    # Renaming to a taken name is refused, whatever the case.
    refused = client.post(f"/admin/anvandare/{anna}", data={**data, "username": "Erik"})
    assert refused.status_code == 422 and "redan upptaget" in refused.text
    assert one(app, User, User.id == anna).username == "anna"
    # The admin cannot take away their own admin role.
    own = world.users["admin"]
    refused = client.post(
        f"/admin/anvandare/{own}", data={"username": "admin", "role": "chef", "office": "K1"}
    )
    assert refused.status_code == 422 and "egen administratörsroll" in refused.text
    assert client.get("/admin/anvandare/999999").status_code == 404


def test_deactivation_locks_out_pages_and_tokens_in_every_process(app, client, world, database_url):
    # Anna is logged in on another server (another app object, its own caches).
    other = make_app(database_url)
    try:
        theirs = _login(other.test_client(), "anna")
        assert theirs.get("/disk").status_code == 200
        api_b = other.test_client()
        assert api_b.get("/api/v1/offices", headers=_bearer(world, "anna")).status_code == 200

        _login(client)
        response = client.post(f"/admin/anvandare/{world.users['anna']}/inaktivera")
        assert response.status_code == 303
        assert "1 API-nyckel återkallades" in client.get(response.headers["Location"]).text

        assert theirs.get("/disk").headers["Location"].startswith("/login")
        assert api_b.get("/api/v1/offices", headers=_bearer(world, "anna")).status_code == 401
        assert _login_fails(other.test_client(), "anna")
        with app.app_context():
            token = db.session.scalar(
                sa.select(ApiToken).where(ApiToken.user_id == world.users["anna"])
            )
            assert token.revoked_at is not None
        # Reactivated: she logs in again, the revoked token stays revoked.
        client.post(f"/admin/anvandare/{world.users['anna']}/aktivera")
        assert not _login_fails(other.test_client(), "anna")
        assert api_b.get("/api/v1/offices", headers=_bearer(world, "anna")).status_code == 401
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_id == world.users["anna"])
        ).all()
        assert "user.deactivated" in actions and "user.reactivated" in actions


def _login_fails(client, username) -> bool:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    return response.status_code != 302


def test_the_admin_cannot_deactivate_themselves(app, client, world):
    _login(client)
    response = client.post(f"/admin/anvandare/{world.users['admin']}/inaktivera")
    assert response.status_code == 303
    assert "inte inaktivera dig själv" in client.get(response.headers["Location"]).text
    assert one(app, User, User.id == world.users["admin"]).active


def test_a_users_tokens_are_listed_and_one_is_revoked(app, client, world):
    with app.app_context():
        user = db.session.get(User, world.users["erik"])
        db.session.add(
            ApiToken(user=user, name="Ärendesystemet", token_hash=hash_token("token-erik-2"))
        )
        db.session.add(
            ApiToken(
                user=user,
                name="Gammal",
                token_hash=hash_token("token-erik-old"),
                expires_at=token_expiry(-1),
            )
        )
        db.session.commit()
        second = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "Ärendesystemet"))
    _login(client)
    page = client.get(f"/admin/anvandare/{world.users['erik']}").text
    assert "Ärendesystemet" in page and "Utgången" in page and "Giltig" in page
    response = client.post(f"/admin/anvandare/{world.users['erik']}/nycklar/{second}/aterkalla")
    assert response.status_code == 303
    assert "är återkallad" in client.get(response.headers["Location"]).text
    headers = {"Authorization": "Bearer token-erik-2"}
    assert client.get("/api/v1/offices", headers=headers).status_code == 401
    assert client.get("/api/v1/offices", headers=_bearer(world, "erik")).status_code == 200
    # Another user's token is not found through erik's page.
    anna_token = one(app, ApiToken, ApiToken.user_id == world.users["anna"]).id
    url = f"/admin/anvandare/{world.users['erik']}/nycklar/{anna_token}/aterkalla"
    assert client.post(url).status_code == 404


# --- The users API ---------------------------------------------------------------------


def test_users_api_list_create_patch(app, api, world):
    listed = api.get("/users", as_user="admin")
    assert listed.status_code == 200
    names = [u["username"] for u in listed.get_json()["users"]]
    assert names == sorted(names) and "karin" in names
    karin = next(u for u in listed.get_json()["users"] if u["username"] == "karin")
    assert karin == {
        "username": "karin",
        "display_name": "Karin",
        "role": "chef",
        "office": "K1",
        "organisation": None,
        "offices": [],  # the fixture wrote no rows: she manages her home office still
        "email": "",
        "active": True,
    }
    found = api.get("/users?q=tek", as_user="admin").get_json()["users"]
    assert [u["username"] for u in found] == ["erik"]

    body = {
        "username": "lena",
        "display_name": "Lena Ö",
        "role": "handlaggare",
        "organisation": "SOC",
        "email": "lena@example.se",
    }
    created = api.post("/users", json=body, as_user="admin")
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/api/v1/users/lena"
    assert created.get_json()["organisation"] == "SOC"
    assert api.get("/users/lena", as_user="admin").get_json()["display_name"] == "Lena Ö"

    chef = {"username": "per", "role": "chef", "offices": ["K2", "K1"]}
    per = api.post("/users", json=chef, as_user="admin").get_json()
    assert (per["office"], per["offices"]) == ("K2", ["K1", "K2"])

    patched = api.request("PATCH", "/users/lena", json={"active": False}, as_user="admin")
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    assert not one(app, User, User.username == "lena").active
    patched = api.request(
        "PATCH", "/users/per", json={"role": "vagledare", "office": "K1"}, as_user="admin"
    )
    assert patched.get_json()["offices"] == [] and patched.get_json()["office"] == "K1"
    assert (
        api.get("/users?active=false", as_user="admin").get_json()["users"][0]["username"] == "lena"
    )


def test_users_api_refusals_name_the_field(app, api, world):
    before = count(app, User)
    duplicate = api.post(
        "/users", json={"username": "Anna", "role": "vagledare", "office": "K1"}, as_user="admin"
    )
    assert duplicate.status_code == 409
    assert "redan upptaget" in duplicate.get_json()["fields"]["username"]
    cases = [
        ({"username": "ny", "role": "vagledare"}, "office"),
        ({"username": "ny", "role": "handlaggare", "organisation": "NEJ"}, "organisation"),
        ({"username": "ny", "role": "chef", "offices": ["K1", "K9"]}, "offices"),
        ({"username": "ny", "role": "vagledare", "office": "K1", "colour": "blå"}, "colour"),
        ({"username": "ny", "role": "boss", "office": "K1"}, "role"),
        ({"username": " ", "role": "vagledare", "office": "K1"}, "username"),
        ({"username": "ny", "role": "vagledare", "office": "K1", "email": "@"}, "email"),
    ]
    for body, field in cases:
        response = api.post("/users", json=body, as_user="admin")
        assert response.status_code == 422, (body, response.text)
        assert field in response.get_json()["fields"], (body, response.get_json())
    assert count(app, User) == before
    assert api.request("PATCH", "/users/nobody", json={}, as_user="admin").status_code == 404
    own = api.request("PATCH", "/users/admin", json={"active": False}, as_user="admin")
    assert own.status_code == 422 and "active" in own.get_json()["fields"]
    strict = api.request("PATCH", "/users/anna", json={"active": "no"}, as_user="admin")
    assert strict.status_code == 422 and "active" in strict.get_json()["fields"]


def test_users_api_is_for_admins_only(api, world):
    for user in ("anna", "erik", "karin"):
        assert api.get("/users", as_user=user).status_code == 403
        body = {"username": "x", "role": "admin"}
        assert api.post("/users", json=body, as_user=user).status_code == 403
        assert api.request("PATCH", "/users/anna", json={}, as_user=user).status_code == 403
    assert api.get("/users", as_user=None).status_code == 401
