"""Sessions the server can end: a copied cookie stops working when the session ends,
whatever ended it, in every process; the lifetime and the idle limit hold on the server."""

import sqlalchemy as sa

from frontdesk.auth.sessions import Reason, end_sessions
from frontdesk.extensions import db
from frontdesk.models import AuditEvent, User, UserSession
from tests.conftest import make_app
from tests.helpers import count, move_sessions, one


def _copy(app, client):
    """Another browser with the same session cookie (a stolen or copied cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/disk").status_code == 200


def test_a_copied_cookie_stops_working_at_logout(app, client, auth, world):
    auth.login("anna")
    copy = _copy(app, client)
    assert _logged_in(copy)
    auth.logout()
    assert not _logged_in(copy)
    ended = one(app, UserSession, UserSession.ended_at.is_not(None))
    assert ended.ended_reason == Reason.LOGOUT


def test_the_session_id_rotates_at_login(app, client, auth, world):
    auth.login("anna")
    first = client.get_cookie("session").value
    old = _copy(app, client)
    auth.login("anna")  # the same browser logs in again
    assert client.get_cookie("session").value != first
    assert _logged_in(client)
    assert not _logged_in(old)


def test_the_lifetime_holds_however_active_the_person_is(app, client, auth, world):
    auth.login("anna")
    move_sessions(app, "anna", age_hours=11.9)
    assert _logged_in(client)
    move_sessions(app, "anna", age_hours=12)
    response = client.get("/disk")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "inloggad i 12 timmar" in client.get("/login").text
    assert not _logged_in(client)


def test_idle_is_decided_on_the_server_even_for_a_replayed_cookie(app, client, auth, world):
    auth.login("anna")
    copy = _copy(app, client)
    move_sessions(app, "anna", idle_minutes=61)
    assert not _logged_in(copy)
    assert not _logged_in(client)


def test_ending_a_users_sessions_in_one_process_ends_them_in_another(app, client, auth, world):
    """Two app objects on one database behave as two servers."""
    auth.login("anna")
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    other_browser = other.test_client()
    other_browser.set_cookie("session", client.get_cookie("session").value)
    assert _logged_in(other_browser)
    with other.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "anna"))
        assert end_sessions(user, Reason.ADMIN) == 1
        db.session.commit()
    assert not _logged_in(client)
    assert not _logged_in(other_browser)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    event = one(app, AuditEvent, AuditEvent.action == "auth.sessions_ended")
    assert event.data == {"reason": "admin", "sessions": 1}


def test_a_deactivated_user_is_out_at_the_next_request(app, client, auth, world):
    auth.login("anna")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "anna").values(active=False))
        db.session.commit()
    assert not _logged_in(client)


def test_old_sessions_are_deleted_when_the_person_logs_in_again(app, client, auth, world):
    for _ in range(3):
        auth.login("anna")
        auth.logout()
    auth.login("anna")
    assert count(app, UserSession) == 1
