"""Commands: import-catalog, export-catalog, create-user, create-token, seed-demo."""

import json
from datetime import timedelta

import sqlalchemy as sa

from frontdesk.demo.seed import OPEN_MATTERS
from frontdesk.extensions import db
from frontdesk.models import ApiToken, CaseType, Contact, Mandate, MandateChange, Office, User
from tests.conftest import TEST_CATALOG
from tests.helpers import count, one


def write(tmp_path, data, name="catalog.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_catalog_creates_everything(app, runner, tmp_path):
    result = runner.invoke(args=["import-catalog", write(tmp_path, TEST_CATALOG)])
    assert result.exit_code == 0, result.output
    assert count(app, CaseType) == 3 and count(app, Office) == 2
    park = one(app, CaseType, CaseType.code == "PARK")
    assert (park.sla_hours, park.category) == (72, "Trafik")
    assert one(app, Mandate).max_level == 3
    assert one(app, MandateChange).reason == "Import av katalog"


def test_reimport_updates_by_code(app, runner, tmp_path):
    runner.invoke(args=["import-catalog", write(tmp_path, TEST_CATALOG)])
    changed = json.loads(json.dumps(TEST_CATALOG))
    changed["case_types"][0]["name"] = "Parkeringstillstånd för rörelsehindrade"
    changed["case_types"][0]["sla_hours"] = 96
    changed["mandates"][0]["max_level"] = 4
    result = runner.invoke(args=["import-catalog", write(tmp_path, changed, "v2.json")])
    assert result.exit_code == 0, result.output
    assert count(app, CaseType) == 3
    park = one(app, CaseType, CaseType.code == "PARK")
    assert (park.name, park.sla_hours) == ("Parkeringstillstånd för rörelsehindrade", 96)
    assert one(app, Mandate).max_level == 4
    assert count(app, MandateChange) == 2  # history kept


def test_import_with_errors_lists_each_with_its_place_and_changes_nothing(app, runner, tmp_path):
    bad = json.loads(json.dumps(TEST_CATALOG))
    bad["case_types"].append({"code": "X", "name": "", "organisation": "NOPE", "sla_hours": -4})
    bad["case_types"].append({"code": "PARK", "name": "Dubblett", "organisation": "TEK"})
    bad["mandates"].append({"office": "K1", "case_type": "EKB", "max_level": 11})
    bad["offices"].append({"code": ["K3"], "name": "Fel typ"})
    bad["offices"].append({"code": "K4", "name": "Tider", "opens": "8", "closes": "07:00"})
    bad["offices"].append({"code": "K5", "name": "Tider", "opens": "10:00", "closes": "09:00"})
    bad["colours"] = []
    result = runner.invoke(args=["import-catalog", write(tmp_path, bad)])
    assert result.exit_code != 0
    for place in (
        "case_types[3].name",
        "case_types[3].organisation",
        "case_types[3].sla_hours",
        "case_types[4].code",
        "mandates[1].max_level",
        "offices[2].code",
        "colours",
    ):
        assert place in result.output, place
    assert "ingenting ändrades" in result.output
    assert count(app, CaseType) == 0 and count(app, Office) == 0


def test_import_refuses_malformed_json(app, runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    result = runner.invoke(args=["import-catalog", str(path)])
    assert result.exit_code != 0 and "inte giltig JSON" in result.output
    path.write_text("[]")
    result = runner.invoke(args=["import-catalog", str(path)])
    assert result.exit_code != 0 and "JSON-objekt" in result.output


def test_export_then_import_changes_nothing(app, runner, tmp_path):
    runner.invoke(args=["import-catalog", write(tmp_path, TEST_CATALOG)])
    out = tmp_path / "export.json"
    assert runner.invoke(args=["export-catalog", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert {ct["code"] for ct in exported["case_types"]} == {"PARK", "EKB", "FKBARN"}
    assert exported["mandates"] == [{"office": "K1", "case_type": "PARK", "max_level": 3}]
    before = count(app, MandateChange)
    result = runner.invoke(args=["import-catalog", str(out)])
    assert result.exit_code == 0 and "ändrade mandat 0" in result.output
    assert count(app, MandateChange) == before
    again = tmp_path / "again.json"
    runner.invoke(args=["export-catalog", str(again)])
    assert json.loads(again.read_text(encoding="utf-8")) == exported


def test_create_user_and_token(app, runner, tmp_path, client):
    runner.invoke(args=["import-catalog", write(tmp_path, TEST_CATALOG)])
    result = runner.invoke(
        args=["create-user", "lisa", "--role", "vagledare", "--office", "K1", "--password-stdin"],
        input="hemligt-lösen\n",
    )
    assert result.exit_code == 0, result.output
    user = one(app, User, User.username == "lisa")
    assert user.role == "vagledare" and "hemligt" not in user.password_hash
    assert (
        client.post("/login", data={"username": "lisa", "password": "hemligt-lösen"}).status_code
        == 302
    )
    result = runner.invoke(args=["create-token", "lisa"])
    token = result.stdout.strip()  # the expiry goes to standard error
    assert result.exit_code == 0 and len(token) > 30
    assert token not in one(app, ApiToken).token_hash
    response = client.get("/api/v1/offices", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_create_user_refuses_bad_input(app, runner, tmp_path):
    runner.invoke(args=["import-catalog", write(tmp_path, TEST_CATALOG)])
    cases = [
        (["create-user", "x", "--role", "vagledare", "--password-stdin"], "--office"),
        (["create-user", "x", "--role", "handlaggare", "--password-stdin"], "--org"),
        (["create-user", "x", "--role", "vagledare", "--office", "K9", "--password-stdin"], "K9"),
        (["create-user", "x", "--role", "kung", "--password-stdin"], "--role"),
    ]
    for args, hint in cases:
        result = runner.invoke(args=args, input="langt-losenord\n")
        assert result.exit_code != 0 and hint in result.output, result.output
    for password, says in [
        ("kort-lösen", "minst 12 tecken"),
        ("qwerty123456", "vanligaste"),
        ("passwordpassword", "för lätt att gissa"),
        ("x-admin-x-admin", "användarnamn"),
    ]:
        result = runner.invoke(
            args=["create-user", "x-admin", "--role", "admin", "--password-stdin"],
            input=password + "\n",
        )
        assert result.exit_code != 0 and says in result.output, result.output
    assert count(app, User) == 0
    assert runner.invoke(args=["create-token", "okand"]).exit_code != 0


def test_seed_demo_is_idempotent_and_follows_the_staircase(app, runner):
    result = runner.invoke(args=["seed-demo", "--contacts", "20000"])
    assert result.exit_code == 0, result.output
    # The generated year, and this morning's referrals with citizens and their questions.
    assert count(app, Contact) == 20000 + len(OPEN_MATTERS)
    assert count(app, Contact, Contact.question != "") == len(OPEN_MATTERS)
    assert count(app, CaseType) >= 40 and count(app, Office) == 2
    with app.app_context():
        orgs = db.session.scalar(sa.text("SELECT COUNT(*) FROM organisations"))
        assert 8 <= orgs <= 10
        roles = set(db.session.scalars(sa.select(User.role)))
        assert roles == {"vagledare", "handlaggare", "chef", "admin"}
        shares = dict(
            db.session.execute(
                sa.select(Contact.rosa_level, sa.func.count()).group_by(Contact.rosa_level)
            ).all()
        )
        total = sum(shares.values())
        cumulative = lambda top: sum(shares.get(level, 0) for level in range(1, top + 1)) / total  # noqa: E731
        assert abs(cumulative(1) - 0.25) < 0.04
        assert abs(cumulative(2) - 0.65) < 0.04
        assert abs(cumulative(4) - 0.75) < 0.04
        # Escalated contacts have referrals, others none; all within the last 12 months.
        escalated = db.session.scalar(
            sa.select(sa.func.count()).select_from(Contact).where(Contact.outcome == "eskalerat")
        )
        referrals = db.session.scalar(sa.text("SELECT COUNT(*) FROM referrals"))
        assert escalated == referrals > len(OPEN_MATTERS)
        oldest = db.session.scalar(sa.select(sa.func.min(Contact.occurred_at)))
        newest = db.session.scalar(sa.select(sa.func.max(Contact.occurred_at)))
        assert newest - oldest > timedelta(days=300)
    result = runner.invoke(args=["seed-demo", "--contacts", "20000"])
    assert result.exit_code == 0
    assert count(app, Contact) == 20000 + len(OPEN_MATTERS)
    assert count(app, User) == 10


def test_demo_users_can_log_in_and_log_contacts_after_seeding(app, runner, client):
    runner.invoke(args=["seed-demo", "--contacts", "500"])
    assert (
        client.post("/login", data={"username": "anna", "password": "anna123"}).status_code == 302
    )
    response = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "BYGGLOV", "rosa_level": "5", "question": "Plank?"},
    )
    assert response.status_code == 303
    # New ids continue after the bulk-loaded ones (PostgreSQL's sequence was moved on).
    assert count(app, Contact) == 500 + len(OPEN_MATTERS) + 1


def test_office_opening_hours_import_and_export(app, runner, tmp_path):
    catalog = json.loads(json.dumps(TEST_CATALOG))
    catalog["offices"][0].update(opens="09:30", closes="16:00")
    assert runner.invoke(args=["import-catalog", write(tmp_path, catalog)]).exit_code == 0
    office = one(app, Office, Office.code == "K1")
    assert (office.opens.isoformat(), office.closes.isoformat()) == ("09:30:00", "16:00:00")
    assert one(app, Office, Office.code == "K2").opens.isoformat() == "08:00:00"
    out = tmp_path / "export.json"
    runner.invoke(args=["export-catalog", str(out)])
    offices = json.loads(out.read_text(encoding="utf-8"))["offices"]
    assert offices[0] == {
        "code": "K1",
        "name": "Medborgarkontoret Centrum",
        "opens": "09:30",
        "closes": "16:00",
    }


def test_revoke_tokens(app, runner, client, world):
    headers = {"Authorization": f"Bearer {world.tokens['anna']}"}
    assert client.get("/api/v1/offices", headers=headers).status_code == 200
    result = runner.invoke(args=["revoke-tokens", "anna"])
    assert result.exit_code == 0 and "Återkallade 1" in result.output
    assert client.get("/api/v1/offices", headers=headers).status_code == 401
    other = {"Authorization": f"Bearer {world.tokens['omar']}"}
    assert client.get("/api/v1/offices", headers=other).status_code == 200
    assert runner.invoke(args=["revoke-tokens", "okand"]).exit_code != 0
