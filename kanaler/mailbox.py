"""Where e-mail comes from: a Maildir, a folder of .eml files, or an IMAP mailbox.

Both sources yield (key, raw bytes) and leave parsing to ``kanaler.mail.parse_mail``.
Errors a person must act on (server unreachable, wrong password, missing mailbox or folder)
are raised as ``MailboxError`` with a Swedish message that never contains the password.
"""

import base64
import contextlib
import imaplib
import mailbox
import re
import socket
import ssl
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Literal

FETCH_BATCH = 50
SECURITY_MODES = ("ssl", "starttls", "none")


class MailboxError(Exception):
    """A mailbox could not be read; the message is Swedish and safe to show and log."""


# --- Maildir and .eml folders -------------------------------------------------------------


def read_maildir(path: str | PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """(key, raw bytes) of every message in a Maildir (new/ and cur/) or .eml folder.

    A folder with cur/ and new/ is read as a Maildir (keys are Maildir keys, sorted, which
    is roughly delivery order); any other folder as a directory of ``*.eml`` files, sorted
    by name, the key being the file name. The folder is checked at once; messages are read
    lazily. Messages that vanish while being read (another reader moved them) are skipped.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise MailboxError(f"Mappen {folder} finns inte eller är ingen mapp.")
    subfolders = [name for name in ("cur", "new", "tmp") if (folder / name).is_dir()]
    if subfolders and not {"cur", "new"} <= set(subfolders):
        raise MailboxError(
            f"Mappen {folder} ser ut som en ofullständig Maildir (cur/ och new/ krävs)."
        )
    if subfolders:
        return _read_maildir(folder)
    return _read_eml_folder(folder)


def _read_maildir(folder: Path) -> Iterator[tuple[str, bytes]]:
    try:
        box = mailbox.Maildir(folder, factory=None, create=False)
        keys = sorted(box.keys())
    except OSError as exc:
        raise MailboxError(f"Maildir-mappen {folder} kunde inte läsas: {exc.strerror}") from None
    for key in keys:
        try:
            raw = box.get_bytes(key)
        except (KeyError, FileNotFoundError):
            continue
        except OSError as exc:
            raise MailboxError(
                f"Meddelandet {key} i {folder} kunde inte läsas: {exc.strerror}"
            ) from None
        yield key, raw


def _read_eml_folder(folder: Path) -> Iterator[tuple[str, bytes]]:
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
    except OSError as exc:
        raise MailboxError(f"Mappen {folder} kunde inte läsas: {exc.strerror}") from None
    for file in files:
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise MailboxError(f"Filen {file} kunde inte läsas: {exc.strerror}") from None
        yield file.name, raw


# --- IMAP ---------------------------------------------------------------------------------


def imap_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Ärenden" -> "&AMQ-renden"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)


class ImapMailbox:
    """One IMAP mailbox, read-only except for ``mark_seen``.

    Use as a context manager; the connection is opened on entry (or by ``messages()`` /
    ``mark_seen()``) and closed on exit. Fetching uses BODY.PEEK[], so reading a message
    does not mark it as read on the server.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        user: str = "",
        password: str = "",
        *,
        mailbox: str = "INBOX",
        security: Literal["ssl", "starttls", "none"] = "ssl",
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {security!r}")
        self.host = host
        self.port = port or (993 if security == "ssl" else 143)
        self.user = user
        self._password = password
        self.mailbox = mailbox
        self.security = security
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._conn: imaplib.IMAP4 | None = None

    def __repr__(self) -> str:  # no password, ever
        return (
            f"ImapMailbox({self.host!r}, {self.port}, user={self.user!r}, "
            f"mailbox={self.mailbox!r}, security={self.security!r})"
        )

    def __enter__(self) -> "ImapMailbox":
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # connection

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _safe(self, text: object) -> str:
        """Server or socket text for a message, with the password blotted out just in case."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = " ".join(str(text).split())[:300]
        if self._password:
            text = text.replace(self._password, "********")
        return text

    def connect(self) -> None:
        if self._conn is not None:
            return
        for label, value in (("Användarnamnet", self.user), ("Lösenordet", self._password)):
            if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
                raise MailboxError(f"{label} för e-postservern innehåller otillåtna tecken.")
        context = self._ssl_context or ssl.create_default_context()
        try:
            if self.security == "ssl":
                conn = _IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=self.timeout)
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except ssl.SSLError as exc:
            raise MailboxError(
                f"Krypterad anslutning till e-postservern {self._where} misslyckades: "
                f"{self._safe(exc.reason or exc)}"
            ) from None
        except TimeoutError:
            raise MailboxError(
                f"E-postservern {self._where} svarade inte inom {self.timeout:g} sekunder."
            ) from None
        except OSError as exc:
            raise MailboxError(
                f"Kunde inte ansluta till e-postservern {self._where}: "
                f"{self._safe(exc.strerror or exc)}"
            ) from None
        except imaplib.IMAP4.error as exc:
            raise MailboxError(
                f"E-postservern {self._where} svarade inte som en IMAP-server: {self._safe(exc)}"
            ) from None
        try:
            self._start(conn)
        except BaseException:
            _shutdown(conn)
            raise
        self._conn = conn

    def _start(self, conn: imaplib.IMAP4) -> None:
        if self.security == "starttls":
            try:
                conn.starttls(ssl_context=self._ssl_context or ssl.create_default_context())
            except (imaplib.IMAP4.error, OSError) as exc:
                raise MailboxError(
                    f"E-postservern {self._where} kunde inte starta kryptering (STARTTLS): "
                    f"{self._safe(exc)}"
                ) from None
        if "LOGINDISABLED" in conn.capabilities and self.security == "none":
            raise MailboxError(
                f"E-postservern {self._where} tillåter inte inloggning utan kryptering; "
                "använd ssl eller starttls."
            )
        try:
            if self.user.isascii() and self._password.isascii():
                conn.login(_quoted(self.user), self._password)
            else:  # LOGIN is ASCII only in imaplib; AUTHENTICATE PLAIN carries UTF-8
                credentials = f"\0{self.user}\0{self._password}".encode()
                conn.authenticate("PLAIN", lambda _challenge: credentials)
        except (imaplib.IMAP4.error, OSError):
            # The server's words are not shown: some echo what they were sent.
            raise MailboxError(
                f"Inloggningen på e-postservern {self._where} misslyckades för användaren "
                f"'{self.user}'. Kontrollera användarnamn och lösenord."
            ) from None
        try:
            status, data = conn.select(_quoted(imap_utf7(self.mailbox)))
        except (imaplib.IMAP4.error, OSError) as exc:
            status, data = "NO", [self._safe(exc).encode()]
        if status != "OK":
            raise MailboxError(
                f"Postlådan '{self.mailbox}' finns inte eller kan inte öppnas på "
                f"e-postservern {self._where}: {self._safe(data[0] if data else '')}"
            )

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _shutdown(conn)

    def _connection(self) -> imaplib.IMAP4:
        if self._conn is None:
            self.connect()
        assert self._conn is not None
        return self._conn

    # reading

    def uids(self) -> list[str]:
        """The UIDs of all messages in the mailbox, ascending."""
        conn = self._connection()
        try:
            status, data = conn.uid("SEARCH", None, "ALL")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise self._broken(exc) from None
        if status != "OK":
            raise MailboxError(
                f"Postlådan '{self.mailbox}' kunde inte sökas igenom: {self._safe(data)}"
            )
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return [str(uid) for uid in sorted({int(u) for u in found if u.isdigit()})]

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(UID, raw RFC 822 bytes) of every message, in UID order, fetched in batches.

        Nothing is marked as read. Messages deleted between search and fetch are skipped.
        """
        uids = self.uids()
        conn = self._connection()
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            try:
                status, data = conn.uid("FETCH", ",".join(batch), "(UID BODY.PEEK[])")
            except (imaplib.IMAP4.error, OSError) as exc:
                raise self._broken(exc) from None
            if status != "OK":
                raise MailboxError(
                    f"Meddelanden kunde inte hämtas från postlådan '{self.mailbox}': "
                    f"{self._safe(data)}"
                )
            fetched = dict(_fetched_messages(data))
            for uid in batch:
                if uid in fetched:
                    yield uid, fetched[uid]

    def mark_seen(self, uid: str) -> None:
        """Set \\Seen on one message."""
        if not str(uid).isdigit():
            raise ValueError(f"not an IMAP UID: {uid!r}")
        conn = self._connection()
        try:
            status, data = conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise self._broken(exc) from None
        if status != "OK":
            raise MailboxError(
                f"Meddelandet {uid} kunde inte markeras som läst: {self._safe(data)}"
            )

    def _broken(self, exc: BaseException) -> MailboxError:
        self.close()
        return MailboxError(
            f"Förbindelsen med e-postservern {self._where} bröts: {self._safe(exc)}"
        )


def _fetched_messages(data: list) -> Iterator[tuple[str, bytes]]:
    """(UID, body) pairs from imaplib's FETCH response list."""
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        head, body = item[0], item[1]
        match = _UID.search(head)
        if match is None:  # "BODY[] {n}" came before "UID n": look in the trailing part
            following = data[index + 1] if index + 1 < len(data) else b""
            match = _UID.search(following) if isinstance(following, bytes) else None
        if match is not None and isinstance(body, bytes):
            yield match.group(1).decode(), body


def _shutdown(conn: imaplib.IMAP4) -> None:
    # LOGOUT only: CLOSE would expunge messages that someone else flagged \Deleted.
    try:
        conn.logout()
    except Exception:  # a broken connection: logout() raised before closing the socket
        with contextlib.suppress(Exception):
            conn.shutdown()


class _IMAP4_SSL(imaplib.IMAP4_SSL):
    """imaplib.IMAP4_SSL that closes its socket when the TLS handshake fails."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = imaplib.IMAP4._create_socket(self, timeout)
        try:
            return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
