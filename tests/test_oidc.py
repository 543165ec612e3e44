"""Logging in with the municipality's account: OpenID Connect against a real provider.

The provider is panva's oidc-provider on loopback (tests/oidc/provider.mjs, started once
per session by tests/oidc_provider.py). The app runs in Flask's test client; the
provider's own sign-in page is filled in over HTTP as a browser would, and its answer
is handed to the app's callback. The browser version is tests/test_browser_oidc.py.
"""

import socket
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from joserfc.jwk import RSAKey

from frontdesk.auth.oidc import EXTENSION
from frontdesk.extensions import db
from frontdesk.models import AuditEvent, User
from tests.conftest import PASSWORD, make_app
from tests.helpers import count
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, sign_in_at_provider

BUTTON = "Logga in med kommunens konto"
CALLBACK = "http://localhost/login/oidc/callback"


@pytest.fixture
def sso_app(database_url, world, oidc_provider):
    """The test municipality's app, configured for the provider (world seeds the database)."""
    app = make_app(database_url, **oidc_provider.settings())
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def sso_client(sso_app):
    return sso_app.test_client()


def start(client, next_page: str | None = None) -> str:
    """Click the button: the app sends the browser to the provider; that URL."""
    response = client.get("/login/oidc" + (f"?next={next_page}" if next_page else ""))
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def provider_answer(client, login: str, next_page: str | None = None) -> str:
    """Start in the app, sign in at the provider; the callback path the provider sends back."""
    answer = sign_in_at_provider(start(client, next_page), login, stop_at=CALLBACK)
    return answer.removeprefix("http://localhost")


def logged_in_as(client) -> str | None:
    """Who the app says is logged in on this client (the name in the top bar)."""
    response = client.get("/disk")
    if response.status_code != 200:
        return None
    return (
        response.text.split('<div class="who">')[1].split('<span class="person">')[1].split(" <")[0]
    )


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return [(e.user_id, e.entity_id, e.data) for e in events]


def test_login_page_offers_the_municipality_account_only_when_configured(client, sso_client):
    plain = client.get("/login").text
    assert BUTTON not in plain and 'name="password"' in plain
    page = sso_client.get("/login?next=/mandat/").text
    assert BUTTON in page and 'href="/login/oidc?next=/mandat/"' in page
    assert 'name="password"' in page  # passwords stay until LOCAL_LOGIN=0


def test_an_active_user_logs_in_through_the_provider(sso_app, sso_client, world):
    authorize = start(sso_client)
    query = parse_qs(urlsplit(authorize).query)
    # The authorization-code flow with state, nonce and PKCE (S256).
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()

    callback = sign_in_at_provider(authorize, "anna", stop_at=CALLBACK)
    response = sso_client.get(callback.removeprefix("http://localhost"))
    assert response.status_code == 302 and response.headers["Location"] == "/disk"
    assert logged_in_as(sso_client) == "Anna"
    assert audit_events(sso_app, "auth.login") == [
        (world.users["anna"], world.users["anna"], {"method": "oidc"})
    ]


def test_each_user_lands_where_asked_or_on_their_home_page(sso_client):
    answer = provider_answer(sso_client, "karin", next_page="/mandat/")
    assert sso_client.get(answer).headers["Location"] == "/mandat/"
    sso_client.post("/logout")
    answer = provider_answer(sso_client, "erik", next_page="https://evil.example/")
    assert sso_client.get(answer).headers["Location"] == "/remisser/"
    sso_client.post("/logout")
    # A line break in next would split the Location header: ignored, never a 500.
    answer = provider_answer(sso_client, "anna", next_page="/disk%0D%0AX:1")
    assert sso_client.get(answer).headers["Location"] == "/disk"


def test_someone_the_app_does_not_know_gets_a_403_and_no_session(sso_app, sso_client):
    response = sso_client.get(provider_answer(sso_client, "okand"))
    assert response.status_code == 403
    assert "Inget konto i Medborgarkontoret" in response.text
    assert "Be en administratör" in response.text and "okand" in response.text
    assert logged_in_as(sso_client) is None
    assert audit_events(sso_app, "auth.oidc_refused") == [
        (None, None, {"reason": "unknown", "username": "okand"})
    ]
    assert audit_events(sso_app, "auth.login") == []


def test_an_inactive_user_gets_a_403_and_no_session(sso_app, sso_client):
    with sso_app.app_context():
        user = User(username="inaktiv", display_name="Inaktiv", role="admin", active=False)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    # Someone else was logged in on this browser: not any more.
    sso_client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert logged_in_as(sso_client) == "Anna"
    response = sso_client.get(provider_answer(sso_client, "inaktiv"))
    assert response.status_code == 403 and "inget aktivt konto" in response.text
    assert logged_in_as(sso_client) is None
    assert audit_events(sso_app, "auth.oidc_refused") == [
        (None, user_id, {"reason": "inactive", "username": "inaktiv"})
    ]


def _with_state(callback: str, state: str | None) -> str:
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "state"}
    if state is not None:
        query["state"] = state
    return f"{parts.path}?{urlencode(query)}"


@pytest.mark.parametrize("state", ["forged-state", None])
def test_an_answer_with_a_wrong_or_missing_state_is_refused(sso_app, sso_client, state):
    callback = provider_answer(sso_client, "anna", next_page="/mandat/")
    response = sso_client.get(_with_state(callback, state))
    assert response.status_code == 400
    assert "Inloggningen kunde inte slutföras" in response.text
    assert logged_in_as(sso_client) is None
    assert audit_events(sso_app, "auth.oidc_failed") == [(None, None, {"reason": "state"})]
    # The genuine answer still works: the forgery did not spend the real login.
    assert sso_client.get(callback).headers["Location"] == "/mandat/"


def test_a_replayed_answer_is_refused(sso_app, sso_client):
    callback = provider_answer(sso_client, "anna")
    cookie_before = sso_client.get_cookie("session").value
    assert sso_client.get(callback).status_code == 302
    sso_client.post("/logout")
    # The same browser again: the state was used up by the first answer.
    assert sso_client.get(callback).status_code == 400
    # A copy of the browser as it was before the answer: the provider refuses a used code.
    copy = sso_app.test_client()
    copy.set_cookie("session", cookie_before)
    response = copy.get(callback)
    assert response.status_code == 400 and "redan använt" in response.text
    assert logged_in_as(copy) is None and logged_in_as(sso_client) is None
    reasons = [data["reason"] for _, _, data in audit_events(sso_app, "auth.oidc_failed")]
    assert reasons == ["state", "code"]
    assert len(audit_events(sso_app, "auth.login")) == 1


def test_a_code_taken_to_another_browser_is_refused(sso_app, sso_client):
    """PKCE: a code is worth nothing without the verifier of the browser that asked for it."""
    stolen = provider_answer(sso_client, "anna")
    victim = sso_app.test_client()
    victims_answer = provider_answer(victim, "okand")
    code = parse_qs(urlsplit(stolen).query)["code"][0]
    state = parse_qs(urlsplit(victims_answer).query)["state"][0]
    response = victim.get(f"/login/oidc/callback?{urlencode({'code': code, 'state': state})}")
    assert response.status_code == 400
    assert logged_in_as(victim) is None
    assert audit_events(sso_app, "auth.oidc_failed") == [(None, None, {"reason": "code"})]


def test_an_id_token_not_signed_by_the_provider_is_refused(sso_app, sso_client):
    callback = provider_answer(sso_client, "anna")
    # The app's copy of the provider's keys replaced by another key with the same id:
    # the genuine ID token's signature does not verify against it.
    other = RSAKey.generate_key(2048, parameters={"kid": "test-key", "alg": "RS256"})
    sso_app.extensions[EXTENSION].server_metadata["jwks"] = {"keys": [other.as_dict(private=False)]}
    response = sso_client.get(callback)
    assert response.status_code == 400
    assert logged_in_as(sso_client) is None
    assert audit_events(sso_app, "auth.oidc_failed") == [(None, None, {"reason": "id_token"})]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("error=access_denied&state=x", "provider:access_denied"),
        ("error=%0D%0A<script>&state=x", "provider:unrecognised"),
    ],
)
def test_an_error_from_the_provider_is_shown_calmly(sso_app, sso_client, query, reason):
    response = sso_client.get(f"/login/oidc/callback?{query}")
    assert response.status_code == 400 and "Inloggningen avbröts" in response.text
    assert "<script>" not in response.text
    assert audit_events(sso_app, "auth.oidc_failed") == [(None, None, {"reason": reason})]


def test_an_answer_naming_another_issuer_is_refused(sso_app, sso_client):
    callback = provider_answer(sso_client, "anna")
    mixed_up = callback.replace("iss=http", "iss=https")
    assert mixed_up != callback
    assert sso_client.get(mixed_up).status_code == 400
    assert audit_events(sso_app, "auth.oidc_failed") == [(None, None, {"reason": "issuer"})]


def test_the_username_claim_is_configurable(database_url, world, oidc_provider):
    # sub is in the ID token itself; email only at the userinfo endpoint (as
    # preferred_username is with this provider, which the other tests cover).
    for claim, login, expected in [("sub", "anna", 302), ("email", "anna", 403)]:
        app = make_app(database_url, **oidc_provider.settings(OIDC_USERNAME_CLAIM=claim))
        client = app.test_client()
        response = client.get(provider_answer(client, login))
        assert response.status_code == expected, claim
        if expected == 403:
            assert "anna@kommun.example" in response.text
        with app.app_context():
            db.engine.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_provider_that_is_down_gets_a_503_page_not_a_500(database_url, world):
    issuer = f"http://127.0.0.1:{_closed_port()}"
    app = make_app(
        database_url,
        OIDC_ISSUER=issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
    )
    client = app.test_client()
    for path in ("/login/oidc", "/login/oidc/callback?code=x&state=y"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Kommunens inloggningstjänst går inte att nå just nu" in response.text
    assert logged_in_as(client) is None
    with app.app_context():
        db.engine.dispose()


def test_local_login_off_hides_the_form_and_refuses_passwords(database_url, world, oidc_provider):
    app = make_app(database_url, **oidc_provider.settings(LOCAL_LOGIN=False))
    client = app.test_client()
    page = client.get("/login").text
    assert BUTTON in page and 'name="password"' not in page
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403
    assert "Inloggning med lösenord är avstängd" in response.text
    assert logged_in_as(client) is None
    # Single sign-on still works.
    assert client.get(provider_answer(client, "anna")).headers["Location"] == "/disk"
    assert count(app, AuditEvent, AuditEvent.action == "auth.login") == 1
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LOCAL_LOGIN": False}, "LOCAL_LOGIN=0"),
        ({"OIDC_ISSUER": "http://idp.example", "OIDC_CLIENT_ID": "a"}, "https://"),
        ({"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "a"}, "OIDC_CLIENT_SECRET"),
    ],
)
def test_incomplete_settings_stop_the_app_at_start(tmp_path, settings, message):
    with pytest.raises(RuntimeError, match=message):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", **settings)
