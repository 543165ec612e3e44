"""E-mail into the app's inbox through a real IMAP server (Dovecot on loopback)."""

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import InboxMessage
from tests.test_kanaler_imap import (  # noqa: F401  (imap_server is a fixture)
    PASSWORD,
    USER,
    _create_folder,
    _fixture,
    _flags,
    imap_server,
)


def test_fetch_mail_over_imap_lands_in_the_inbox_once(app, world, runner, imap_server):  # noqa: F811
    folder = f"Kontoret-{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}"
    _create_folder(
        imap_server,
        folder,
        _fixture("latin1.eml"),
        _fixture("html_only.eml"),
        _fixture("broken_mime.eml"),
    )
    app.config.update(
        MAIL_IMAP_HOST=imap_server.host,
        MAIL_IMAP_PORT=imap_server.port,
        MAIL_IMAP_USER=USER,
        MAIL_IMAP_PASSWORD=PASSWORD,
        MAIL_IMAP_MAILBOX=folder,
        MAIL_IMAP_SECURITY="none",
        MAIL_OFFICE="K1",
    )
    result = runner.invoke(args=["fetch-mail"])
    assert result.exit_code == 0, result.output
    assert "created: 3" in result.output and "malformed: 1" in result.output
    # Stored first, then marked read on the server.
    assert all(b"\\Seen" in line for line in _flags(imap_server, folder).values())
    again = runner.invoke(args=["fetch-mail"])
    assert "created: 0" in again.output and "duplicates: 3" in again.output
    with app.app_context():
        messages = db.session.scalars(sa.select(InboxMessage).order_by(InboxMessage.id)).all()
        assert [m.channel for m in messages] == ["epost"] * 3
        assert all(m.office.code == "K1" and m.status == "new" for m in messages)
        assert any("å" in m.subject or "ä" in m.subject or "ö" in m.subject for m in messages)
        assert not any("<script" in m.body for m in messages)
        broken = [m for m in messages if m.malformed]
        assert (
            len(broken) == 1
            and broken[0].raw
            == _fixture("broken_mime.eml").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
            or broken[0].raw
        )


def test_wrong_imap_password_is_a_clear_error(app, world, runner, imap_server):  # noqa: F811
    app.config.update(
        MAIL_IMAP_HOST=imap_server.host,
        MAIL_IMAP_PORT=imap_server.port,
        MAIL_IMAP_USER=USER,
        MAIL_IMAP_PASSWORD="fel-losenord",
        MAIL_IMAP_SECURITY="none",
    )
    result = runner.invoke(args=["fetch-mail"])
    assert result.exit_code != 0 and "fel-losenord" not in result.output
    assert "Error:" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 0
