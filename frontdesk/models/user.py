"""Staff accounts and their API tokens."""

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from frontdesk.extensions import db
from frontdesk.models._sql import in_list
from frontdesk.models.catalog import Office, Organisation
from frontdesk.roles import Role
from frontdesk.timeutil import UTCDateTime, utcnow

# The offices a chef manages (their mandates, proposals and decisions), besides the home
# office in users.office_id, which a chef always manages. Admins manage every office.
user_offices = sa.Table(
    "user_offices",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("office_id", sa.ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A staff member. A vägledare belongs to an office, a handläggare to an organisation."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(in_list("role", Role), name="role_known"),
        sa.CheckConstraint(
            f"role <> '{Role.VAGLEDARE}' OR office_id IS NOT NULL", name="guide_office"
        ),
        sa.CheckConstraint(
            f"role <> '{Role.HANDLAGGARE}' OR organisation_id IS NOT NULL",
            name="handler_organisation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256), default="")
    role: Mapped[str] = mapped_column(sa.String(12))
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # For notifications through the outbox (new referrals, overdue digests).
    email: Mapped[str] = mapped_column(sa.String(320), default="", server_default="")
    notify_new_referrals: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    # A chef's offices (the home office among them when set through the admin or the CLI).
    managed_offices: Mapped[list[Office]] = relationship(
        secondary=user_offices, order_by=Office.code
    )

    def set_password(self, password: str) -> None:
        # Tests set a cheap method; production keeps Werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def upgrade_password_hash(self, password: str) -> None:
        """After a successful login: rehash a password stored with an older method or cost."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        if not _hashed_with(self.password_hash, method):
            self.set_password(password)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def _hashed_with(password_hash: str, method: str) -> bool:
    """Does a Werkzeug hash ("scrypt:32768:8:1$salt$hash") use this method and cost?

    A bare method name means Werkzeug's current default cost for it.
    """
    stored = password_hash.split("$", 1)[0]
    if ":" not in method:
        defaults = {"scrypt": "scrypt:32768:8:1", "pbkdf2": "pbkdf2:sha256:1000000"}
        method = defaults.get(method, method)
    return stored == method


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256: they are long random strings, so no salt or stretching."""
    return hashlib.sha256(token.encode()).hexdigest()


# How long a new API token lasts unless its creator says otherwise, and the longest allowed.
TOKEN_DAYS_DEFAULT = 365
TOKEN_DAYS_MAX = 3650


def token_expiry(days: int = TOKEN_DAYS_DEFAULT) -> datetime:
    return utcnow() + timedelta(days=days)


def _default_expiry() -> datetime:
    # No parameters: SQLAlchemy passes an execution context to a default that takes one.
    return token_expiry()


class ApiToken(db.Model):
    """A bearer token for the JSON API; it acts as its user, with that user's role.

    `name` is its label (what it is for). It is refused from `expires_at` on; a token
    without an expiry (only a row written by hand) is refused too.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Nullable only because SQLite cannot add a NOT NULL column to a filled table in place
    # (migration 0011); the app always sets it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_default_expiry)

    user: Mapped[User] = relationship()

    def state(self, now: datetime) -> str:
        """ "aktiv", "utgangen" or "aterkallad" (the admin's list of a user's tokens)."""
        if self.revoked_at is not None:
            return "aterkallad"
        if self.expires_at is None or self.expires_at <= now:
            return "utgangen"
        return "aktiv"


class LoginThrottle(db.Model):
    """Failed logins in the current window, per account and per client address.

    One row per key (``account:<username>`` or ``address:<salted hash>``). Every
    app process reads and counts through the same row under a row lock, so the
    limit holds however many processes or hosts serve the logins.
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)


class UserSession(db.Model):
    """A browser's login. The cookie holds only its secret; the server decides each request
    whether it still holds (not ended, not older than the lifetime, not idle too long), so
    logging out, a password change, deactivation and *logga ut överallt* end it at once in
    every process (frontdesk/auth/sessions.py)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A person's last request (background refreshes do not count), written at most
    # every SEEN_RESOLUTION_SECONDS.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")


class PasswordReset(db.Model):
    """A one-time link to set a password, issued by an admin; only its hash is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
