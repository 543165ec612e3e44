"""Who is logged in, and what they may see."""

import functools

from flask import abort, g, redirect, request, session, url_for

from frontdesk.extensions import db
from frontdesk.models import User


def load_logged_in_user() -> None:
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id is not None else None
    g.user = user if user is not None and user.active else None


def login_required(view):
    """Send anyone not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped


def roles_required(*roles: str):
    """Like login_required, and 403 for a logged-in user of another role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not g.user.has_role(*roles):
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator
