"""Small helpers shared by the tests."""

import threading
from contextlib import contextmanager

import sqlalchemy as sa
from werkzeug.serving import make_server

from frontdesk.extensions import db


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
