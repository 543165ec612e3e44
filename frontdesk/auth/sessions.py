"""Server-side session records: a browser's login holds only while its record says so.

The Flask session cookie carries a random secret and nothing else of the login; the
record (table `user_sessions`, keyed by the secret's SHA-256) holds who, since when and
when last used. Each request reads it by its unique hash, so an ended record refuses the
very next request in every process: logging out, a password change, deactivation and an
admin's *logga ut överallt* end a copied cookie as surely as the original.

The absolute lifetime (SESSION_LIFETIME_HOURS, default 12) counts from login and the idle
limit (SESSION_IDLE_MINUTES, default 60) from the person's last request, both read from
the record, never from the cookie. A record that has run out is refused without a write;
records are deleted when their user next logs in, once ended or run out.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import User, UserSession
from frontdesk.models.user import hash_token
from frontdesk.timeutil import utcnow

_SESSIONS = UserSession.__table__


class Reason(StrEnum):
    """Why a session ended (user_sessions.ended_reason)."""

    LOGOUT = "logout"
    NEW_LOGIN = "new_login"  # the same browser logged in again: the id rotates
    PASSWORD = "password"  # the password was changed or reset
    DEACTIVATED = "deactivated"
    ADMIN = "admin"  # an admin's *logga ut överallt*
    EVERYWHERE = "everywhere"  # the person's own *logga ut överallt*


def lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config.get("SESSION_LIFETIME_HOURS", 12)))


def idle_limit() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("SESSION_IDLE_MINUTES", 60)))


def open_session(user: User) -> str:
    """A new session record for user; its secret, for the cookie (shown nowhere else).

    The user's records that ended or ran out are deleted here: the table holds about
    one row per person logged in.
    """
    now = utcnow()
    db.session.execute(
        sa.delete(_SESSIONS).where(
            _SESSIONS.c.user_id == user.id,
            sa.or_(
                _SESSIONS.c.ended_at.is_not(None),
                _SESSIONS.c.created_at < now - lifetime(),
                _SESSIONS.c.last_seen_at < now - idle_limit(),
            ),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.execute(
        sa.insert(_SESSIONS),
        {
            "secret_hash": hash_token(secret),
            "user_id": user.id,
            "created_at": now,
            "last_seen_at": now,
            "ended_reason": "",
        },
    )
    return secret


@dataclass(frozen=True, slots=True)
class OpenSession:
    """What a request needs of its session record (a plain row: no ORM object to build)."""

    id: int
    user_id: int
    last_seen_at: datetime


def find(secret: str) -> tuple[User | None, OpenSession | None, str]:
    """The user and open session of a cookie's secret, or why not ("", "idle", "lifetime").

    One statement for both (the session's row joined to its user): this runs on every
    request a logged-in person makes.
    """
    row = db.session.execute(
        sa.select(
            User,
            _SESSIONS.c.id,
            _SESSIONS.c.created_at,
            _SESSIONS.c.last_seen_at,
            _SESSIONS.c.ended_at,
        )
        .join(_SESSIONS, _SESSIONS.c.user_id == User.id)
        .where(_SESSIONS.c.secret_hash == hash_token(secret))
    ).one_or_none()
    if row is None or row.ended_at is not None:
        return None, None, ""
    now = utcnow()
    if now - row.created_at >= lifetime():
        return None, None, "lifetime"
    if now - row.last_seen_at > idle_limit():
        return None, None, "idle"
    return row.User, OpenSession(row.id, row.User.id, row.last_seen_at), ""


def seen(open_session: OpenSession, now: datetime) -> None:
    """The person did something now (written at most every SEEN_RESOLUTION_SECONDS)."""
    db.session.execute(
        sa.update(_SESSIONS).where(_SESSIONS.c.id == open_session.id).values(last_seen_at=now)
    )


def end(open_session: OpenSession, reason: str) -> None:
    db.session.execute(
        sa.update(_SESSIONS)
        .where(_SESSIONS.c.id == open_session.id, _SESSIONS.c.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def end_sessions(
    user: User, reason: str, except_current: OpenSession | None = None, by: User | None = None
) -> int:
    """End every open session of user (but `except_current`); how many were ended.

    Audited when it ended any, with who asked (`by`: the admin, or the person).
    """
    query = sa.update(_SESSIONS).where(
        _SESSIONS.c.user_id == user.id, _SESSIONS.c.ended_at.is_(None)
    )
    if except_current is not None:
        query = query.where(_SESSIONS.c.id != except_current.id)
    ended = db.session.execute(query.values(ended_at=utcnow(), ended_reason=reason)).rowcount
    if ended:
        record("auth.sessions_ended", "user", user.id, by, reason=reason, sessions=ended)
    return ended
