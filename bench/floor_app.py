"""The floor of the load benchmark: the least a Flask app can do to log a contact.

One endpoint, `POST /api/v1/contacts`, takes the JSON body bench/post_contact.lua
sends, does one INSERT into the app's own `contacts` table (same database, same
indexes, same million rows) and answers 201 with the new id. No token check, no
validation, no routing, no tallies, no audit event: whatever the app does beyond
this is the app's overhead, and bench/load_bench.py reports it as a ratio.

The engine is set up as the app sets up its own (frontdesk/config.py and
frontdesk/database.py): on SQLite the same pragmas (WAL, synchronous FULL unless
SQLITE_SYNCHRONOUS says otherwise, busy timeout, cache size) and the same write
gate; on PostgreSQL psycopg with pool_pre_ping. One transaction per request.

    DATABASE_URL=... gunicorn --config gunicorn.conf.py "bench.floor_app:create_app()"
"""

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request

from frontdesk.config import database_url
from frontdesk.database import SQLiteWriteGate, _sqlite_pragmas
from frontdesk.models import CaseType, Contact, Office

CONTACTS = Contact.__table__


def _engine(url: str) -> sa.engine.Engine:
    sqlite = url.startswith("sqlite")
    engine = sa.create_engine(url, pool_pre_ping=not sqlite)
    if sqlite:
        synchronous = os.environ.get("SQLITE_SYNCHRONOUS", "FULL").upper()
        sa.event.listen(engine, "connect", _sqlite_pragmas(synchronous))
        SQLiteWriteGate(engine.url.database).install(engine)
    return engine


def create_app() -> Flask:
    app = Flask(__name__)
    engine = _engine(database_url(app.instance_path))
    # Codes to ids once at start, so that a request does its one INSERT and nothing else.
    with engine.connect() as connection:
        office_ids = dict(connection.execute(sa.select(Office.code, Office.id)).all())
        case_type_ids = dict(connection.execute(sa.select(CaseType.code, CaseType.id)).all())
    insert = sa.insert(CONTACTS).returning(CONTACTS.c.id)

    @app.get("/")
    def ready():
        return "ok"

    @app.post("/api/v1/contacts")
    def create_contact():
        body = request.get_json(force=True)
        now = datetime.now(UTC)
        values = {
            "occurred_at": now,
            "office_id": office_ids[body["office"]],
            "channel": body["channel"],
            "case_type_id": case_type_ids[body["case_type"]],
            "rosa_level": body["rosa_level"],
            "outcome": "informerat",
            "duration_seconds": body.get("duration_seconds"),
            "staff_id": None,
            "note": body.get("note", ""),
            "is_repeat": bool(body.get("repeat", False)),
            "created_at": now,
        }
        with engine.begin() as connection:
            contact_id = connection.execute(insert, values).scalar_one()
        return jsonify(id=contact_id), 201

    return app
