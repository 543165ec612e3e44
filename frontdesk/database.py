"""Database set-up: SQLite pragmas and the one-commit-per-request rule."""

import sqlite3

import sqlalchemy as sa
from flask import Flask

from frontdesk.extensions import db


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL for concurrent readers, enforced foreign keys, and waiting instead of failing on locks."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # FULL: a commit the user saw acknowledged survives a power cut, not only a crash.
    cursor.execute("PRAGMA synchronous=FULL")
    # 32 MB of page cache per connection: the contact indexes' hot pages stay in memory.
    cursor.execute("PRAGMA cache_size=-32000")
    cursor.close()


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response):
        """One commit per request, at the edge: kept only when the request succeeded."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
