"""flask backup: a copy that restores to the same rows, taken while the app writes.

The restore is the one the README documents: on SQLite the backup file is the
database; on PostgreSQL `pg_restore` into a new, empty database. Every table is
compared by its row count and a SHA-256 over its rows in primary-key order.
"""

import hashlib
import json
import shutil
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.backup import find_pg_program
from frontdesk.extensions import db
from tests.conftest import make_app
from tests.helpers import serving

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


def _post(api, path, body, as_user):
    response = api.post(path, json=body, as_user=as_user)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def fill(api) -> None:
    """Contacts answered and referred, a referral claimed and answered, a mandate changed."""
    referral_ids = []
    for number in range(12):
        level = 5 if number % 3 == 0 else 2
        body = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": level,
                "note": f"Fråga {number} om p-tillstånd, åäö"}  # fmt: skip
        logged = _post(api, "/contacts", body, "anna")
        if logged["referral"]:
            referral_ids.append(logged["referral"]["id"])
    _post(api, f"/referrals/{referral_ids[0]}/claim", {}, "erik")
    _post(
        api,
        f"/referrals/{referral_ids[0]}/answer",
        {"answer": "Ansökan är beviljad.", "callback": True},
        "erik",
    )
    response = api.put(
        "/mandates/K1/EKB", json={"max_level": 3, "reason": "Avtal 2026"}, as_user="karin"
    )
    assert response.status_code == 200, response.get_json()


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table: (rows, SHA-256 over the rows in primary-key order)."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {}
        with engine.connect() as connection:
            for table in sorted(inspector.get_table_names()):
                columns = [c["name"] for c in inspector.get_columns(table)]
                order = inspector.get_pk_constraint(table)["constrained_columns"] or columns
                quoted = ", ".join(f'"{c}"' for c in order)
                rows = connection.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY {quoted}')
                digest = hashlib.sha256()
                count = 0
                for row in rows:
                    digest.update(repr(tuple(row)).encode())
                    count += 1
                tables[table] = (count, digest.hexdigest())
        return tables
    finally:
        engine.dispose()


def restore(backup: Path, database_url: str, tmp_path: Path):
    """Restore as the README says; yields the restored database's URL (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        restored = tmp_path / "restored.sqlite3"
        shutil.copy(backup, restored)
        yield f"sqlite:///{restored}"
        return
    base = sa.make_url(database_url)
    name = f"{base.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        major = int(connection.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        target = base.set(database=name)
        conninfo = target.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run(
            [find_pg_program("pg_restore", major), "--no-owner", "--exit-on-error",
             f"--dbname={conninfo}", str(backup)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def backup_events(database_url: str) -> list[dict]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT data FROM audit_events WHERE action = 'backup.created'"
            ).scalars()
            return [row if isinstance(row, dict) else json.loads(row) for row in rows]
    finally:
        engine.dispose()


def test_backup_restores_to_the_same_rows(app, api, runner, database_url, tmp_path):
    fill(api)
    before = snapshot(database_url)
    assert before["contacts"][0] == 12 and before["referrals"][0] == 4
    assert before["audit_events"][0] > 12

    dest = tmp_path / "backups" / "frontdesk.backup"
    dest.parent.mkdir()
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "Säkerhetskopia sparad" in result.output
    sqlite = database_url.startswith("sqlite")
    assert dest.read_bytes().startswith(SQLITE_MAGIC if sqlite else PG_CUSTOM_MAGIC)
    # Citizens' matters: readable by the owner only, and nothing else left in the folder.
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]
    assert backup_events(database_url) == [
        {
            "path": str(dest),
            "bytes": dest.stat().st_size,
            "method": "sqlite" if sqlite else "pg_dump",
        }
    ]

    restorer = restore(dest, database_url, tmp_path)
    restored_url = next(restorer)
    try:
        assert snapshot(restored_url) == before
        # The restored database serves: a new contact gets an id after the restored ones.
        restored_app = make_app(restored_url)
        answer = restored_app.test_client().post(
            "/api/v1/contacts",
            json={"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 5},
            headers={"Authorization": "Bearer token-anna"},
        )
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["id"] > before["contacts"][0]
        with restored_app.app_context():
            db.engine.dispose()
    finally:
        restorer.close()


def test_backup_refuses_to_overwrite_unless_forced(app, world, runner, database_url, tmp_path):
    dest = tmp_path / "frontdesk.backup"
    dest.write_bytes(b"last night's backup")

    refused = runner.invoke(args=["backup", str(dest)])
    assert refused.exit_code != 0
    assert "finns redan" in refused.output and "--force" in refused.output
    assert dest.read_bytes() == b"last night's backup"
    assert backup_events(database_url) == []

    forced = runner.invoke(args=["backup", "--force", str(dest)])
    assert forced.exit_code == 0, forced.output
    magic = SQLITE_MAGIC if database_url.startswith("sqlite") else PG_CUSTOM_MAGIC
    assert dest.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == [dest.name]


def test_backup_to_a_missing_folder_is_a_clear_error(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "saknas" / "frontdesk.backup")])
    assert result.exit_code != 0
    assert f"Mappen {tmp_path / 'saknas'} finns inte." in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_dump is PostgreSQL's")


def test_a_failing_pg_dump_leaves_no_file(app, world, runner, postgres_only, tmp_path):
    # A pg_dump that writes half an archive and dies, as one would when the disk fills.
    failing = tmp_path / "pg_dump"
    failing.write_text(
        "#!/bin/sh\n"
        'for arg; do case "$arg" in --file=*) printf PGDMP-half > "${arg#--file=}";; esac; done\n'
        'echo "pg_dump: error: could not write to output file: No space left on device" >&2\n'
        "exit 1\n"
    )
    failing.chmod(0o755)
    dest = tmp_path / "backups" / "frontdesk.backup"
    dest.parent.mkdir()

    result = runner.invoke(args=["backup", "--pg-dump", str(failing), str(dest)])
    assert result.exit_code != 0
    assert "pg_dump misslyckades" in result.output and "No space left" in result.output
    assert list(dest.parent.iterdir()) == []

    missing = runner.invoke(args=["backup", "--pg-dump", str(tmp_path / "nej"), str(dest)])
    assert missing.exit_code != 0
    assert "pg_dump kunde inte startas" in missing.output
    assert list(dest.parent.iterdir()) == []


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup API")


def test_sqlite_backups_taken_while_contacts_are_logged_are_consistent(
    app, world, runner, sqlite_only, database_url, tmp_path
):
    stop = threading.Event()
    acknowledged: list[tuple[int, float]] = []
    errors: list[str] = []

    def log_contacts(base: str) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            body = {"office": "K1", "channel": "telefon", "case_type": "PARK",
                    "rosa_level": 5 if number % 2 else 2, "note": f"under backup {number}"}  # fmt: skip
            request = urllib.request.Request(
                f"{base}/api/v1/contacts",
                data=json.dumps(body).encode(),
                headers={"Authorization": "Bearer token-anna", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    acknowledged.append((json.loads(response.read())["id"], time.monotonic()))
            except (urllib.error.URLError, OSError) as error:
                errors.append(str(error))
                return

    copies = []
    with serving(app) as base:
        writers = [threading.Thread(target=log_contacts, args=(base,)) for _ in range(3)]
        for writer in writers:
            writer.start()
        try:
            for number in range(5):
                while len(acknowledged) < 10 * (number + 1):
                    if errors:
                        break
                    stop.wait(0.01)
                started = time.monotonic()
                dest = tmp_path / f"copy-{number}.sqlite3"
                result = runner.invoke(args=["backup", str(dest)])
                assert result.exit_code == 0, result.output
                copies.append((dest, started))
        finally:
            stop.set()
            for writer in writers:
                writer.join(30)
    assert errors == []

    original = _rows(database_url, "SELECT id, note, outcome FROM contacts")
    counts = []
    for dest, started in copies:
        url = f"sqlite:///{dest}"
        copied = _rows(url, "SELECT id, note, outcome FROM contacts")
        # A consistent snapshot: contacts as they were stored, their tallies, audit events
        # and referrals all from the same moment.
        assert copied <= original
        assert _scalar(url, "SELECT sum(contacts) FROM contact_day_tallies") == len(copied)
        assert _scalar(
            url, "SELECT count(*) FROM audit_events WHERE action = 'contact.logged'"
        ) == len(copied)
        assert _scalar(url, "SELECT count(*) FROM referrals") == _scalar(
            url, "SELECT count(*) FROM contacts WHERE outcome = 'eskalerat'"
        )
        # Everything acknowledged before the backup began is in it.
        assert {i for i, at in acknowledged if at < started} <= {row[0] for row in copied}
        counts.append(len(copied))
    # The writers really were writing between (and so during) the backups.
    assert counts == sorted(counts) and len(set(counts)) == len(counts)


def _rows(url: str, sql: str) -> set[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {tuple(row) for row in connection.exec_driver_sql(sql)}
    finally:
        engine.dispose()


def _scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()
