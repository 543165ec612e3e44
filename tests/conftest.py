"""Fixtures: an app per test on SQLite and on PostgreSQL, a small municipality, users, tokens.

The PostgreSQL runs need TEST_POSTGRES_URL (scripts/test starts a server on loopback
and sets it). Set REQUIRE_POSTGRES=1 to make its absence an error instead of SQLite only.
"""

import os
import shutil
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from frontdesk import create_app
from frontdesk.catalog import import_catalog
from frontdesk.extensions import db
from frontdesk.models import ApiToken, User
from frontdesk.models.user import hash_token
from tests.oidc_provider import oidc_provider  # noqa: F401  (one OpenID provider per session)
from tests.smtp_server import smtp_server  # noqa: F401  (a fixture for every test module)


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own on the same server
    (`frontdesk_test_gw0`, ...), created here if missing: the workers' TRUNCATEs and
    migrations never meet. Without xdist the URL is used as it is."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(os.environ.get("TEST_POSTGRES_URL", ""))
if os.environ.get("REQUIRE_POSTGRES") == "1" and not POSTGRES_URL:
    raise RuntimeError("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

TEST_CATALOG = {
    "organisations": [
        {"code": "TEK", "name": "Tekniska förvaltningen", "kind": "kommun"},
        {"code": "SOC", "name": "Socialförvaltningen", "kind": "kommun"},
        {"code": "FK", "name": "Försäkringskassan", "kind": "stat"},
    ],
    "queues": [{"code": "TEK-GATA", "name": "Gata och park", "organisation": "TEK"}],
    "offices": [
        {"code": "K1", "name": "Medborgarkontoret Centrum"},
        {"code": "K2", "name": "Medborgarkontoret Norra"},
    ],
    "case_types": [
        {
            "code": "PARK",
            "name": "Parkeringstillstånd",
            "organisation": "TEK",
            "category": "Trafik",
            "sla_hours": 72,
            "queue": "TEK-GATA",
            "guidance": "Hjälp med ansökan. Läs mer: https://example.se/park",
        },
        {
            "code": "EKB",
            "name": "Ekonomiskt bistånd",
            "organisation": "SOC",
            "category": "Stöd",
            "sla_hours": 48,
            "guidance": "Boka tid hos mottagningen.",
        },
        {
            "code": "FKBARN",
            "name": "Föräldrapenning och barnbidrag",
            "organisation": "FK",
            "category": "Försäkringskassan",
            "sla_hours": 24,
        },
    ],
    "mandates": [{"office": "K1", "case_type": "PARK", "max_level": 3}],
}

USERS = {
    # username: role, office, organisation
    "anna": ("vagledare", "K1", None),
    "omar": ("vagledare", "K1", None),
    "johan": ("vagledare", "K2", None),
    "erik": ("handlaggare", None, "TEK"),
    "karin": ("chef", "K1", None),
    "admin": ("admin", None, None),
}
PASSWORD = "losenord-123"


def _migrated(url: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "REQUEST_LOG": False,
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once with Alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema():
    """The PostgreSQL test database, emptied and migrated once per session with Alembic."""
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    _migrated(POSTGRES_URL)
    return POSTGRES_URL


def _empty_postgres(app) -> None:
    with app.app_context():
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "REQUEST_LOG": False,  # tests read the request log with caplog instead
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_schema")
        yield url


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    if database_url.startswith("postgresql"):
        _empty_postgres(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    users: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def world(app) -> World:
    """The small test municipality with one user and one API token per role."""
    with app.app_context():
        import_catalog(TEST_CATALOG)
        from frontdesk.models import Office, Organisation

        offices = {o.code: o for o in db.session.scalars(sa.select(Office))}
        orgs = {o.code: o for o in db.session.scalars(sa.select(Organisation))}
        users, tokens = {}, {}
        for username, (role, office, org) in USERS.items():
            user = User(
                username=username,
                display_name=username.title(),
                role=role,
                office=offices.get(office) if office else None,
                organisation=orgs.get(org) if org else None,
            )
            user.set_password(PASSWORD)
            token = f"token-{username}"
            db.session.add_all([user, ApiToken(user=user, token_hash=hash_token(token))])
            db.session.flush()
            users[username] = user.id
            tokens[username] = token
        db.session.commit()
    return World(users=users, tokens=tokens)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="anna", password=PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api(client, world):
    """Call the JSON API as a given user: api.post("/contacts", json=..., as_user="anna")."""

    class Api:
        def request(self, method, path, as_user="anna", **kwargs):
            headers = kwargs.pop("headers", {})
            if as_user is not None:
                headers.setdefault("Authorization", f"Bearer {world.tokens[as_user]}")
            return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

        def get(self, path, **kwargs):
            return self.request("GET", path, **kwargs)

        def post(self, path, **kwargs):
            return self.request("POST", path, **kwargs)

        def put(self, path, **kwargs):
            return self.request("PUT", path, **kwargs)

    return Api()


# --- Browser fixtures (Playwright driving the system's Chromium) ---

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(playwright_browser):
    context = playwright_browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="sv-SE"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
