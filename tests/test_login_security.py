"""Login: rate limits shared through the database, audit, idle sessions, password hashes."""

import re
import threading
from datetime import timedelta

import requests
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, LoginThrottle, User
from frontdesk.timeutil import utcnow
from tests.conftest import PASSWORD
from tests.helpers import count, last_seen, move_sessions, one, serving


def _actions(app, action):
    return count(app, AuditEvent, AuditEvent.action == action)


def test_five_failures_lock_the_account_even_for_the_right_password(client, auth, app, world):
    for _ in range(5):
        assert auth.login("anna", "fel").status_code == 401
    response = auth.login("anna", PASSWORD)
    assert response.status_code == 429
    assert "För många misslyckade inloggningar" in response.text
    assert client.get("/disk").status_code == 302  # not logged in
    assert _actions(app, "auth.login_failed") == 5
    assert _actions(app, "auth.login_refused") == 1
    # Another account from the same address is not locked by anna's guesses.
    assert auth.login("omar").status_code == 302


def test_the_lock_counts_the_name_however_it_is_written(auth, world):
    for name in ("anna", "Anna", "ANNA", " anna", "anna "):
        auth.login(name, "fel")
    assert auth.login("anna").status_code == 429


def test_the_lock_ends_with_its_window(app, auth, world):
    for _ in range(5):
        auth.login("anna", "fel")
    assert auth.login("anna").status_code == 429
    with app.app_context():
        for counter in db.session.scalars(sa.select(LoginThrottle)):
            counter.window_started_at -= timedelta(minutes=16)
        db.session.commit()
    assert auth.login("anna").status_code == 302


def test_a_successful_login_clears_the_account_count(auth, world):
    for _ in range(4):
        auth.login("anna", "fel")
    assert auth.login("anna").status_code == 302
    auth.logout()
    for _ in range(4):
        assert auth.login("anna", "fel").status_code == 401
    assert auth.login("anna").status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(app, client, world):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 3
    office = {"REMOTE_ADDR": "198.51.100.7"}
    for name in ("anna", "omar", "johan"):
        response = client.post(
            "/login", data={"username": name, "password": "fel"}, environ_base=office
        )
        assert response.status_code == 401
    refused = client.post(
        "/login", data={"username": "karin", "password": PASSWORD}, environ_base=office
    )
    assert refused.status_code == 429
    elsewhere = client.post(
        "/login",
        data={"username": "karin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert elsewhere.status_code == 302


def test_simultaneous_guesses_cannot_slip_past_the_limit(app, world):
    """Twelve wrong passwords at once: exactly five are judged, the rest refused."""
    statuses = []
    with serving(app) as base:
        barrier = threading.Barrier(12)

        def guess():
            barrier.wait()
            response = requests.post(
                f"{base}/login", data={"username": "erik", "password": "fel"}, timeout=30
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=guess) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 7
    assert _actions(app, "auth.login_failed") == 5


def test_logins_and_logouts_are_audited_without_the_password(app, auth, world):
    auth.login("anna")
    auth.logout()
    auth.login("ingen-sådan", "hemligt-ord")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        login, logout, failed = [(e.action, e.user_id, e.data) for e in events[-3:]]
    assert login[:2] == ("auth.login", world.users["anna"])
    assert logout[:2] == ("auth.logout", world.users["anna"])
    assert failed == ("auth.login_failed", None, {"username": "ingen-sådan"})
    assert "hemligt-ord" not in str(failed) and PASSWORD not in str(login)


def test_a_personnummer_typed_as_user_name_is_not_kept_in_the_audit(app, auth, world):
    auth.login("19811218-9876", "fel")
    with app.app_context():
        data = db.session.scalars(
            sa.select(AuditEvent.data).where(AuditEvent.action == "auth.login_failed")
        ).one()
    assert "811218" not in data["username"]


def _idle_for(client, minutes):
    move_sessions(client.application, "anna", idle_minutes=minutes)


def test_an_idle_session_ends_and_says_why(client, auth, world):
    auth.login("anna")
    _idle_for(client, 59)
    assert client.get("/disk").status_code == 200
    _idle_for(client, 61)
    response = client.get("/disk")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = client.get("/login")
    assert "utan aktivitet" in page.text
    assert client.get("/disk").status_code == 302  # the session is gone, not just hidden


def test_background_refreshes_do_not_keep_a_session_alive(client, auth, world):
    auth.login("anna")
    _idle_for(client, 50)
    poll = {"HX-Request": "true", "X-Background-Refresh": "1"}
    assert client.get("/disk/kontakter/idag", headers=poll).status_code == 200
    _idle_for(client, 61)  # the poll did not count: 61 minutes since the person did anything
    expired = client.get("/disk/kontakter/idag", headers=poll)
    # htmx follows HX-Redirect with a full page load: the list leaves the screen.
    assert expired.status_code == 401
    assert expired.headers["HX-Redirect"] == "/login"


def test_a_person_using_the_page_keeps_the_session(client, auth, world):
    auth.login("anna")
    _idle_for(client, 50)
    assert client.get("/disk").status_code == 200
    # That visit counted: 50 minutes before it no longer matter.
    assert (utcnow() - last_seen(client.application, "anna")).total_seconds() < 60


def test_passwords_get_a_modern_hash_and_old_hashes_are_upgraded(app, auth, world):
    assert one(app, User, User.username == "anna").password_hash.startswith("pbkdf2:sha256:1000$")
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"  # the production default
    assert auth.login("anna").status_code == 302
    upgraded = one(app, User, User.username == "anna").password_hash
    assert upgraded.startswith("scrypt:32768:8:1$")
    auth.logout()
    assert auth.login("anna").status_code == 302
    assert one(app, User, User.username == "anna").password_hash == upgraded  # not every time


def test_production_hashes_passwords_with_scrypt(app, world):
    del app.config["PASSWORD_HASH_METHOD"]
    with app.app_context():
        user = db.session.get(User, world.users["omar"])
        user.set_password("ett-långt-lösenord")
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password("ett-långt-lösenord")


def test_every_polling_list_marks_itself_as_a_background_refresh(client, auth, world):
    """Otherwise an open page would keep its session alive for ever."""
    for user, path in (("anna", "/disk"), ("erik", "/remisser/")):
        auth.login(user)
        page = client.get(path).text
        polls = re.findall(r"<[^>]*hx-trigger=\"every[^>]*>", page)
        assert polls, path
        for element in polls:
            assert """hx-headers='{"X-Background-Refresh": "1"}'""" in element, element
        auth.logout()
