"""Upgrading from 0007 to 0008_vocabulary_checks with data in place, and back, on SQLite and
PostgreSQL (a database of its own, so the shared test schema stays at head)."""

import importlib
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import IntegrityError

from frontdesk.catalog import import_catalog
from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Organisation, Queue, Referral, User
from frontdesk.timeutil import utcnow
from tests.conftest import POSTGRES_URL, TEST_CATALOG, make_app

BEFORE, AFTER = "0007", "0008_vocabulary_checks"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _migrate(step, revision: str | None = None) -> None:
    """Run a migration step with no transaction of the session open (on PostgreSQL its
    locks would make the ALTER TABLE wait for ever)."""
    db.session.remove()
    if revision:
        step(revision=revision)
    else:
        step()


def _referred_contact(office, case_type) -> int:
    """A referred level-5 call, written with Core: the model has columns later revisions add."""
    return db.session.execute(
        sa.insert(Contact.__table__).returning(Contact.__table__.c.id),
        {
            "office_id": office.id,
            "channel": "telefon",
            "case_type_id": case_type.id,
            "rosa_level": 5,
            "outcome": "eskalerat",
        },
    ).scalar_one()


def _revision() -> str:
    return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def _park_without_date(referral_id: int, handler_id: int) -> None:
    db.session.execute(
        sa.update(Referral)
        .where(Referral.id == referral_id)
        .values(status="vantar", claimed_by_id=handler_id, parked_until=None)
    )
    db.session.flush()


def _open_index_sql() -> str | None:
    return db.session.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE name = 'ix_referrals_open_due'")
    ).scalar()


def test_upgrade_from_0007_and_downgrade_keep_the_data(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        _migrate(upgrade, BEFORE)
        assert _revision() == BEFORE
        # A referral of each kind the new check speaks about, written before it exists.
        import_catalog(TEST_CATALOG)
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        queue = db.session.scalar(sa.select(Queue).where(Queue.code == "TEK-GATA"))
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        handler = User(username="erik", role="handlaggare", organisation=tek)
        db.session.add(handler)
        referrals = []
        for status, until in (("ny", None), ("vantar", date(2027, 1, 4))):
            contact_id = _referred_contact(office, park)
            referral = Referral(
                contact_id=contact_id,
                queue=queue,
                status=status,
                due_at=utcnow(),
                claimed_by=handler if status == "vantar" else None,
                parked_until=until,
            )
            db.session.add(referral)
            referrals.append(referral)
        db.session.commit()
        ids, handler_id = [r.id for r in referrals], handler.id

        _migrate(upgrade, AFTER)
        assert _revision() == AFTER
        assert [db.session.get(Referral, i).status for i in ids] == ["ny", "vantar"]
        with pytest.raises(IntegrityError):
            _park_without_date(ids[0], handler_id)
        db.session.rollback()
        if empty_url.startswith("sqlite"):
            assert "WHERE status IN ('ny', 'pagar', 'vantar')" in _open_index_sql()

        _migrate(downgrade, BEFORE)
        assert _revision() == BEFORE
        _park_without_date(ids[0], handler_id)  # the check went with the revision
        db.session.rollback()
        assert [db.session.get(Referral, i).status for i in ids] == ["ny", "vantar"]
        if empty_url.startswith("sqlite"):
            assert "WHERE status IN ('ny', 'pagar', 'vantar')" in _open_index_sql()

        _migrate(upgrade, AFTER)
        assert _revision() == AFTER
        db.session.remove()
        db.engine.dispose()


def test_0011_admin_gives_tokens_a_year_and_chefs_their_home_office(empty_url):
    """Tokens that exist get a year from the upgrade; a chef's home office becomes the first
    row of user_offices; down and up again keeps the users and the tokens."""
    app = make_app(empty_url)
    with app.app_context():
        _migrate(upgrade, "0009_hot_path")
        import_catalog(TEST_CATALOG)
        # Core statements: the models already know columns this revision does not have.
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, display_name, password_hash, role, office_id,"
                " active, email, notify_new_referrals, created_at)"
                " SELECT 'karin', 'Karin', '', 'chef', id, true, '', false, '2020-01-01'"
                " FROM offices WHERE code = 'K1'"
            )
        )
        db.session.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                " SELECT id, 'gammal', 'abc', '2020-01-01' FROM users WHERE username = 'karin'"
            )
        )
        db.session.commit()

        _migrate(upgrade, "0011_admin")
        expires_at = db.session.execute(sa.text("SELECT expires_at FROM api_tokens")).scalar_one()
        if isinstance(expires_at, str):  # SQLite hands back text
            expires_at = datetime.fromisoformat(expires_at)
        left = expires_at - utcnow().replace(tzinfo=None)
        assert timedelta(days=364) < left <= timedelta(days=365)
        rows = (
            db.session.execute(
                sa.text("SELECT o.code FROM user_offices uo JOIN offices o ON o.id = uo.office_id")
            )
            .scalars()
            .all()
        )
        assert rows == ["K1"]

        _migrate(downgrade, "0009_hot_path")
        assert db.session.execute(sa.text("SELECT name FROM api_tokens")).scalar_one() == "gammal"
        # The cache-version triggers survived (the column was dropped in place).
        before = db.session.execute(sa.text("SELECT tokens FROM cache_versions")).scalar_one()
        db.session.execute(sa.text("UPDATE api_tokens SET name = 'ny'"))
        db.session.commit()
        after = db.session.execute(sa.text("SELECT tokens FROM cache_versions")).scalar_one()
        assert after == before + 1
        _migrate(upgrade)
        db.session.remove()
        db.engine.dispose()


LEAD_TIMES = importlib.import_module("frontdesk.migrations.versions.0017_working_lead_times")


def _answer_buckets() -> list[int]:
    return sorted(
        db.session.execute(sa.text("SELECT answer_bucket FROM referral_month_stats")).scalars()
    )


def test_0017_recounts_lead_times_in_working_hours_and_back(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        _migrate(upgrade, LEAD_TIMES.down_revision)
        import_catalog(TEST_CATALOG)
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))  # 08-17
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        queue = db.session.scalar(sa.select(Queue).where(Queue.code == "TEK-GATA"))
        # Tuesday 2026-09-08 14:50 local (12:50 UTC), answered ten calendar hours later.
        created = datetime(2026, 9, 8, 12, 50)
        for answered in (created + timedelta(hours=10), None):
            contact_id = _referred_contact(office, park)
            db.session.execute(
                sa.insert(Referral.__table__),
                {
                    "contact_id": contact_id,
                    "queue_id": queue.id,
                    "status": "aterford" if answered else "ny",
                    "created_at": created,
                    "due_at": created + timedelta(days=3),
                    "answered_at": answered,
                },
            )
        db.session.commit()

        _migrate(upgrade, LEAD_TIMES.revision)
        assert _answer_buckets() == [-1, 120]  # 2 h 10 min of opening time, on the grid
        _migrate(downgrade, LEAD_TIMES.down_revision)
        assert _answer_buckets() == [-1, 600]  # ten calendar hours
        _migrate(upgrade)
        db.session.remove()
        db.engine.dispose()
