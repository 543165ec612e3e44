"""Login and logout."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from frontdesk.auth import oidc, passwords, sessions
from frontdesk.auth.access import (
    EXPIRED,
    begin_session,
    end_session,
    load_logged_in_user,
    login_required,
)
from frontdesk.auth.forms import ChangePasswordForm, LoginForm, NewPasswordFields
from frontdesk.auth.operations import (
    attempt_login,
    log_out,
    refuse_oidc_answer,
    sign_in_with_oidc,
)
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
LIFETIME_LOGOUT = "Du har varit inloggad i {hours} timmar och har loggats ut. Logga in igen."
LOCAL_LOGIN_OFF = "Inloggning med lösenord är avstängd. Logga in med kommunens konto."
SSO_NO_ACCOUNT = (
    "Inget konto i Medborgarkontoret",
    "Kommunens inloggningstjänst känner igen dig, men det finns inget aktivt konto här med "
    "ditt användarnamn. Be en administratör att lägga upp ditt konto eller aktivera det igen.",
)
SSO_NOT_ACCEPTED = (
    "Inloggningen kunde inte slutföras",
    "Svaret från kommunens inloggningstjänst kunde inte godkännas: det kan vara för gammalt, "
    "redan använt eller komma från en annan webbläsare. Försök logga in igen.",
)
SSO_CANCELLED = (
    "Inloggningen avbröts",
    "Kommunens inloggningstjänst avbröt inloggningen. Försök igen, eller kontakta "
    "IT-supporten om det händer igen.",
)
SSO_UNAVAILABLE = (
    "Inloggningstjänsten svarar inte",
    "Kommunens inloggningstjänst går inte att nå just nu. Försök igen om en stund.",
)

bp = Blueprint("auth", __name__)
bp.before_app_request(load_logged_in_user)
# The blueprint brings its sign-on client: settings checked and provider registered at start-up.
bp.record_once(lambda state: oidc.init_app(state.app))


def _safe_next(target: str | None) -> str | None:
    """Only follow a same-site path after login, never another host."""
    # Control characters (CR/LF) would break the Location header.
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    # Browsers read "/\\host" as "//host": another site.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
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
    expired = session.pop(EXPIRED, None)
    if expired == "idle":
        notice = IDLE_LOGOUT.format(minutes=current_app.config.get("SESSION_IDLE_MINUTES", 60))
    elif expired == "lifetime":
        notice = LIFETIME_LOGOUT.format(hours=current_app.config.get("SESSION_LIFETIME_HOURS", 12))
    if request.method == "POST" and not current_app.config["LOCAL_LOGIN"]:
        return render_template("auth/login.html", form=form, error=LOCAL_LOGIN_OFF), 403
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


@bp.context_processor
def sign_in_options() -> dict:
    """What the login page offers: the municipality's account, passwords, or both."""
    return {"sso_enabled": oidc.enabled(), "local_login": current_app.config["LOCAL_LOGIN"]}


def _sso_page(status: int, text: tuple[str, str], username: str | None = None):
    heading, message = text
    page = render_template(
        "auth/oidc_refused.html", heading=heading, message=message, username=username
    )
    return page, status


@bp.get("/login/oidc")
def oidc_login():
    """Log in with the municipality's account: off to the identity provider's sign-in page."""
    if not oidc.enabled():
        abort(404)
    target = _safe_next(request.args.get("next"))
    try:
        response = oidc.start()
    except oidc.ProviderUnavailable:
        return _sso_page(503, SSO_UNAVAILABLE)
    if target:
        session["oidc_next"] = target
    return response


@bp.get("/login/oidc/callback")
def oidc_callback():
    """The identity provider's answer: an active user here comes in, anyone else gets a 403.

    An answer that cannot be trusted (no or wrong state, a used or foreign code, a bad
    ID token, an error from the provider) gets a 400 and an audit event, never a session.
    """
    if not oidc.enabled():
        abort(404)
    try:
        username = oidc.finish()
    except oidc.ProviderUnavailable:
        return _sso_page(503, SSO_UNAVAILABLE)
    except oidc.CallbackRefused as refused:
        refuse_oidc_answer(refused.reason)
        db.session.commit()  # kept although the answer is an error status
        cancelled = refused.reason.startswith("provider:")
        return _sso_page(400, SSO_CANCELLED if cancelled else SSO_NOT_ACCEPTED)
    target = session.pop("oidc_next", None)  # a refused forgery leaves it for the real answer
    user = sign_in_with_oidc(username)
    if user is None:
        # Whoever was logged in on this browser before, it is someone else now.
        end_session()
        db.session.commit()  # the refusal and the ended session, although the answer is 403
        return _sso_page(403, SSO_NO_ACCOUNT, username)
    begin_session(user)
    return redirect(_safe_next(target) or home_for(user))


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no page can log a guide out)."""
    log_out(g.user)
    end_session()
    return redirect(url_for("auth.login"))


# --- the person's own account: password and sessions -----------------------------------

POLICY = (
    f"Minst {passwords.PASSWORD_MIN} tecken. Inte ett vanligt lösenord och inte ditt namn; "
    "några ord som inte hör ihop är lätta att minnas och svåra att gissa."
)


@bp.context_processor
def password_policy() -> dict:
    return {"policy": POLICY}


@bp.route("/konto/losenord", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: the other sessions end, this one gets a new id."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 422 if form.is_submitted() else 200
    refused = passwords.change_password(
        g.user, form.current_password.data, form.new_password.data, g.user_session
    )
    if refused:
        field, message = refused
        form[field].errors.append(message)
        return render_template("auth/password.html", form=form), 422
    begin_session(g.user)
    flash("Lösenordet är bytt. Du är utloggad på alla andra enheter.", "success")
    return redirect(url_for("auth.change_password"), 303)


@bp.post("/konto/logga-ut-overallt")
@login_required
def log_out_everywhere():
    """End every session of the person, this one included (a lost phone, a shared desk)."""
    user = g.user
    sessions.end_sessions(user, sessions.Reason.EVERYWHERE, by=user)
    end_session()
    return redirect(url_for("auth.login"), 303)


@bp.route("/konto/aterstall/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a password through a one-time link from an admin; no login needed."""
    reset = passwords.valid_reset(token)
    if reset is None:
        return render_template("auth/reset.html", form=None, expired=True), 404
    form = NewPasswordFields()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/reset.html", form=form, user=reset.user), status
    problem = passwords.use_reset(reset, form.new_password.data)
    if problem:
        form.new_password.errors.append(problem)
        return render_template("auth/reset.html", form=form, user=reset.user), 422
    end_session()
    flash("Lösenordet är sparat. Logga in med det nya lösenordet.", "success")
    return redirect(url_for("auth.login"), 303)
