"""A person's own account: changing the password, logging out everywhere, a one-time
reset link; and the login's answers that must not tell who has an account."""

import statistics
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.auth.passwords import PASSWORD_MIN, issue_password_reset, password_problem
from frontdesk.extensions import db
from frontdesk.models import AuditEvent, PasswordReset, User, UserSession
from frontdesk.timeutil import utcnow
from tests.conftest import PASSWORD
from tests.helpers import count, one

NEW = "grus-fönster-74-hallon"


def _copy(app, client):
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _logged_in(client) -> bool:
    return client.get("/disk").status_code == 200


def _change(client, current=PASSWORD, new=NEW, repeat=None):
    return client.post(
        "/konto/losenord",
        data={"current_password": current, "new_password": new, "repeat": repeat or new},
    )


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, auth, world):
    auth.login("anna")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "anna", "password": PASSWORD})
    copied = _copy(app, client)
    assert _logged_in(elsewhere) and _logged_in(copied)
    before = client.get_cookie("session").value
    changed = _change(client)
    assert changed.status_code == 303
    assert "Lösenordet är bytt" in client.get(changed.headers["Location"]).text
    assert _logged_in(client)
    assert client.get_cookie("session").value != before  # this session got a new id
    assert not _logged_in(elsewhere)
    assert not _logged_in(copied)  # the copy of the old cookie, too
    auth.logout()
    assert auth.login("anna").status_code == 401
    assert auth.login("anna", NEW).status_code == 302
    assert count(app, AuditEvent, AuditEvent.action == "auth.password_changed") == 1


@pytest.mark.parametrize(
    ("current", "new", "repeat", "says"),
    [
        ("fel-lösenord", NEW, None, "nuvarande lösenordet stämmer inte"),
        (PASSWORD, "kort", None, f"minst {PASSWORD_MIN} tecken"),
        (PASSWORD, "qwerty123456", None, "vanligaste"),
        (PASSWORD, NEW, "något-annat-lösen", "inte lika"),
        (PASSWORD, "anna-anna-anna", None, "användarnamn"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, client, auth, world, current, new, repeat, says
):
    auth.login("anna")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "anna", "password": PASSWORD})
    hash_before = one(app, User, User.username == "anna").password_hash
    response = _change(client, current, new, repeat)
    assert response.status_code == 422
    assert says in response.text
    assert one(app, User, User.username == "anna").password_hash == hash_before
    assert _logged_in(elsewhere)


def test_the_password_page_needs_a_login(client, world):
    response = client.get("/konto/losenord")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_log_out_everywhere_ends_every_session_of_the_person(app, client, auth, world):
    auth.login("anna")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "anna", "password": PASSWORD})
    colleague = app.test_client()
    colleague.post("/login", data={"username": "omar", "password": PASSWORD})
    response = client.post("/konto/logga-ut-overallt")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not _logged_in(client) and not _logged_in(elsewhere)
    assert _logged_in(colleague)
    with app.app_context():
        open_sessions = db.session.scalars(
            sa.select(UserSession).where(UserSession.ended_at.is_(None))
        ).all()
        assert [s.user_id for s in open_sessions] == [world.users["omar"]]


def _reset_link(app, username="anna") -> str:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        path = issue_password_reset(user, admin)
        db.session.commit()
        return path


def test_a_reset_link_sets_a_password_once_and_ends_every_session(app, client, auth, world):
    logged_in = app.test_client()
    logged_in.post("/login", data={"username": "anna", "password": PASSWORD})
    link = _reset_link(app)
    page = client.get(link)
    assert page.status_code == 200 and "anna" in page.text
    weak = client.post(link, data={"new_password": "kort", "repeat": "kort"})
    assert weak.status_code == 422 and "minst 12 tecken" in weak.text
    done = client.post(link, data={"new_password": NEW, "repeat": NEW})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert not _logged_in(logged_in)
    assert auth.login("anna", NEW).status_code == 302
    again = app.test_client().post(link, data={"new_password": NEW + "x", "repeat": NEW + "x"})
    assert again.status_code == 404 and "Länken fungerar inte längre" in again.text
    actions = [
        e.action
        for e in _events(app)
        if e.action.startswith("auth.password_reset") or e.action == "auth.sessions_ended"
    ]
    assert actions == [
        "auth.password_reset_issued",
        "auth.sessions_ended",
        "auth.password_reset_used",
    ]


def test_expired_guessed_and_replaced_links_are_refused(app, client, world):
    first = _reset_link(app)
    second = _reset_link(app)  # a new link replaces the one before
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get("/konto/aterstall/gissat-värde").status_code == 404
    assert client.get("/konto/aterstall/" + "x" * 5000).status_code == 404
    with app.app_context():
        db.session.execute(
            sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get(second).status_code == 404
    hash_before = one(app, User, User.username == "anna").password_hash
    client.post(second, data={"new_password": NEW, "repeat": NEW})
    assert one(app, User, User.username == "anna").password_hash == hash_before


def _events(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()


def test_the_policy_accepts_a_long_unusual_password():
    assert password_problem("grus-fönster-74-hallon", "anna", "Anna Andersson") is None
    assert password_problem("Anna Andersson 2026!", "anna", "Anna Andersson")


@pytest.mark.parametrize("target", ["/disk%0D%0AX:1", "/disk%0AX", "/%5Cexample.org", "//x.se"])
def test_a_next_that_could_break_the_header_or_leave_the_site_is_ignored(
    app, client, world, target
):
    response = client.post(f"/login?next={target}", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/disk"
    assert _logged_in(client)
    assert count(app, AuditEvent, AuditEvent.action == "auth.login") == 1


def _median_login_seconds(client, username: str, tries: int = 5) -> float:
    times = []
    for n in range(tries):
        started = time.perf_counter()
        response = client.post("/login", data={"username": username, "password": f"fel-{n}"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 401
    return statistics.median(times)


def test_an_unknown_user_waits_as_long_as_a_wrong_password(app, client, world):
    """With the production hash (scrypt), the answer's time does not tell who exists:
    the unknown name is checked against a dummy hash of the same method."""
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "anna"))
        user.set_password(PASSWORD)
        db.session.commit()
    _median_login_seconds(client, "okand-person", 1)  # the dummy hash is made once
    known = _median_login_seconds(client, "anna", 4)
    unknown = _median_login_seconds(client, "okand-person", 4)
    # Before the dummy hash: ~13 ms against ~140 ms (a ratio near 0.1).
    assert 0.5 < unknown / known < 2, (unknown, known)
