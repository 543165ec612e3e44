"""The database itself refuses impossible data, and the migrations match the models."""

from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from frontdesk.extensions import db
from frontdesk.models import CaseType, Office, Organisation, Referral, User
from frontdesk.models.referral import ReferralStatus
from frontdesk.roles import Role


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


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_accepted_and_nothing_else(app, world, role):
    with app.app_context():
        office = db.session.scalars(sa.select(Office)).first()
        org = db.session.scalars(sa.select(Organisation)).first()
        db.session.add(User(username="ny", role=role, office=office, organisation=org))
        db.session.flush()  # every member of the enum passes the CHECK
        with pytest.raises(IntegrityError):
            db.session.execute(sa.update(User).where(User.username == "ny").values(role="Admin"))


def _referral_id(api) -> int:
    contact = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
    return api.post("/contacts", json=contact).get_json()["referral"]["id"]


# Each status with the columns its other CHECKs ask for.
STATUS_ROWS = {
    ReferralStatus.NY: {},
    ReferralStatus.PAGAR: {"claimed": True},
    ReferralStatus.VANTAR: {"claimed": True, "parked_until": date(2027, 1, 4)},
    ReferralStatus.ATERFORD: {"claimed": True},
    ReferralStatus.AVSLUTAD: {},
}


@pytest.mark.parametrize("status", list(ReferralStatus))
def test_every_referral_status_is_accepted(app, api, world, status):
    referral_id = _referral_id(api)
    row = STATUS_ROWS[status]
    with app.app_context():
        db.session.execute(
            sa.update(Referral)
            .where(Referral.id == referral_id)
            .values(
                status=status,
                claimed_by_id=world.users["erik"] if row.get("claimed") else None,
                parked_until=row.get("parked_until"),
            )
        )
        db.session.commit()
        assert db.session.get(Referral, referral_id).status == status


@pytest.mark.parametrize(
    "values",
    [
        {"status": "stangd"},  # no such status
        {"status": "NY"},  # the value, not the member's name
        {"status": "vantar", "claimed": True},  # parked without a date
        {"status": "pagar"},  # claimed without a handler
        {"status": "ny", "claimed": True},  # in the queue with a handler
    ],
)
def test_database_refuses_impossible_referrals(app, api, world, values):
    referral_id = _referral_id(api)
    with app.app_context():
        handler = world.users["erik"] if values.get("claimed") else None
        with pytest.raises(IntegrityError):
            db.session.execute(
                sa.update(Referral)
                .where(Referral.id == referral_id)
                .values(status=values["status"], claimed_by_id=handler)
            )
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Referral, referral_id).status == ReferralStatus.NY
