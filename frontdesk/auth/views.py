"""Login and logout."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, request, session, url_for

from frontdesk.auth.access import load_logged_in_user
from frontdesk.auth.forms import LoginForm
from frontdesk.extensions import db
from frontdesk.models import User

bp = Blueprint("auth", __name__)
bp.before_app_request(load_logged_in_user)


def _safe_next(target: str | None) -> str | None:
    """Only follow a same-site path after login, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    if user.role == "handlaggare":
        return url_for("backoffice.index")
    return url_for("counter.index")


@bp.route("/")
def home():
    """Send each user to where their work is."""
    if g.user is None:
        return redirect(url_for("auth.login"))
    return redirect(home_for(g.user))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Username and password; a wrong pair gets one message that reveals neither."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.active or not user.check_password(form.password.data):
            error = "Fel användarnamn eller lösenord."
        else:
            session.clear()
            session["user_id"] = user.id
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no page can log a guide out)."""
    session.clear()
    return redirect(url_for("auth.login"))
