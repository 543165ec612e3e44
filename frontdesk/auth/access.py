"""Who is logged in, and what they may see.

A session ends after SESSION_IDLE_MINUTES without the user doing anything
(default 60), besides Flask's absolute PERMANENT_SESSION_LIFETIME: a counter
left open when its guide walks away must not stay logged in all day. The
pages' background refreshes (polling) send X-Background-Refresh and do not count
as activity, so the open counter page itself does not keep the session alive;
when the session has expired, the next refresh takes the browser to the login
page and the citizens' matters leave the screen.
"""

import functools
import time

from flask import abort, current_app, g, make_response, redirect, request, session, url_for

from frontdesk.extensions import db, htmx
from frontdesk.models import User

BACKGROUND_REFRESH = "X-Background-Refresh"
# Activity is written into the session cookie at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 30


def _idle_limit_seconds() -> int:
    return int(current_app.config.get("SESSION_IDLE_MINUTES", 60)) * 60


def _session_is_idle() -> bool:
    seen_at = session.get("seen_at")
    return not isinstance(seen_at, int | float) or time.time() - seen_at > _idle_limit_seconds()


def note_activity() -> None:
    """Mark the session as in use now (at login, and by every request a person makes)."""
    session["seen_at"] = int(time.time())


def begin_session(user: User) -> None:
    """Log user in on this browser: a fresh session (nothing of the old one carries over)."""
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    note_activity()


def end_session() -> None:
    """Log out on this browser."""
    session.clear()


def load_logged_in_user() -> None:
    g.user = None
    g.session_expired = False
    user_id = session.get("user_id")
    if user_id is None:
        return
    if _session_is_idle():
        session.clear()
        session["idle_logout"] = True
        g.session_expired = True
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return
    g.user = user
    # A refresh's header is inherited by the buttons inside the refreshed list, so only
    # reads count as background; a POST is always a person doing something.
    background = request.method == "GET" and request.headers.get(BACKGROUND_REFRESH) == "1"
    if not background and time.time() - session["seen_at"] >= SEEN_RESOLUTION_SECONDS:
        note_activity()


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
