"""Passwords: the policy a new password must meet, changing one, and one-time reset links.

The policy (one function, used by `flask create-user`, the change-password page and the
reset page): at least PASSWORD_MIN characters, not one of the 30,000 most common
passwords (zxcvbn's list, compiled from leaked password sets), not the username or the
person's name, and not guessable by zxcvbn's estimate (score 3 of 4, "safely
unguessable" against an offline attack on a slow hash). Only `flask seed-demo` creates
users with short passwords, and it never calls this.
"""

import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from frontdesk.audit import record
from frontdesk.auth import sessions
from frontdesk.extensions import db
from frontdesk.models import PasswordReset, User
from frontdesk.models.user import hash_token
from frontdesk.timeutil import utcnow

PASSWORD_MIN = 12
# zxcvbn measures the time of its own estimate by the password's length: refuse before.
PASSWORD_MAX = 200
RESET_VALID = timedelta(hours=24)
RESET_PATH = "/konto/aterstall/"


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str = "", display_name: str = "") -> str | None:
    """What is wrong with a new password, in Swedish; None when it may be used."""
    if len(password) < PASSWORD_MIN:
        return f"Lösenordet behöver minst {PASSWORD_MIN} tecken."
    if len(password) > PASSWORD_MAX:
        return f"Lösenordet får ha högst {PASSWORD_MAX} tecken."
    folded = password.casefold()
    if folded in _common():
        return "Lösenordet är ett av de vanligaste lösenorden. Välj ett annat."
    personal = [word for word in (username, display_name) if word]
    if any(word.casefold() in folded for word in personal if len(word) >= 3):
        return "Lösenordet får inte innehålla ditt användarnamn eller namn."
    if zxcvbn(password, user_inputs=personal)["score"] < 3:
        return (
            "Lösenordet är för lätt att gissa. Använd till exempel några ord som inte hör "
            "ihop, gärna med siffror eller tecken."
        )
    return None


def change_password(
    user: User, current: str, new: str, this_session: sessions.OpenSession | None = None
) -> tuple[str, str] | None:
    """A person changes their own password; (field, Swedish refusal), or None when changed.

    Every other session of the person ends (a thief with a copied cookie is out); the
    caller rotates this one.
    """
    if not user.check_password(current):
        return "current_password", "Det nuvarande lösenordet stämmer inte."
    problem = password_problem(new, user.username, user.display_name)
    if problem:
        return "new_password", problem
    user.set_password(new)
    sessions.end_sessions(user, sessions.Reason.PASSWORD, except_current=this_session, by=user)
    record("auth.password_changed", "user", user.id, user)
    return None


def issue_password_reset(user: User, issued_by: User | None) -> str:
    """A one-time link for user to set a password: its path (/konto/aterstall/<token>).

    Only the token's hash is kept; it works once, for RESET_VALID, and an earlier
    unused link of the same person stops working.
    """
    now = utcnow()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            token_hash=hash_token(token),
            user_id=user.id,
            issued_by_id=issued_by.id if issued_by else None,
            created_at=now,
            expires_at=now + RESET_VALID,
        )
    )
    record("auth.password_reset_issued", "user", user.id, issued_by)
    return RESET_PATH + token


def valid_reset(token: str) -> PasswordReset | None:
    """The unused, unexpired reset of a link's token, or None."""
    if not token or len(token) > 100:
        return None
    reset = db.session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    if not reset.user.active:
        return None
    return reset


def use_reset(reset: PasswordReset, new: str) -> str | None:
    """Set the password through a reset link; a Swedish refusal, or None when set.

    The link is used up, and every session of the person ends.
    """
    user = reset.user
    problem = password_problem(new, user.username, user.display_name)
    if problem:
        return problem
    user.set_password(new)
    reset.used_at = utcnow()
    sessions.end_sessions(user, sessions.Reason.PASSWORD, by=user)
    record("auth.password_reset_used", "user", user.id, user)
    return None
