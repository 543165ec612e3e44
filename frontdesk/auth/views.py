"""Login and logout."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from frontdesk import audit
from frontdesk.auth.access import load_logged_in_user, note_activity
from frontdesk.auth.forms import LoginForm
from frontdesk.auth.throttle import LoginLimits, client_address_key, count_attempt
from frontdesk.extensions import db
from frontdesk.models import User
from kanaler import mask_personnummer

WRONG_PASSWORD = "Fel användarnamn eller lösenord."
IDLE_LOGOUT = "Du loggades ut efter {minutes} minuter utan aktivitet. Logga in igen."

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
    """Username and password; a wrong pair gets one message that reveals neither.

    Every attempt is counted against the account and the client's address
    (frontdesk/auth/throttle.py) and audited. Failed and refused attempts are
    committed here although the answer is an error status: the request's usual
    commit keeps only successful requests, and a guess must count.
    """
    form = LoginForm()
    notice = None
    if session.pop("idle_logout", False):
        notice = IDLE_LOGOUT.format(minutes=current_app.config.get("SESSION_IDLE_MINUTES", 60))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error=None, notice=notice)

    username = form.username.data.strip()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    # The password is checked (slowly, by design) before the throttle's row locks are taken.
    password_ok = user is not None and user.active and user.check_password(form.password.data)
    if not count_attempt(username, client_address_key(), password_ok):
        audit.record(
            "auth.login_refused", "user", user.id if user else None, None, **_who(username)
        )
        db.session.commit()
        minutes = int(LoginLimits.from_config().window.total_seconds() // 60)
        error = (
            "För många misslyckade inloggningar. Vänta "
            f"{minutes} minuter och försök igen, eller kontakta en administratör."
        )
        return render_template("auth/login.html", form=form, error=error), 429
    if not password_ok:
        audit.record("auth.login_failed", "user", user.id if user else None, None, **_who(username))
        db.session.commit()
        return render_template("auth/login.html", form=form, error=WRONG_PASSWORD), 401

    user.upgrade_password_hash(form.password.data)
    audit.record("auth.login", "user", user.id, user)
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    note_activity()
    return redirect(_safe_next(request.args.get("next")) or home_for(user))


def _who(username: str) -> dict:
    """What the audit keeps of a failed attempt: the name typed, short and without personnummer."""
    return {"username": mask_personnummer(username)[:80]}


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no page can log a guide out)."""
    if g.user is not None:
        audit.record("auth.logout", "user", g.user.id, g.user)
    session.clear()
    return redirect(url_for("auth.login"))
