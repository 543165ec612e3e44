"""Logging in and out as domain actions: each is checked, counted and audited here."""

import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from frontdesk import audit
from frontdesk.auth.throttle import count_attempt
from frontdesk.extensions import db
from frontdesk.models import User
from kanaler import mask_personnummer


@dataclass(frozen=True)
class LoginAttempt:
    """How an attempt ended: the user when it succeeded; refused when the limit was reached."""

    user: User | None
    refused: bool = False


def _typed(username: str) -> dict:
    """What the audit keeps of a failed attempt: the name typed, short and without personnummer."""
    return {"username": mask_personnummer(username)[:80]}


@cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _dummy_hash() -> str:
    """A hash of a random password with the method real passwords are checked with."""
    return _dummy_hash_for(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def attempt_login(username: str, password: str, address_key: str) -> LoginAttempt:
    """Check a username and password, count the attempt against the limits and audit it.

    The password is checked (slowly, by design) before the throttle's row locks are
    taken, so a login holds them for a moment, not for the length of a hash.
    """
    username = username.strip()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is not None and user.active and user.password_hash:
        password_ok = user.check_password(password)
    else:
        # As slow as a wrong password: the answer's time must not tell who has an account
        # (or one without a password, signing in through the municipality's account).
        check_password_hash(_dummy_hash(), password)
        password_ok = False
    user_id = user.id if user is not None else None
    if not count_attempt(username, address_key, password_ok):
        audit.record("auth.login_refused", "user", user_id, None, **_typed(username))
        return LoginAttempt(user=None, refused=True)
    if not password_ok:
        audit.record("auth.login_failed", "user", user_id, None, **_typed(username))
        return LoginAttempt(user=None)
    user.upgrade_password_hash(password)
    audit.record("auth.login", "user", user.id, user)
    return LoginAttempt(user=user)


def log_out(user: User | None) -> None:
    if user is not None:
        audit.record("auth.logout", "user", user.id, user)


def sign_in_with_oidc(username: str | None) -> User | None:
    """Let in the active user the identity provider named; audit the login or the refusal.

    Only a user an admin created and has not switched off comes in: single sign-on
    proves who the person is, not that they may use the app.
    """
    user = db.session.scalar(sa.select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        reason = "unknown" if user is None else "inactive"
        user_id = user.id if user is not None else None
        audit.record(
            "auth.oidc_refused", "user", user_id, None, reason=reason, **_typed(username or "")
        )
        return None
    audit.record("auth.login", "user", user.id, user, method="oidc")
    return user


def refuse_oidc_answer(reason: str) -> None:
    """Audit a sign-on answer that could not be trusted (forged, replayed, refused upstream)."""
    audit.record("auth.oidc_failed", "user", None, None, reason=reason)
