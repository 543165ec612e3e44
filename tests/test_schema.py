"""The database itself refuses impossible data, and the migrations match the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from frontdesk.extensions import db
from frontdesk.models import CaseType, Office, Organisation, User


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, db.metadata) == []


def _contact_sql(**overrides):
    values = {
        "occurred_at": "'2026-01-05 10:00:00'",
        "office_id": "(SELECT id FROM offices LIMIT 1)",
        "channel": "'besok'",
        "case_type_id": "(SELECT id FROM case_types LIMIT 1)",
        "rosa_level": "2",
        "outcome": "'informerat'",
        "note": "''",
        "is_repeat": "false",
        "created_at": "'2026-01-05 10:00:00'",
    }
    values.update(overrides)
    return f"INSERT INTO contacts ({', '.join(values)}) VALUES ({', '.join(values.values())})"


@pytest.mark.parametrize(
    "overrides",
    [
        {"rosa_level": "9"},
        {"rosa_level": "0"},
        {"channel": "'fax'"},
        {"outcome": "'glömt'"},
        {"duration_seconds": "-5"},
        {"office_id": "999999"},
    ],
)
def test_database_refuses_impossible_contacts(app, world, overrides):
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text(_contact_sql(**overrides)))
            db.session.flush()
        db.session.rollback()
        db.session.execute(sa.text(_contact_sql()))  # the same row, valid, goes in
        db.session.rollback()


def test_codes_are_unique(app, world):
    with app.app_context():
        db.session.add(Office(code="K1", name="Dubblett"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        org = db.session.scalars(sa.select(Organisation)).first()
        db.session.add(CaseType(code="PARK", name="Dubblett", organisation=org))
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_roles_are_checked(app, world):
    with app.app_context():
        db.session.add(User(username="x", role="kung"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(User(username="y", role="vagledare"))  # a guide needs an office
        with pytest.raises(IntegrityError):
            db.session.flush()
