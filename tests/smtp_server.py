"""A real SMTP server on loopback for the tests: aiosmtpd in a thread, recording what it gets.

    def test_something(smtp_server):
        server = smtp_server()                                   # plain SMTP
        server = smtp_server(security="starttls", auth=("u", "p"))  # STARTTLS (trustme), AUTH
        server = smtp_server(security="ssl")                     # implicit TLS (smtps)
        server = smtp_server(refuse="550 5.1.1 Mailbox unavailable")  # at RCPT (or refuse_at="data")
        server = smtp_server(delay=0.05)                         # answers DATA slowly
        server.url        # for SMTP_URL, with the user and password when AUTH is on
        server.ca_file    # the trustme CA that signed the server's certificate (SMTP_CA_FILE)
        server.messages   # what it accepted: envelope, raw bytes, parsed message
        server.stop(); server.start()   # down, and back on the same port

Every server the fixture started is stopped at the end of the test.
"""

import asyncio
import email
import email.policy
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class RecordingHandler:
    """Accepts (or refuses) mail and keeps what it accepted."""

    def __init__(self, auth: tuple[str, str] | None, refuse: str | None, refuse_at: str):
        self.auth = auth
        self.delay = 0.0  # seconds before answering DATA: a slow server
        self.refuse = refuse
        self.refuse_at = refuse_at
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # AUTH enforced here rather than by aiosmtpd's auth_required, which warns
        # (and so fails under filterwarnings=error) on an implicit-TLS server.
        if self.auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and self.refuse_at == "rcpt":
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse and self.refuse_at == "data":
            return self.refuse
        credentials = session.auth_data
        login = credentials.login.decode() if isinstance(credentials, LoginPassword) else None
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login)
            )
        return "250 2.0.0 Ok: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            self.auth is not None
            and isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        )
        if not ok:
            return AuthResult(success=False, handled=False)  # aiosmtpd answers 535
        return AuthResult(success=True, auth_data=auth_data)


class _Controller(Controller):
    """aiosmtpd's Controller bound to port 0 (a free port), which it then remembers."""

    def _create_server(self):
        return self._bind()

    async def _bind(self):
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server


class SmtpServer:
    def __init__(
        self,
        directory: Path,
        *,
        security: str = "none",
        auth: tuple[str, str] | None = None,
        refuse: str | None = None,
        refuse_at: str = "rcpt",
        delay: float = 0.0,
    ):
        assert security in ("none", "starttls", "ssl")
        self.security = security
        self.auth = auth
        self.handler = RecordingHandler(auth, refuse, refuse_at)
        self.handler.delay = delay
        self.port = 0
        self.ca_file = ""
        self._tls: ssl.SSLContext | None = None
        if security != "none":
            ca = trustme.CA()
            certificate = ca.issue_cert(HOST, "localhost")
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            certificate.configure_cert(self._tls)
            path = directory / f"smtp-ca-{id(self)}.pem"
            ca.cert_pem.write_to_path(str(path))
            self.ca_file = str(path)
        self._controller: _Controller | None = None
        self.start()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def refuse(self, answer: str | None, at: str = "rcpt") -> None:
        """Refuse every message from now on with this answer (None: accept again)."""
        self.handler.refuse, self.handler.refuse_at = answer, at

    @property
    def url(self) -> str:
        scheme = {"none": "smtp", "starttls": "smtp+starttls", "ssl": "smtps"}[self.security]
        credentials = ""
        if self.auth:
            user, password = self.auth
            credentials = f"{quote(user, safe='')}:{quote(password, safe='')}@"
        return f"{scheme}://{credentials}{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert self._controller is None
        kwargs = {
            "hostname": HOST,
            "port": self.port,
            "server_hostname": "localhost",
            "ready_timeout": 10,
        }
        if self.security == "ssl":
            kwargs["ssl_context"] = self._tls
            # The connection is encrypted from the start: AUTH may be offered at once.
            kwargs["auth_require_tls"] = False
        elif self.security == "starttls":
            kwargs["tls_context"] = self._tls
            kwargs["require_starttls"] = True
        if self.auth:
            kwargs["authenticator"] = self.handler.authenticate
        controller = _Controller(self.handler, **kwargs)
        controller.start()
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        """Stop listening (the server is "down"); start() brings it back on the same port."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(tmp_path):
    """A factory of real SMTP servers on loopback; each is stopped when the test ends."""
    servers: list[SmtpServer] = []

    def start(**options) -> SmtpServer:
        server = SmtpServer(tmp_path, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
