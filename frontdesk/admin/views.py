"""The admin's pages: staff accounts, their API tokens, and the offices a chef manages."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk.admin import audit_log
from frontdesk.admin.forms import UserForm, UserSearchForm
from frontdesk.admin.operations import (
    UserError,
    create_user,
    deactivate_user,
    describe,
    log_out_everywhere,
    reactivate_user,
    revoke_token,
    send_password_reset,
    update_user,
)
from frontdesk.admin.queries import STATUSES, find_users, tokens_of
from frontdesk.auth import roles_required
from frontdesk.extensions import db, htmx
from frontdesk.models import ApiToken, Office, Organisation, User
from frontdesk.periods import FilterError
from frontdesk.roles import Role
from frontdesk.timeutil import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _choices() -> dict:
    """What the account form's lists offer."""
    return {
        "roles": list(Role),
        "all_offices": db.session.scalars(sa.select(Office).order_by(Office.code)).all(),
        "organisations": db.session.scalars(
            sa.select(Organisation).order_by(Organisation.name)
        ).all(),
    }


@bp.get("/anvandare")
@roles_required(Role.ADMIN)
def users():
    """Every account, searchable by name, role, office or organisation, and status."""
    form = UserSearchForm(request.args)
    form.validate()
    status = form.status.data if form.status.data in STATUSES else "aktiva"
    role = form.role.data if form.role.data in set(Role) else ""
    found = find_users((form.q.data or "")[:200], role, STATUSES[status])
    context = dict(form=form, found=found, status=status, role=role, roles=list(Role))
    if htmx and not htmx.boosted:
        return render_template("admin/_user_list.html", **context)
    return render_template("admin/users.html", **context)


@bp.route("/anvandare/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create an account (no password: SSO, or a reset link from the admin)."""
    form = UserForm()
    if request.method == "POST" and form.validate():
        try:
            user = create_user(form.values(), g.user)
        except UserError as error:
            form.show_errors(error.fields)
        else:
            flash(f"Användaren {user.username} är skapad.")
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/user_form.html", form=form, user=None, **_choices()), status


@bp.route("/anvandare/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """An account: its fields, its status, its API tokens."""
    user = _user(user_id)
    form = UserForm(data=describe(user)) if request.method == "GET" else UserForm()
    if request.method == "POST" and form.validate():
        try:
            update_user(user, form.values(), g.user)
        except UserError as error:
            db.session.rollback()
            user = _user(user_id)
            form.show_errors(error.fields)
        else:
            flash(f"Ändringarna för {user.username} är sparade.")
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        tokens=tokens_of(user),
        now=utcnow(),
        **_choices(),
    ), status


def _back(user: User):
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.post("/anvandare/<int:user_id>/inaktivera")
@roles_required(Role.ADMIN)
def deactivate(user_id: int):
    """Switch an account off: its sessions end and its API tokens are revoked."""
    user = _user(user_id)
    try:
        revoked = deactivate_user(user, g.user)
    except UserError as error:
        flash(" ".join(error.fields.values()), "error")
        return _back(user)
    flash(
        f"{user.name} är inaktiverad och utloggad överallt; "
        f"{revoked} {'API-nyckel' if revoked == 1 else 'API-nycklar'} återkallades."
    )
    return _back(user)


@bp.post("/anvandare/<int:user_id>/logga-ut")
@roles_required(Role.ADMIN)
def end_sessions(user_id: int):
    """Log the person out on every browser (a lost laptop, a shared desk)."""
    user = _user(user_id)
    ended = log_out_everywhere(user, g.user)
    flash(f"{user.name} är utloggad överallt ({ended} {'session' if ended == 1 else 'sessioner'}).")
    return _back(user)


@bp.post("/anvandare/<int:user_id>/aterstall-losenord")
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    """A one-time link to choose a password: mailed, or shown once on the next page."""
    user = _user(user_id)
    base = current_app.config.get("APP_URL") or request.host_url
    try:
        link = send_password_reset(user, g.user, base)
    except UserError as error:
        flash(" ".join(error.fields.values()), "error")
        return _back(user)
    if link.mailed_to:
        flash(f"En länk för att välja lösenord är skickad till {link.mailed_to}.")
    else:
        flash(
            f"Ge {user.name} den här länken (den visas bara nu, fungerar en gång i 24 timmar): "
            f"{link.url}",
            "reset-link",
        )
    return _back(user)


@bp.post("/anvandare/<int:user_id>/aktivera")
@roles_required(Role.ADMIN)
def reactivate(user_id: int):
    """Let an account log in again."""
    user = _user(user_id)
    reactivate_user(user, g.user)
    flash(f"{user.name} är aktiv igen. Återkallade API-nycklar förblir återkallade.")
    return _back(user)


@bp.post("/anvandare/<int:user_id>/nycklar/<int:token_id>/aterkalla")
@roles_required(Role.ADMIN)
def revoke(user_id: int, token_id: int):
    """Revoke one of the account's API tokens."""
    user = _user(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    label = token.name or f"nyckel {token.id}"
    if revoke_token(token, g.user):
        flash(f"API-nyckeln ”{label}” är återkallad.")
    else:
        flash(f"API-nyckeln ”{label}” var redan återkallad.")
    return _back(user)


@bp.get("/logg")
@roles_required(Role.ADMIN)
def audit():
    """The audit log: logins, refusals, user and catalogue changes, mandates, exports,
    backups; filterable by person, kind and date, newest first."""
    try:
        filters = audit_log.read_filters(request.args)
    except FilterError as error:
        return render_template(
            "admin/audit.html", kinds=audit_log.KINDS, args=request.args, errors=error.fields,
            events=[], older_url=None, kind_of=audit_log.kind_of,
        ), 422  # fmt: skip
    events, next_before = audit_log.events(filters)
    older_url = None
    if next_before is not None:
        kept = {k: v for k, v in request.args.items() if k != "before" and v}
        older_url = url_for("admin.audit", **kept, before=next_before)
    return render_template(
        "admin/audit.html",
        kinds=audit_log.KINDS,
        args=request.args,
        errors={},
        events=events,
        older_url=older_url,
        kind_of=audit_log.kind_of,
    )
