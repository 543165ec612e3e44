"""Database set-up: SQLite pragmas, the SQLite write gate, and one commit per request."""

import fcntl
import os

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db

SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_connection, _record):
        """WAL for concurrent readers, enforced foreign keys, and waiting instead of failing."""
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # FULL (the default): a commit the user saw acknowledged survives a power cut.
        # NORMAL survives a crash of the app but may lose the last commits on power loss.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        # 32 MB of page cache per connection: the contact indexes' hot pages stay in memory.
        cursor.execute("PRAGMA cache_size=-32000")
        cursor.close()

    return on_connect


class SQLiteWriteGate:
    """One SQLite write transaction at a time across processes, handed over without polling.

    SQLite's busy handler sleeps 1, 2, 5, 10 ... ms between tries, so with several
    gunicorn workers writing, most waiting is oversleeping. An exclusive flock on a
    file beside the database, taken at a transaction's first INSERT/UPDATE/DELETE
    and released at its commit or rollback, wakes the next writer at once.
    """

    def __init__(self, database_path: str):
        self.path = f"{database_path}-writegate"

    def _fd(self, connection) -> int:
        info = connection.connection.info  # lives as long as the DBAPI connection
        if "write_gate_fd" not in info:
            info["write_gate_fd"] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return info["write_gate_fd"]

    def before_write(self, connection, cursor, statement, parameters, context, executemany):
        if context is None or not (context.isinsert or context.isupdate or context.isdelete):
            return
        if connection.info.get("write_gate_held"):
            return
        fcntl.flock(self._fd(connection), fcntl.LOCK_EX)
        connection.info["write_gate_held"] = True

    def release(self, connection):
        if connection.info.pop("write_gate_held", False):
            fcntl.flock(self._fd(connection), fcntl.LOCK_UN)

    def install(self, engine: sa.engine.Engine) -> None:
        sa.event.listen(engine, "before_cursor_execute", self.before_write)
        sa.event.listen(engine, "commit", self.release)
        sa.event.listen(engine, "rollback", self.release)


def _configure_sqlite(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    synchronous = app.config.get("SQLITE_SYNCHRONOUS", "FULL").upper()
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be one of {SQLITE_SYNCHRONOUS}")
    sa.event.listen(engine, "connect", _sqlite_pragmas(synchronous))
    if engine.url.database and engine.url.database != ":memory:":
        SQLiteWriteGate(engine.url.database).install(engine)


def init_app(app: Flask) -> None:
    from frontdesk import cache

    _configure_sqlite(app)
    cache.init_app(app)

    @app.after_request
    def commit_or_roll_back(response):
        """One commit per request, at the edge: kept only when the request succeeded."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def insert_unless_taken(table: sa.Table, values: dict, unique: list[str], where=None) -> int | None:
    """INSERT a row unless one with the same `unique` columns exists; its id, or None.

    `where` is the condition of a partial unique index on those columns.

    The database decides between two simultaneous writers without a SAVEPOINT: with
    pysqlite's default transaction handling a SAVEPOINT can open (and its RELEASE
    commit) a transaction of its own, which would split the request's transaction.
    """
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(**values)
    statement = insert.on_conflict_do_nothing(index_elements=unique, index_where=where)
    statement = statement.returning(table.c.id)
    return db.session.execute(statement).scalar()


def lock_for_the_transaction(key: str) -> None:
    """Make transactions naming the same key wait for each other until they end.

    On PostgreSQL a transaction-scoped advisory lock: a count followed by an insert
    (a rate limit) is then exact across every process. SQLite needs none: its
    writers are serialised already (the write gate), and a limit re-counts after
    its insert.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
