"""Login rate limits per account and per client address, kept in the database.

The counters live in the database (table ``login_attempts``) rather than in a
process's memory, so every gunicorn worker and every app host counts the same
failures. Each counter is read and changed under a row lock (on SQLite the
write gate serialises the whole transaction), so simultaneous wrong guesses
cannot slip past the limit between a read and a write.

A window starts with an account's or address's first failure and lasts
LOGIN_WINDOW_MINUTES; once LOGIN_FAILURES_PER_ACCOUNT (or _PER_ADDRESS)
failures have been counted in it, every login for that account (or from that
address) is refused until it ends, even with the right password, so guessing
cannot tell right from wrong. A successful login clears the account's counter,
not the address's: one valid account must not reset the count for guessing
others from the same place.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.models import LoginThrottle
from frontdesk.timeutil import utcnow
from frontdesk.web import client_address_hash

_TABLE = LoginThrottle.__table__
# Counters whose window ended this long ago are deleted as logins come in.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window: timedelta

    @classmethod
    def from_config(cls) -> "LoginLimits":
        config = current_app.config
        return cls(
            per_account=int(config.get("LOGIN_FAILURES_PER_ACCOUNT", 5)),
            per_address=int(config.get("LOGIN_FAILURES_PER_ADDRESS", 20)),
            window=timedelta(minutes=int(config.get("LOGIN_WINDOW_MINUTES", 15))),
        )


def client_address_key() -> str:
    return "address:" + client_address_hash("login")[:40]


def account_key(username: str) -> str:
    # Usernames are matched exactly at login, but "Anna" and "anna" are the same
    # person guessing: count them together.
    return "account:" + username.strip().casefold()[:80]


def _locked_counter(key: str, now: datetime) -> LoginThrottle:
    """The counter row for key, created if new, locked until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
    for _ in range(3):
        db.session.execute(
            insert.values(key=key, window_started_at=now, failures=0).on_conflict_do_nothing(
                index_elements=["key"]
            )
        )
        counter = db.session.scalars(
            sa.select(LoginThrottle)
            .where(LoginThrottle.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if counter is not None:
            return counter
        # Another login deleted it as stale between our INSERT and SELECT: insert again.
    raise RuntimeError(f"login counter {key!r} could not be locked")


def _forget_stale(now: datetime, limits: LoginLimits, keep: tuple[str, ...]) -> None:
    """Delete other counters whose window ended long ago, never waiting for a locked one."""
    cutoff = now - limits.window - STALE_AFTER
    stale = sa.select(_TABLE.c.key).where(
        _TABLE.c.window_started_at < cutoff, _TABLE.c.key.not_in(keep)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    db.session.execute(sa.delete(_TABLE).where(_TABLE.c.key.in_(stale)))


def count_attempt(username: str, address_key: str, password_ok: bool) -> bool:
    """Count one login attempt whose password was already checked; False if it is refused.

    The caller checks the password first (slow on purpose) and only then takes the
    row locks, so a login holds them for a moment, not for the length of a hash.
    """
    limits = LoginLimits.from_config()
    now = utcnow()
    # Always the account before the address: one lock order, no deadlocks.
    account = _locked_counter(account_key(username), now)
    address = _locked_counter(address_key, now)
    for counter in (account, address):
        if now - counter.window_started_at >= limits.window:
            counter.failures = 0
            counter.window_started_at = now
    if account.failures >= limits.per_account or address.failures >= limits.per_address:
        return False
    if password_ok:
        account.failures = 0
    else:
        for counter in (account, address):
            if counter.failures == 0:
                counter.window_started_at = now
            counter.failures += 1
    _forget_stale(now, limits, keep=(account.key, address.key))
    return True
