"""Login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from frontdesk.auth.access import begin_session, end_session, load_logged_in_user
from frontdesk.auth.forms import LoginForm
from frontdesk.auth.operations import attempt_login, log_out
from frontdesk.auth.throttle import LoginLimits, client_address_key
from frontdesk.extensions import db
from frontdesk.models import User
from frontdesk.roles import Role

WRONG_PASSWORD = "Fel användarnamn eller lösenord."
TOO_MANY_FAILURES = (
    "För många misslyckade inloggningar. Vänta {minutes} minuter och försök igen, "
    "eller kontakta en administratör."
)
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
    if user.role == Role.HANDLAGGARE:
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
    (frontdesk/auth/throttle.py) and audited (frontdesk/auth/operations.py).
    """
    form = LoginForm()
    notice = None
    if session.pop("idle_logout", False):
        notice = IDLE_LOGOUT.format(minutes=current_app.config.get("SESSION_IDLE_MINUTES", 60))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error=None, notice=notice)

    attempt = attempt_login(form.username.data, form.password.data, client_address_key())
    if attempt.user is None:
        # A guess must count although the answer is an error status (the request's
        # usual commit keeps only successful requests).
        db.session.commit()
        if attempt.refused:
            minutes = int(LoginLimits.from_config().window.total_seconds() // 60)
            error = TOO_MANY_FAILURES.format(minutes=minutes)
            return render_template("auth/login.html", form=form, error=error), 429
        return render_template("auth/login.html", form=form, error=WRONG_PASSWORD), 401

    begin_session(attempt.user)
    return redirect(_safe_next(request.args.get("next")) or home_for(attempt.user))


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no page can log a guide out)."""
    log_out(g.user)
    end_session()
    return redirect(url_for("auth.login"))
