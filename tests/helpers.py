"""Small helpers shared by the tests."""

import sqlalchemy as sa

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
