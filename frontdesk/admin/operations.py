"""Changing staff accounts: one function per action, each with its audit event.

The pages (views.py) and the API (api.py) hand these the fields as the person gave
them (office and organisation by code) and show the UserError they raise. Every rule
about an account lives here: which role needs an office or an organisation, what a
user name may hold, that user names are unique, and that an admin cannot lock
themselves out.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from frontdesk.audit import record
from frontdesk.auth import sessions
from frontdesk.auth.passwords import issue_password_reset
from frontdesk.extensions import db
from frontdesk.mail import texts
from frontdesk.mail.outbox import enqueue
from frontdesk.models import ApiToken, MailKind, Office, Organisation, User
from frontdesk.roles import Role
from frontdesk.timeutil import utcnow
from kanaler.citizen import ContactDetailError, normalise_email

USERNAME_MAX = 80  # User.username
DISPLAY_NAME_MAX = 200  # User.display_name
EMAIL_MAX = 320  # User.email
# Letters, digits and . _ - @ : a login name, or the identity provider's (often an e-mail).
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
USERNAME_RULE = "Använd bokstäverna a–z, siffror och . _ - @ (börja med en bokstav eller siffra)."
# The fields an account has, as the pages and the API name them.
FIELDS = ("username", "display_name", "role", "office", "offices", "organisation", "email")


class UserError(Exception):
    """The change was refused; `fields` names each field at fault with a Swedish message.

    `status` is what the API answers: 409 when the user name is taken, else 422.
    """

    def __init__(self, fields: dict[str, str], status: int = 422):
        super().__init__("Användaren kunde inte sparas.")
        self.fields = fields
        self.status = status


@dataclass
class _Placement:
    """Where an account belongs once its role is known."""

    office: Office | None = None
    organisation: Organisation | None = None
    offices: list[Office] = field(default_factory=list)


def _office(code: str, place: str, errors: dict) -> Office | None:
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        errors[place] = f"Okänt kontor: {code}."
    return office


def _placement(role: str, values: dict, given: set[str], errors: dict) -> _Placement:
    """The office, organisation and managed offices `role` takes, from `values`.

    A field the role does not use is refused when it was given in this request, and
    cleared when it only remains from before (a vägledare made handläggare loses the
    office they had).
    """
    placement = _Placement()
    office_code = values.get("office") or None
    org_code = values.get("organisation") or None
    office_codes = list(dict.fromkeys(values.get("offices") or []))
    uses_office = role in (Role.VAGLEDARE, Role.CHEF, Role.ADMIN)
    if office_code and not uses_office:
        if "office" in given:
            errors["office"] = "En handläggare hör till en organisation, inte ett kontor."
        office_code = None
    if org_code and role != Role.HANDLAGGARE:
        if "organisation" in given:
            errors["organisation"] = "Bara en handläggare hör till en organisation."
        org_code = None
    if office_codes and role != Role.CHEF:
        if "offices" in given:
            errors["offices"] = "Bara en chef leder flera kontor."
        office_codes = []
    if office_code:
        placement.office = _office(office_code, "office", errors)
    if org_code:
        placement.organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.code == org_code)
        )
        if placement.organisation is None:
            errors["organisation"] = f"Okänd organisation: {org_code}."
    for code in office_codes:
        office = _office(code, "offices", errors)
        if office is not None:
            placement.offices.append(office)
    if role == Role.CHEF:
        # The home office is managed too; without one, the first managed office is it.
        if placement.office is None and placement.offices and "office" not in errors:
            placement.office = placement.offices[0]
        if placement.office is not None and placement.office not in placement.offices:
            placement.offices.insert(0, placement.office)
        if not placement.offices and not {"office", "offices"} & errors.keys():
            errors["offices"] = "En chef behöver minst ett kontor att leda."
    if role == Role.VAGLEDARE and placement.office is None and "office" not in errors:
        errors["office"] = "En samhällsvägledare behöver ett kontor."
    if role == Role.HANDLAGGARE and placement.organisation is None:
        errors.setdefault("organisation", "En handläggare behöver en organisation.")
    return placement


def _checked(values: dict, given: set[str], user: User | None) -> tuple[dict, _Placement]:
    """The values normalised, or UserError naming every field at fault."""
    errors: dict[str, str] = {}
    username = (values.get("username") or "").strip()
    if not username:
        errors["username"] = "Ange ett användarnamn."
    elif len(username) > USERNAME_MAX:
        errors["username"] = f"Högst {USERNAME_MAX} tecken."
    elif not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = USERNAME_RULE
    display_name = (values.get("display_name") or "").strip() or username
    if len(display_name) > DISPLAY_NAME_MAX:
        errors["display_name"] = f"Högst {DISPLAY_NAME_MAX} tecken."
    role = values.get("role") or ""
    if role not in set(Role):
        errors["role"] = "Välj en roll."
    try:
        email = normalise_email(values.get("email") or "")
    except ContactDetailError as error:
        errors["email"] = str(error)
        email = ""
    placement = _placement(role, values, given, errors) if "role" not in errors else _Placement()
    if "username" not in errors and _taken(username, user):
        errors["username"] = f"Användarnamnet {username} är redan upptaget."
        if len(errors) == 1:
            raise UserError(errors, 409)
    if errors:
        raise UserError(errors)
    return {
        "username": username,
        "display_name": display_name,
        "role": role,
        "email": email,
    }, placement


def _taken(username: str, user: User | None) -> bool:
    """Is the name another account's, in any case ("Anna" and "anna" are one person)?"""
    query = sa.select(User.id).where(sa.func.lower(User.username) == username.lower())
    if user is not None:
        query = query.where(User.id != user.id)
    return db.session.scalar(query) is not None


def _apply(user: User, checked: dict, placement: _Placement) -> dict:
    """Write the values; the changed fields as {field: [before, after]} for the audit."""
    before = describe(user) if user.id is not None else {}
    for name, value in checked.items():
        setattr(user, name, value)
    user.office = placement.office
    user.organisation = placement.organisation
    user.managed_offices = placement.offices
    if not user.email:
        user.notify_new_referrals = False  # notifications need an address
    db.session.flush()
    after = describe(user)
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def describe(user: User) -> dict:
    """An account as the audit log and the API show it (codes, not ids)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "office": user.office.code if user.office else None,
        "organisation": user.organisation.code if user.organisation else None,
        "offices": sorted(o.code for o in user.managed_offices) if user.role == Role.CHEF else [],
        "email": user.email,
        "active": user.active,
    }


def create_user(values: dict, by: User) -> User:
    """Create an account without a password: its owner logs in by SSO or a reset link."""
    checked, placement = _checked(values, set(values), None)
    user = User(password_hash="", active=True)
    db.session.add(user)
    _apply(user, checked, placement)
    record("user.created", "user", user.id, by, **describe(user))
    return user


def update_user(user: User, changes: dict, by: User) -> User:
    """Change some of an account's fields (and `active`); the rest stay as they were.

    `active` goes through deactivate_user / reactivate_user, with their audit events.
    """
    current = describe(user)
    values = {**current, **{k: v for k, v in changes.items() if k in FIELDS}}
    if user.id == by.id and values["role"] != Role.ADMIN:
        raise UserError({"role": "Du kan inte ta bort din egen administratörsroll."})
    if changes.get("active") is False and user.id == by.id:
        raise UserError({"active": "Du kan inte inaktivera dig själv."})
    checked, placement = _checked(values, set(changes), user)
    changed = _apply(user, checked, placement)
    if changed:
        record("user.updated", "user", user.id, by, username=user.username, changed=changed)
    active = changes.get("active")
    if isinstance(active, bool) and active != user.active:
        if active:
            reactivate_user(user, by)
        else:
            deactivate_user(user, by)
    return user


def deactivate_user(user: User, by: User) -> int:
    """Switch an account off: no login, every API token revoked; the tokens revoked.

    Its browser sessions end with it: every request checks `users.active`.
    """
    if user.id == by.id:
        raise UserError({"active": "Du kan inte inaktivera dig själv."})
    user.active = False
    revoked = _revoke_all(user)
    db.session.flush()
    record("user.deactivated", "user", user.id, by, username=user.username, tokens=revoked)
    # Requests already check users.active; ending the records says so in the audit trail
    # and keeps them ended if the account is reactivated.
    sessions.end_sessions(user, sessions.Reason.DEACTIVATED, by=by)
    return revoked


def log_out_everywhere(user: User, by: User) -> int:
    """An admin's *Logga ut överallt*: every session of the person ends; how many."""
    return sessions.end_sessions(user, sessions.Reason.ADMIN, by=by)


@dataclass(frozen=True)
class ResetLink:
    """Where a reset link went: mailed to `mailed_to`, or to show the admin once (`url`)."""

    url: str
    mailed_to: str = ""


def send_password_reset(user: User, by: User, base_url: str) -> ResetLink:
    """A one-time link for the person to choose a password.

    Mailed through the outbox when the person has an address and mail is configured
    (SMTP_URL); otherwise returned for the admin to pass on, shown once.
    """
    if not user.active:
        raise UserError({"active": "Kontot är inaktiverat: aktivera det först."})
    url = base_url.rstrip("/") + issue_password_reset(user, by)
    if user.email and current_app.config.get("SMTP_URL"):
        subject, body = texts.password_reset(user.name, url)
        enqueue(MailKind.PASSWORD_RESET, user.email, subject, body, user=by)
        return ResetLink(url=url, mailed_to=user.email)
    return ResetLink(url=url)


def reactivate_user(user: User, by: User) -> None:
    """Let an account log in again (its revoked tokens stay revoked)."""
    user.active = True
    db.session.flush()
    record("user.reactivated", "user", user.id, by, username=user.username)


def _revoke_all(user: User) -> int:
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def revoke_token(token: ApiToken, by: User) -> bool:
    """Revoke one API token; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    record("api_token.revoked", "user", token.user_id, by, token=token.id, label=token.name)
    return True
