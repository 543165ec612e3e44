"""Configuration from the environment.

DATABASE_URL selects the database (PostgreSQL in production); without it the
app uses a SQLite file in the instance folder. SECRET_KEY comes from the
environment; only the embedded SQLite set-up (the local demo) may fall back to
a key generated once and kept in the instance folder.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'frontdesk.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str, url: str) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if not url.startswith("sqlite"):
        raise RuntimeError("SECRET_KEY must be set when DATABASE_URL points at a server database")
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bounded_int(name: str, default: str, low: int, high: int) -> int:
    """A whole-number setting, refused at start-up (not on the first request) when out of range."""
    raw = os.environ.get(name, default)
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise RuntimeError(f"{name} must be a whole number {low}-{high}, got {raw!r}")
    return int(raw)


def from_environment(instance_path: str) -> dict:
    url = database_url(instance_path)
    lifetime_hours = _bounded_int("SESSION_LIFETIME_HOURS", "12", 1, 24)
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": secret_key(instance_path, url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        # The cookie lives as long as the server-side record may (frontdesk/auth/sessions.py).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=lifetime_hours),
        # The counter page stays open all day: tie CSRF tokens to the session, not to the clock.
        "WTF_CSRF_TIME_LIMIT": None,
        # A server database can drop idle connections; a SQLite file cannot.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not url.startswith("sqlite")},
        "SQLITE_SYNCHRONOUS": os.environ.get("SQLITE_SYNCHRONOUS", "FULL"),
        "ROSA_CEILING": _bounded_int("ROSA_CEILING", "4", 1, 8),
        # E-mail intake (flask fetch-mail) and the public web form.
        "MAIL_IMAP_HOST": os.environ.get("MAIL_IMAP_HOST", ""),
        "MAIL_IMAP_PORT": int(os.environ["MAIL_IMAP_PORT"])
        if os.environ.get("MAIL_IMAP_PORT")
        else None,
        "MAIL_IMAP_USER": os.environ.get("MAIL_IMAP_USER", ""),
        "MAIL_IMAP_PASSWORD": os.environ.get("MAIL_IMAP_PASSWORD", ""),
        "MAIL_IMAP_MAILBOX": os.environ.get("MAIL_IMAP_MAILBOX", "INBOX"),
        "MAIL_IMAP_SECURITY": os.environ.get("MAIL_IMAP_SECURITY", "ssl"),
        "MAIL_OFFICE": os.environ.get("MAIL_OFFICE", ""),
        "MAIL_ATTACHMENTS_DIR": os.environ.get("MAIL_ATTACHMENTS_DIR", ""),
        "PUBLIC_FORM_OFFICE": os.environ.get("PUBLIC_FORM_OFFICE", ""),
        # Outgoing mail (frontdesk/mail): the server, the sender, a CA for a private
        # certificate authority, and the app's address for links in staff notifications.
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        "APP_URL": os.environ.get("APP_URL", ""),
        # deliver-mail: how often the service looks for due mail, and how long a claim
        # may last before the mail counts as uncertain (longer than a slow server's answer).
        "MAIL_POLL_SECONDS": _bounded_int("MAIL_POLL_SECONDS", "10", 1, 3600),
        "MAIL_SENDING_LEASE_SECONDS": _bounded_int("MAIL_SENDING_LEASE_SECONDS", "600", 300, 86400),
        "PROXY_FIX_X_FOR": _bounded_int("PROXY_FIX_X_FOR", "0", 0, 5),
        "WEB_FORM_LIMIT_PER_HOUR": _bounded_int("WEB_FORM_LIMIT_PER_HOUR", "5", 1, 1000),
        "ROSA_PERIOD_MONTHS": _bounded_int("ROSA_PERIOD_MONTHS", "12", 1, 120),
        # Login throttle (frontdesk/auth/throttle.py) and idle sessions (frontdesk/auth/access.py).
        "LOGIN_FAILURES_PER_ACCOUNT": _bounded_int("LOGIN_FAILURES_PER_ACCOUNT", "5", 1, 100),
        "LOGIN_FAILURES_PER_ADDRESS": _bounded_int("LOGIN_FAILURES_PER_ADDRESS", "20", 1, 10000),
        "LOGIN_WINDOW_MINUTES": _bounded_int("LOGIN_WINDOW_MINUTES", "15", 1, 1440),
        "SESSION_IDLE_MINUTES": _bounded_int("SESSION_IDLE_MINUTES", "60", 1, 720),
        "SESSION_LIFETIME_HOURS": lifetime_hours,
        # Single sign-on with the municipality's identity provider (frontdesk/auth/oidc.py),
        # checked at start-up there; LOCAL_LOGIN=0 switches the password form off.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").strip(),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_USERNAME_CLAIM": os.environ.get("OIDC_USERNAME_CLAIM", "").strip()
        or "preferred_username",
        "LOCAL_LOGIN": _bounded_int("LOCAL_LOGIN", "1", 0, 1) == 1,
    }
