"""Sending e-mail through an SMTP server: the server's URL, the message, the conversation.

Pure: no Flask, no database. ``frontdesk.mail.delivery`` decides which mail to send and
what to do with the outcome; this module only says how the server answered:

- ``TemporaryFailure``: a 4xx answer or a connection problem; try again later.
- ``ConnectionFailure`` (a TemporaryFailure): the session could not even be set up
  (server unreachable, TLS refused or unverifiable, login refused). Nothing was sent, and
  every other mail would fail the same way until someone fixes the server or the settings.
- ``PermanentFailure``: a 5xx answer to this message; sending it again will not help.

The failure's text is the server's code and answer ("550 5.1.1 Mailbox unavailable"),
or a Swedish description of the connection problem. It never contains the password.

Only the standard library: ``smtplib`` covers plain SMTP, STARTTLS, implicit TLS and
AUTH, and ``ssl.create_default_context`` keeps certificate verification on.
"""

import base64
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from types import TracebackType
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["none", "starttls", "ssl"]

# scheme -> (security, default port)
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("ssl", 465),
}
_ERROR_TEXT_MAX = 900
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


class SmtpFailure(Exception):
    """The server did not take the message; ``text`` says why (safe to store and show)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class TemporaryFailure(SmtpFailure):
    """A 4xx answer or a connection problem: the message may be tried again later."""


class ConnectionFailure(TemporaryFailure):
    """The SMTP session could not be set up; nothing was sent."""


class PermanentFailure(SmtpFailure):
    """A 5xx answer to this message: sending it again will not help."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def parse_smtp_url(url: str) -> SmtpSettings:
    """SMTP_URL as settings: smtp://host[:port], smtp+starttls://user:pw@host[:port], smtps://...

    The ValueError's message is Swedish, names what is wrong and never holds the password.
    """
    url = (url or "").strip()
    if not url:
        raise ValueError("SMTP_URL är tom.")
    if _has_control(url):
        raise ValueError("SMTP_URL innehåller otillåtna tecken.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        known = ", ".join(f"{s}://" for s in _SCHEMES)
        shown = f"{scheme}://" if scheme else "inget"
        raise ValueError(f"SMTP_URL har okänt schema ({shown}); använd {known}.")
    security, default_port = _SCHEMES[scheme]
    host = parts.hostname or ""
    if not host:
        raise ValueError("SMTP_URL saknar servernamn (till exempel smtp://smtp.example.se:25).")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL har en ogiltig port (ett heltal 1–65535).") from None
    if port == 0:
        raise ValueError("SMTP_URL har en ogiltig port (ett heltal 1–65535).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("SMTP_URL får inte ha sökväg, ?-parametrar eller #-del.")
    username = unquote(parts.username) if parts.username is not None else ""
    password = unquote(parts.password) if parts.password is not None else ""
    if bool(username) != bool(password):
        raise ValueError(
            "SMTP_URL måste ha både användarnamn och lösenord (user:lösenord@server) eller inget."
        )
    if _has_control(username) or _has_control(password):
        raise ValueError("Användarnamnet eller lösenordet i SMTP_URL innehåller otillåtna tecken.")
    if username and security == "none":
        raise ValueError(
            "SMTP_URL med inloggning kräver kryptering: använd smtp+starttls:// eller smtps://, "
            "annars skickas lösenordet okrypterat."
        )
    return SmtpSettings(host, port or default_port, security, username, password)


def compose(
    from_address: str,
    to_address: str,
    subject: str,
    body: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """A plain-text UTF-8 message with exactly the given Message-ID, marked as automatic.

    Raises ValueError when a header cannot be written (no Message-ID, a broken address).
    """
    if not _MESSAGE_ID.fullmatch(message_id or ""):
        raise ValueError(f"ogiltigt Message-ID: {message_id!r}")
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to_address
    # A subject is one line; line breaks would be a header injection.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    for name in ("From", "To"):
        header = message[name]
        if header.defects or not header.addresses or not all(a.addr_spec for a in header.addresses):
            raise ValueError(f"ogiltig adress i {name}")
    # Quoted-printable keeps the body 7-bit, so any server takes it (no 8BITMIME needed).
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message


def _answer_text(code: int, answer: bytes | str) -> str:
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return " ".join(f"{code} {answer}".split())


class SmtpConnection:
    """One SMTP session, opened on the first ``send`` (or ``connect``) and closed on exit.

    ``send`` reconnects when the previous session broke. The SSL context verifies the
    server's certificate and host name, against ``ca_file`` when one is given (a private
    certificate authority) or the system's certificate authorities otherwise.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        timeout: float = 30,
        ca_file: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.ca_file = ca_file or None
        self.local_hostname = local_hostname
        self._conn: smtplib.SMTP | None = None

    def __repr__(self) -> str:  # no password
        return f"SmtpConnection({self.settings!r})"

    def __enter__(self) -> "SmtpConnection":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _safe(self, text: object) -> str:
        text = " ".join(str(text).split())[:_ERROR_TEXT_MAX]
        if self.settings.password:
            text = text.replace(self.settings.password, "********")
        return text

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.sock is not None

    def connect(self) -> None:
        """Open the session (TLS and login included); ConnectionFailure when that fails."""
        if self.connected:
            return
        self._drop()
        where = self.settings.where
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectionFailure(
                f"CA-filen {self.ca_file} kunde inte läsas: {self._safe(exc)}"
            ) from None
        try:
            conn = self._open(context)
        except ConnectionFailure:
            raise
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or exc
            raise ConnectionFailure(
                f"Servercertifikatet för {where} godtogs inte: {self._safe(reason)}"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            answer = _answer_text(exc.smtp_code, exc.smtp_error)
            raise ConnectionFailure(
                f"Inloggningen på {where} nekades: {self._safe(answer)}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise ConnectionFailure(
                f"{where} erbjuder ingen inloggning (AUTH) på den här anslutningen."
            ) from None
        except smtplib.SMTPResponseException as exc:
            answer = _answer_text(exc.smtp_code, exc.smtp_error)
            raise ConnectionFailure(f"{where} svarade: {self._safe(answer)}") from None
        except ssl.SSLError as exc:
            raise ConnectionFailure(
                f"Krypterad anslutning till {where} misslyckades: {self._safe(exc.reason or exc)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            if isinstance(exc, TimeoutError) and not str(exc):
                reason = "ingen kontakt inom tidsgränsen"
            raise ConnectionFailure(
                f"Kunde inte ansluta till {where}: {self._safe(reason)}"
            ) from None
        self._conn = conn

    def _open(self, context: ssl.SSLContext) -> smtplib.SMTP:
        """Connect, greet, STARTTLS and log in; the connection is closed if any step fails."""
        settings, where = self.settings, self.settings.where
        conn: smtplib.SMTP | None = None
        try:
            if settings.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                conn = smtplib.SMTP(
                    settings.host,
                    settings.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                )
            conn.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise ConnectionFailure(
                        f"{where} erbjuder inte STARTTLS; inget skickades okrypterat."
                    )
                conn.starttls(context=context)
                conn.ehlo()
            if settings.username:
                self._login(conn)
        except BaseException:
            self._close_quietly(conn)
            raise
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        user, password = self.settings.username, self.settings.password
        if user.isascii() and password.isascii():
            conn.login(user, password)
            return
        # smtplib encodes AUTH as ASCII; PLAIN (RFC 4616) is UTF-8, so send it by hand.
        if not conn.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("AUTH")
        if "PLAIN" not in conn.esmtp_features["auth"].upper().split():
            raise ConnectionFailure(
                f"{self.settings.where} erbjuder inte AUTH PLAIN, som krävs för ett användarnamn "
                "eller lösenord med tecken utanför ASCII."
            )
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, answer = conn.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, answer)

    def send(self, message: EmailMessage) -> None:
        """Hand the message to the server; the envelope comes from its From and To headers."""
        self.connect()
        assert self._conn is not None
        where = self.settings.where
        try:
            refused = self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()))
            raise self._by_code(code, answer) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise TemporaryFailure(
                f"{where} stängde anslutningen: {self._safe(exc) or 'utan svar'}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure(
                f"{where} stöder inte SMTPUTF8, som adressen kräver (tecken utanför ASCII)."
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise self._by_code(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            if isinstance(exc, TimeoutError) and not str(exc):
                reason = "inget svar inom tidsgränsen"
            raise TemporaryFailure(
                f"Anslutningen till {where} bröts: {self._safe(reason)}"
            ) from None
        except (ValueError, UnicodeError) as exc:
            # The message could not be written out; nothing went to the server.
            raise PermanentFailure(f"Brevet kunde inte kodas: {self._safe(exc)}") from None
        if refused:  # some recipients refused (only possible with several)
            code, answer = next(iter(refused.values()))
            raise self._by_code(code, answer)

    def _by_code(self, code: int, answer: bytes | str) -> SmtpFailure:
        text = self._safe(_answer_text(code, answer))
        if code == 421 or not self.connected:
            self._drop()  # the server is closing the session
        if 500 <= code <= 599:
            return PermanentFailure(text)
        return TemporaryFailure(text)

    @staticmethod
    def _close_quietly(conn: smtplib.SMTP | None) -> None:
        if conn is not None:
            conn.close()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._close_quietly(conn)

    def close(self) -> None:
        """Say QUIT when the session is still up, and close it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.sock is not None:
                conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            conn.close()
