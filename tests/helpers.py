"""Small helpers shared by the tests."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.serving import make_server

from frontdesk.extensions import db
from frontdesk.models import User, UserSession
from frontdesk.timeutil import utcnow


def count(app, model, *where) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return db.session.scalar(query)


def one(app, model, *where):
    with app.app_context():
        query = sa.select(model)
        for condition in where:
            query = query.where(condition)
        obj = db.session.scalars(query).one()
        db.session.expunge(obj)
        return obj


@contextmanager
def serving(app):
    """The app on a threaded HTTP server on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def move_sessions(app, username: str, *, idle_minutes=None, age_hours=None) -> None:
    """Move a user's open server-side sessions back in time, as if the person had been
    away idle_minutes (since the last request) or logged in age_hours ago."""
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        values = {}
        if idle_minutes is not None:
            values["last_seen_at"] = utcnow() - timedelta(minutes=idle_minutes)
        if age_hours is not None:
            values["created_at"] = utcnow() - timedelta(hours=age_hours)
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(**values)
        )
        db.session.commit()


def last_seen(app, username: str):
    """When the user's open session last saw the person (the newest open one)."""
    with app.app_context():
        return db.session.scalar(
            sa.select(UserSession.last_seen_at)
            .join(User, User.id == UserSession.user_id)
            .where(User.username == username, UserSession.ended_at.is_(None))
            .order_by(UserSession.id.desc())
        )
