"""Logging in, sessions, CSRF and who may open what."""

import re

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, User
from tests.conftest import PASSWORD, make_app
from tests.helpers import count, one


def test_login_lands_guide_on_the_counter(client, auth, world):
    response = auth.login("anna")
    assert response.status_code == 302
    assert response.headers["Location"] == "/disk"
    assert client.get("/disk").status_code == 200


def test_login_lands_handler_on_referrals(client, auth, world):
    response = auth.login("erik")
    assert response.headers["Location"] == "/remisser/"


@pytest.mark.parametrize(
    ("username", "password"), [("anna", "fel"), ("nobody", PASSWORD), ("", "")]
)
def test_wrong_login_is_refused_with_one_message(client, auth, world, username, password):
    response = auth.login(username, password)
    assert response.status_code in (200, 401)
    assert "Logga in" in response.text
    assert client.get("/disk").status_code == 302


def test_pages_need_login(client, world):
    for path in ("/disk", "/remisser/", "/mandat/", "/disk/kontakter/idag"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert client.post("/disk/kontakter", data={}).status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_off_site(client, auth, world):
    response = client.post("/login?next=/mandat/", data={"username": "anna", "password": PASSWORD})
    assert response.headers["Location"] == "/mandat/"
    auth.logout()
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "anna", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/disk"


def test_passwords_are_hashed(app, world):
    user = one(app, User, User.username == "anna")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")


def test_session_cookie_is_httponly_and_samesite(client, auth, world):
    response = auth.login("anna")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout(client, auth, world):
    auth.login("anna")
    auth.logout()
    assert client.get("/disk").status_code == 302


def test_guide_may_read_but_not_change_mandates(client, auth, world):
    auth.login("anna")
    assert client.get("/mandat/").status_code == 200
    response = client.post("/mandat/K1/EKB", data={"max_level": "4", "reason": "x"})
    assert response.status_code == 403


def test_manager_changes_mandate_in_the_page(client, auth, world):
    auth.login("karin")
    response = client.post(
        "/mandat/K1/EKB", data={"max_level": "4", "reason": "Flyttat till disken"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "mandatet är nu nivå 4" in page.text
    assert "Flyttat till disken" in page.text


def test_manager_mandate_form_refuses_missing_reason(client, auth, world):
    auth.login("karin")
    response = client.post(
        "/mandat/K1/EKB", data={"max_level": "4", "reason": ""}, follow_redirects=True
    )
    assert "Skriv varför mandatet ändras." in response.text


@pytest.fixture
def csrf_client(database_url, world):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    yield app, app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_forms_need_a_csrf_token(csrf_client):
    app, client = csrf_client
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formuläret har gått ut" in response.text
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    # An htmx post without the header token is refused and writes nothing.
    response = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert count(app, Contact) == 0
    # The page hands htmx its token in hx-headers.
    html = client.get("/disk").text
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": header_token},
    )
    assert response.status_code == 200
    assert count(app, Contact) == 1


def test_a_refused_request_is_audited_with_who_and_where(app, world, client, auth, api):
    """The admin's audit view shows refusals: a guide opening the overview, a token
    calling a manager's operation."""
    auth.login("anna")
    assert client.get("/oversikt/").status_code == 403
    assert api.get("/rosa/staircase", as_user="erik").status_code == 403
    events = [(e.user_id, e.data["path"], e.data["method"]) for e in _refusals(app)]
    assert events == [
        (world.users["anna"], "/oversikt/", "GET"),
        (world.users["erik"], "/api/v1/rosa/staircase", "GET"),
    ]
    # Not logged in is not a refusal: it is the login page.
    client.post("/logout")
    client.get("/oversikt/")
    assert count(app, AuditEvent, AuditEvent.action == "access.refused") == 2


def _refusals(app) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.action == "access.refused")
        return db.session.scalars(query.order_by(AuditEvent.id)).all()
