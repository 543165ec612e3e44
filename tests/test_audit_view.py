"""The admin's audit view: who did what, filterable by person, kind and date."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.admin.audit_log import KINDS, PAGE_SIZE
from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import AuditEvent
from frontdesk.timeutil import local_today, utcnow
from tests.conftest import PASSWORD


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin")
    return client


def _activity(app, client, world):
    """A refusal, a failed login, an export, a user change, a backup and a contact."""
    guide = app.test_client()
    guide.post("/login", data={"username": "anna", "password": "fel"})
    guide.post("/login", data={"username": "anna", "password": PASSWORD})
    guide.get("/oversikt/")  # 403
    client.get("/oversikt/export/kontakter.csv")
    client.post(f"/admin/anvandare/{world.users['omar']}/logga-ut")
    with app.app_context():
        record("backup.created", "database", None, None, path="/srv/backup.sqlite3", bytes=10)
        db.session.commit()


def test_the_log_lists_every_kind_newest_first(app, admin, world):
    _activity(app, admin, world)
    page = admin.get("/admin/logg")
    assert page.status_code == 200
    text = page.text
    for action in ("access.refused", "auth.login_failed", "export.downloaded", "backup.created"):
        assert action in text, action
    assert text.index("backup.created") < text.index("auth.login_failed")  # newest first
    assert "/srv/backup.sqlite3" in text  # the details, readable


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("nekade", "access.refused", "export.downloaded"),
        ("exporter", "export.downloaded", "access.refused"),
        ("inloggningar", "auth.login_failed", "backup.created"),
        ("sakerhetskopior", "backup.created", "auth.login"),
    ],
)
def test_filter_by_kind(app, admin, world, kind, shown, hidden):
    _activity(app, admin, world)
    text = admin.get(f"/admin/logg?kind={kind}").text
    rows = text.split("<tbody>")[1]
    assert shown in rows and f"<code>{hidden}</code>" not in rows


def test_filter_by_person_and_date(app, admin, world):
    _activity(app, admin, world)
    rows = admin.get("/admin/logg?person=anna").text.split("<tbody>")[1]
    assert "access.refused" in rows and "export.downloaded" not in rows
    today = local_today().isoformat()
    assert "access.refused" in admin.get(f"/admin/logg?from={today}&to={today}").text
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    assert "Inga händelser" in admin.get(f"/admin/logg?to={yesterday}").text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("person=finns-inte", "Det finns ingen användare"),
        ("kind=allt", "Okänd sorts händelse"),
        ("from=igår", "ÅÅÅÅ-MM-DD"),
        ("from=1999-12-31", "från 2000"),
        ("from=2026-02-01&to=2026-01-01", "före startdatumet"),
        ("before=abc", "Ogiltig sida"),
        ("before=" + "9" * 40, "Ogiltig sida"),
    ],
)
def test_bad_filters_get_a_swedish_message(admin, query, field):
    response = admin.get(f"/admin/logg?{query}")
    assert response.status_code == 422
    assert field in response.text


def test_the_log_pages_through_older_events(app, admin, world):
    with app.app_context():
        for n in range(PAGE_SIZE + 5):
            record("catalog.imported", "catalog", None, None, number=n)
        db.session.commit()
    first = admin.get("/admin/logg?kind=katalog").text
    assert first.count("catalog.imported") == PAGE_SIZE
    older = first.split('href="')[-1].split('"')[0]
    assert "before=" in older
    second = admin.get(older.replace("&amp;", "&")).text
    with app.app_context():
        total = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "catalog.imported")
        )
    assert total > PAGE_SIZE
    assert second.count("catalog.imported") == total - PAGE_SIZE


def test_only_the_admin_reads_the_log(app, client, auth, world):
    auth.login("karin")
    assert client.get("/admin/logg").status_code == 403


def test_every_kind_names_events_the_app_records():
    """A kind whose names nothing records would always be empty."""
    import pathlib
    import re

    source = "".join(p.read_text() for p in pathlib.Path("frontdesk").rglob("*.py"))
    recorded = set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', source))
    for key, kind in KINDS.items():
        names = set(kind.actions) | {
            name for name in recorded for prefix in kind.prefixes if name.startswith(prefix)
        }
        assert names and set(kind.actions) <= recorded, key


def test_old_events_stay_in_the_log_view_by_date(app, admin, world):
    with app.app_context():
        db.session.execute(
            sa.insert(AuditEvent),
            {
                "at": utcnow() - timedelta(days=400),
                "action": "backup.created",
                "entity": "database",
                "data": {"path": "gammal"},
            },
        )
        db.session.commit()
    old_day = (local_today() - timedelta(days=400)).isoformat()
    assert "gammal" in admin.get(f"/admin/logg?from={old_day}&to={old_day}").text
