"""The production set-up as the README describes it, for the tests that need real processes.

A fresh database (a SQLite file, or a new PostgreSQL database on the server of
TEST_POSTGRES_URL), migrated with `flask --app frontdesk db upgrade`, and
gunicorn with gunicorn.conf.py serving `frontdesk:create_app()` configured only
through the environment. Each server runs in its own process group, so a test
can kill the master and all its workers at once.
"""

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

from frontdesk import create_app
from frontdesk.catalog import import_catalog
from frontdesk.extensions import db
from frontdesk.models import ApiToken, Office, Organisation, User
from frontdesk.models.user import hash_token
from tests.conftest import PASSWORD, POSTGRES_URL, TEST_CATALOG, USERS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "production-test-secret"


@contextmanager
def fresh_database(backend: str, tmp_path: Path, purpose: str):
    """Yield the SQLAlchemy URL of an empty database; a PostgreSQL one is dropped afterwards.

    The PostgreSQL database lives on TEST_POSTGRES_URL's server and is named after
    its database, so it never touches anything but the tests' own databases.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{purpose}.sqlite3'}"
        return
    base = sa.make_url(POSTGRES_URL)
    name = f"{base.database}_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def environment(database_url: str, **settings: str) -> dict:
    """The server's environment: DATABASE_URL in the README's form, SECRET_KEY, the rest."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "WEB_CONCURRENCY": "2"})
    env.update(settings)
    return env


def flask_command(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run `flask --app frontdesk ARGS` as a deploy would; its output, or the error shown."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "frontdesk", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def deploy(database_url: str) -> dict[str, str]:
    """`flask db upgrade` on the fresh database, then the test municipality; the API tokens.

    The catalogue and the users go in through the app's own functions (the CLI would
    start a Python process per user); the schema only ever through the documented command.
    """
    flask_command(environment(database_url), "db", "upgrade")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    tokens = {}
    with app.app_context():
        import_catalog(TEST_CATALOG)
        offices = {o.code: o for o in db.session.scalars(sa.select(Office))}
        organisations = {o.code: o for o in db.session.scalars(sa.select(Organisation))}
        for username, (role, office, organisation) in USERS.items():
            user = User(
                username=username,
                display_name=username.title(),
                role=role,
                office=offices.get(office),
                organisation=organisations.get(organisation),
            )
            user.set_password(PASSWORD)
            tokens[username] = f"token-{username}"
            db.session.add_all([user, ApiToken(user=user, token_hash=hash_token(tokens[username]))])
        db.session.commit()
        db.engine.dispose()
    return tokens


def add_handlers(database_url: str, count: int) -> list[tuple[str, str]]:
    """`count` more handläggare of TEK with API tokens: [(username, token)]."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    handlers = []
    with app.app_context():
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        for index in range(count):
            username = f"handler{index}"
            # No password: these accounts only use the API.
            user = User(
                username=username,
                display_name=f"Handläggare {index}",
                role="handlaggare",
                organisation=tek,
            )
            token = f"token-{username}"
            db.session.add_all([user, ApiToken(user=user, token_hash=hash_token(token))])
            handlers.append((username, token))
        db.session.commit()
        db.engine.dispose()
    return handlers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn --config gunicorn.conf.py "frontdesk:create_app()"` in a process group."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115  (closed in stop/kill)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "frontdesk:create_app()"],
            env={**env, "BIND": f"127.0.0.1:{self.port}"},
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: master and workers killed together
        )

    def wait_until_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if json.loads(response.read()) == {"status": "ok", "database": "ok"}:
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not become healthy:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once, as a power cut of the host would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        # Orphaned workers are reaped by init; wait until none of the group is left running.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        """The end of the server's output (gunicorn writes to the file directly)."""
        return self.log_path.read_text(errors="replace")[-4000:]


@contextmanager
def gunicorn(env: dict, log_path: Path):
    """A healthy production server; stopped (if it still runs) when the block ends."""
    server = Gunicorn(env, log_path)
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


class _ProxyHandler(BaseHTTPRequestHandler):
    """Forward one request to the next app server, as nginx's `proxy_pass` to an upstream does.

    The client's address is appended to X-Forwarded-For (nginx's
    `$proxy_add_x_forwarded_for`); `X-Served-By` in the answer names the app server.
    """

    def _forward(self) -> None:
        backend = self.server.next_backend()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        forwarded = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        headers["X-Forwarded-Proto"] = "http"
        connection = http.client.HTTPConnection("127.0.0.1", backend, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
        except OSError:
            payload = b"bad gateway"
            self.send_response(502)
        finally:
            connection.close()
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Served-By", str(backend))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format, *args):  # noqa: A002  (BaseHTTPRequestHandler's signature)
        pass


class RoundRobinProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backends: list[int]):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self._backends = itertools.cycle(backends)
        self._lock = threading.Lock()

    def next_backend(self) -> int:
        with self._lock:
            return next(self._backends)


@contextmanager
def reverse_proxy(servers: list[Gunicorn]):
    """A round-robin reverse proxy on loopback in front of the servers; yields its base URL.

    Clients may connect from any loopback address (127.0.0.2, 127.0.0.3 ...): each is
    then a different client address for the app, as citizens behind one proxy are.
    """
    proxy = RoundRobinProxy([server.port for server in servers])
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_port}"
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(5)


def call(
    method: str, url: str, token: str | None = None, body: dict | None = None, timeout=30
) -> tuple[int, dict]:
    """One JSON request; (status, body). Connection failures raise OSError."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, json.loads(payload) if payload.startswith(b"{") else {}
