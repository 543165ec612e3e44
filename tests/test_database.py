"""SQLite set-up: the write gate hands writes over in turn; pragmas follow the configuration."""

import shutil
import threading
import time

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent
from tests.conftest import make_app


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    path = tmp_path / "gate.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    yield app
    with app.app_context():
        db.engine.dispose()


def _insert(app, action, started, release=None, done=None):
    with app.app_context():
        db.session.execute(
            sa.insert(AuditEvent), [{"action": action, "entity": "test", "data": {}}]
        )
        started.set()
        if release is not None:
            release.wait(5)
        db.session.commit()
        if done is not None:
            done.append((action, time.monotonic()))


def test_second_writer_waits_for_the_first_commit(sqlite_app):
    first_started, second_started, release = threading.Event(), threading.Event(), threading.Event()
    done: list = []
    first = threading.Thread(
        target=_insert, args=(sqlite_app, "first", first_started, release, done)
    )
    first.start()
    assert first_started.wait(5)
    second = threading.Thread(
        target=_insert, args=(sqlite_app, "second", second_started, None, done)
    )
    second.start()
    # The second writer is held at the gate while the first transaction is open.
    assert not second_started.wait(0.5)
    release.set()
    first.join(5)
    second.join(5)
    assert [action for action, _ in done] == ["first", "second"]
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 2


def test_a_rolled_back_writer_releases_the_gate(sqlite_app):
    with sqlite_app.app_context():
        db.session.execute(sa.insert(AuditEvent), [{"action": "x", "entity": "t", "data": {}}])
        db.session.rollback()
    started = threading.Event()
    writer = threading.Thread(target=_insert, args=(sqlite_app, "after", started))
    writer.start()
    assert started.wait(2)
    writer.join(5)


@pytest.mark.parametrize(("setting", "expected"), [("FULL", 2), ("NORMAL", 1)])
def test_synchronous_setting(sqlite_template, tmp_path, setting, expected):
    path = tmp_path / "sync.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", SQLITE_SYNCHRONOUS=setting)
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA synchronous")).scalar() == expected
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_unknown_synchronous_setting_is_refused(sqlite_template, tmp_path):
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", SQLITE_SYNCHRONOUS="OFF")
