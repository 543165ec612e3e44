"""kanaler.mailbox.ImapMailbox against a real IMAP server: Dovecot on loopback.

The server is the system's Dovecot (Debian package dovecot-imapd), run in the foreground
with a throw-away configuration; scripts/test installs it. Without it these tests fail.
"""

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from kanaler.mail import parse_mail
from kanaler.mailbox import ImapMailbox, MailboxError, imap_utf7

MAIL_DIR = Path(__file__).parent / "mail"
USER, PASSWORD = "medborgare", "Hemligt-Losen-42"
UNICODE_USER, UNICODE_PASSWORD = "handlaggare", "lösenord-åäö"


@dataclass
class ImapServer:
    host: str
    port: int
    log: Path

    def admin(self, user: str = USER, password: str = PASSWORD) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(user, password)
        return conn

    def box(self, mailbox: str = "INBOX", **kwargs) -> ImapMailbox:
        kwargs.setdefault("user", USER)
        kwargs.setdefault("password", PASSWORD)
        kwargs.setdefault("security", "none")
        kwargs.setdefault("timeout", 10)
        return ImapMailbox(self.host, self.port, mailbox=mailbox, **kwargs)


def _dovecot() -> str:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "Dovecot is not installed: these tests need a real IMAP server. "
        "Install it with `apt-get install dovecot-imapd` (scripts/test does)."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _account(name: str) -> pwd.struct_passwd | None:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    return None


def _greeting(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        return sock.recv(200)


def _logs(base: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace")
        for path in (base / "stderr.log", base / "dovecot.log")
        if path.exists()
    )


@pytest.fixture(scope="module")
def imap_server():
    binary = _dovecot()
    base = Path(tempfile.mkdtemp(prefix="kanaler-imap-"))
    base.chmod(0o755)  # Dovecot's unprivileged processes must reach the files below
    if os.geteuid() == 0:
        # Dovecot refuses mail access as root; the mail user and its own service users
        # come with the Debian package (nobody as a fallback elsewhere).
        nobody = _account("nobody")
        mail_user = _account("dovecot") or nobody
        internal = (_account("dovecot") or nobody).pw_name
        login = (_account("dovenull") or nobody).pw_name
        group_line = ""
    else:  # everything runs as the current user
        mail_user = pwd.getpwuid(os.getuid())
        internal = login = mail_user.pw_name
        group_line = f"default_internal_group = {grp.getgrgid(mail_user.pw_gid).gr_name}\n"
    mail = base / "mail"
    mail.mkdir()
    os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
    users = base / "users"
    users.write_text(
        "".join(
            f"{name}:{{PLAIN}}{password}:{mail_user.pw_uid}:{mail_user.pw_gid}::{mail}/{name}::\n"
            for name, password in ((USER, PASSWORD), (UNICODE_USER, UNICODE_PASSWORD))
        ),
        encoding="utf-8",
    )
    users.chmod(0o644)
    port = _free_port()
    log = base / "dovecot.log"
    config = base / "dovecot.conf"
    config.write_text(
        f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = kanaler-test-{port}
log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{mail}/%u
default_internal_user = {internal}
default_login_user = {login}
{group_line}first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
# No chroot: an unprivileged user cannot chroot. The per-IP penalty after failed logins
# (it reached 8 s after the wrong-password tests) is off when the auth process cannot
# reach anvil's penalty socket.
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""",
        encoding="utf-8",
    )
    started = time.monotonic()
    stderr = (base / "stderr.log").open("wb")
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Dovecot exited with {process.returncode}:\n{_logs(base)}")
            with contextlib.suppress(OSError):
                if _greeting(port).startswith(b"* OK"):
                    break
            if time.monotonic() - started > 20:
                pytest.fail(f"Dovecot did not answer on port {port} within 20 s:\n{_logs(base)}")
            time.sleep(0.05)
        print(f"dovecot ready in {time.monotonic() - started:.2f} s")
        yield ImapServer("127.0.0.1", port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # Children of the master live in its session; none should remain.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        stderr.close()
        shutil.rmtree(base, ignore_errors=True)


def _fixture(name: str) -> bytes:
    return (MAIL_DIR / name).read_bytes()


def _lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def _create_folder(server: ImapServer, name: str, *messages: bytes) -> None:
    conn = server.admin()
    try:
        encoded = '"' + imap_utf7(name) + '"'
        if name != "INBOX":
            status, data = conn.create(encoded)
            assert status == "OK", data
        for raw in messages:
            status, data = conn.append(encoded, None, None, raw)
            assert status == "OK", data
    finally:
        conn.logout()


def _flags(server: ImapServer, folder: str) -> dict[str, bytes]:
    conn = server.admin()
    try:
        conn.select('"' + imap_utf7(folder) + '"', readonly=True)
        status, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        assert status == "OK"
        out = {}
        for line in data:
            uid = line.split(b"UID ")[1].split()[0].rstrip(b")").decode()
            out[uid] = line
        return out
    finally:
        conn.logout()


def test_messages_are_fetched_byte_for_byte_and_parse(imap_server):
    latin1, attached = _fixture("latin1.eml"), _fixture("with_attachment.eml")
    _create_folder(imap_server, "Inkommande", latin1, attached)

    with imap_server.box("Inkommande") as box:
        fetched = list(box.messages())

    assert [uid for uid, _ in fetched] == ["1", "2"]
    assert _lf(fetched[0][1]) == _lf(latin1)
    assert _lf(fetched[1][1]) == _lf(attached)
    first, second = parse_mail(fetched[0][1]), parse_mail(fetched[1][1])
    assert first.subject == "Fråga om bygglov för altan åäö"
    assert first.sender == "Åsa Öberg <asa.oberg@example.se>"
    assert first.message_id == "<latin1-0001@example.se>"
    assert not first.malformed
    assert second.subject == "Kvitto och ritning bifogade"
    assert [a.filename for a in second.attachments] == ["kvitto.pdf", "ritning åäö.png"]
    # BODY.PEEK[]: fetching did not mark anything as read.
    assert all(b"\\Seen" not in line for line in _flags(imap_server, "Inkommande").values())


def test_inbox_is_the_default_mailbox(imap_server):
    _create_folder(imap_server, "INBOX", _fixture("normal.eml"))
    with ImapMailbox(
        imap_server.host, imap_server.port, USER, PASSWORD, security="none", timeout=10
    ) as box:
        parsed = [parse_mail(raw) for _, raw in box.messages()]
    assert "<20240604091530.4711@example.se>" in [p.message_id for p in parsed]


def test_mark_seen_sets_the_seen_flag(imap_server):
    _create_folder(imap_server, "Markera", _fixture("normal.eml"), _fixture("latin1.eml"))
    with imap_server.box("Markera") as box:
        uids = [uid for uid, _ in box.messages()]
        box.mark_seen(uids[1])
        with pytest.raises(ValueError):
            box.mark_seen("1 FLAGS")
    flags = _flags(imap_server, "Markera")
    assert b"\\Seen" not in flags[uids[0]]
    assert b"\\Seen" in flags[uids[1]]


def test_many_messages_are_fetched_in_batches_in_uid_order(imap_server):
    template = _fixture("normal.eml")
    messages = [
        template.replace(b"<20240604091530.4711@example.se>", b"<batch-%03d@example.se>" % i)
        for i in range(120)
    ]
    _create_folder(imap_server, "Massutskick", *messages)
    with imap_server.box("Massutskick") as box:
        fetched = list(box.messages())
    assert [int(uid) for uid, _ in fetched] == list(range(1, 121))
    assert [parse_mail(raw).message_id for _, raw in fetched] == [
        f"<batch-{i:03d}@example.se>" for i in range(120)
    ]


def test_non_ascii_folder_name(imap_server):
    folder = "Ärenden & frågor 2024"
    _create_folder(imap_server, folder, _fixture("latin1.eml"))
    conn = imap_server.admin()
    try:
        status, listing = conn.list()
    finally:
        conn.logout()
    assert any(b'"&AMQ-renden &- fr&AOU-gor 2024"' in line for line in listing), listing
    with imap_server.box(folder) as box:
        assert len(list(box.messages())) == 1


def test_non_ascii_password(imap_server):
    # imaplib's LOGIN is ASCII only; the box falls back to AUTHENTICATE PLAIN (UTF-8).
    with imap_server.box(user=UNICODE_USER, password=UNICODE_PASSWORD) as box:
        assert list(box.messages()) == []  # this user's INBOX is empty


def _chain_text(exc: BaseException | None) -> str:
    """Messages and reprs of an exception and everything chained to it."""
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc), *traceback.format_exception_only(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


@pytest.mark.parametrize("secret", ["fel-lösen-XYZZY", "Hemligt-Losen-43"])
def test_wrong_password_is_a_swedish_error_without_the_password(imap_server, secret):
    with pytest.raises(MailboxError) as caught, imap_server.box(password=secret):
        pass
    message = str(caught.value)
    assert "Inloggningen" in message and USER in message
    assert secret not in _chain_text(caught.value)
    assert secret not in repr(imap_server.box(password=secret))


def test_missing_mailbox(imap_server):
    box = imap_server.box("Finns inte")
    with pytest.raises(MailboxError, match="Postlådan 'Finns inte' finns inte"), box:
        pass


def test_refused_port():
    port = _free_port()  # nothing listens there
    box = ImapMailbox("127.0.0.1", port, USER, PASSWORD, security="none", timeout=5)
    with pytest.raises(MailboxError, match="Kunde inte ansluta till e-postservern"):
        list(box.messages())


def test_tls_against_a_plain_port_fails_cleanly(imap_server):
    with pytest.raises(MailboxError, match="Krypterad anslutning"):
        imap_server.box(security="ssl", timeout=5).connect()
    with pytest.raises(MailboxError, match="STARTTLS"):
        imap_server.box(security="starttls", timeout=5).connect()


def test_control_characters_in_credentials_are_refused(imap_server):
    with pytest.raises(MailboxError, match="otillåtna tecken"):
        imap_server.box(password="a\r\nA1 LOGOUT").connect()
