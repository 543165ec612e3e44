"""Who is logged in, and what they may see.

A login is a server-side record (frontdesk/auth/sessions.py); the cookie holds only its
secret. A session ends after SESSION_IDLE_MINUTES without the user doing anything
(default 60) and SESSION_LIFETIME_HOURS after login (default 12), both enforced on the
server: a counter left open when its guide walks away must not stay logged in all day.
The pages' background refreshes (polling) send X-Background-Refresh and do not count as
activity, so the open counter page itself does not keep the session alive; when the
session has expired, the next refresh takes the browser to the login page and the
citizens' matters leave the screen.
"""

import functools

from flask import abort, g, make_response, redirect, request, session, url_for

from frontdesk.auth import sessions
from frontdesk.extensions import htmx
from frontdesk.models import User
from frontdesk.timeutil import utcnow

BACKGROUND_REFRESH = "X-Background-Refresh"
# Activity is written into the session record at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 30
# The cookie's one field: the session record's secret.
SECRET = "sid"
# Why the last session ended on its own, for the login page to say (idle, lifetime).
EXPIRED = "expired"


def begin_session(user: User) -> None:
    """Log user in on this browser: a new record and secret (the id rotates at every
    login), and nothing of the old session carries over."""
    current = g.get("user_session")
    if current is not None:
        sessions.end(current, sessions.Reason.NEW_LOGIN)
    session.clear()
    session[SECRET] = sessions.open_session(user)
    session.permanent = True


def end_session(reason: str = sessions.Reason.LOGOUT) -> None:
    """Log out on this browser: its record ends, so a copy of the cookie ends with it."""
    current = g.get("user_session")
    if current is not None:
        sessions.end(current, reason)
    g.user_session = None
    session.clear()


def load_logged_in_user() -> None:
    g.user = None
    g.user_session = None
    g.session_expired = False
    secret = session.get(SECRET)
    if not isinstance(secret, str):
        # Not logged in (the cookie may hold a sign-in in progress: OIDC's state).
        # A login from before server-side sessions is not honoured.
        session.pop("user_id", None)
        return
    user, found, expired = sessions.find(secret)
    if found is None:
        session.clear()
        if expired:
            session[EXPIRED] = expired
            g.session_expired = True
        return
    if not user.active:
        session.clear()
        return
    g.user, g.user_session = user, found
    # A refresh's header is inherited by the buttons inside the refreshed list, so only
    # reads count as background; a POST is always a person doing something.
    background = request.method == "GET" and request.headers.get(BACKGROUND_REFRESH) == "1"
    now = utcnow()
    if not background and (now - found.last_seen_at).total_seconds() >= SEEN_RESOLUTION_SECONDS:
        sessions.seen(found, now)


def _to_login():
    """The login page, and back here afterwards; an htmx request navigates the whole page."""
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    return redirect(login_url)


def login_required(view):
    """Send anyone not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return _to_login()
        return view(**kwargs)

    return wrapped


def roles_required(*roles: str):
    """Like login_required, and 403 for a logged-in user of another role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                return _to_login()
            if not g.user.has_role(*roles):
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator
