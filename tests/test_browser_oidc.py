"""Logging in with the municipality's account in a real browser, on the provider's own pages.

The provider is the real one of tests/oidc_provider.py; Chromium may reach only
loopback addresses (the provider's sign-in page would otherwise fetch a web font).
"""

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from frontdesk.extensions import db
from tests.conftest import PASSWORD, make_app
from tests.helpers import serving
from tests.test_browser import ARTIFACTS, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_server(sqlite_template, tmp_path, oidc_provider):
    from frontdesk.catalog import import_catalog
    from frontdesk.models import Office, User
    from tests.conftest import TEST_CATALOG

    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", **oidc_provider.settings())
    with app.app_context():
        import_catalog(TEST_CATALOG)
        k1 = db.session.query(Office).filter_by(code="K1").one()
        anna = User(username="anna", display_name="Anna Berg", role="vagledare", office=k1)
        anna.set_password(PASSWORD)
        db.session.add(anna)
        db.session.commit()
        db.engine.dispose()
    with serving(app) as base:
        yield base


def _loopback_only(route):
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def test_log_in_with_the_municipality_account(sso_server, page):
    base = sso_server
    page.context.route("**/*", _loopback_only)
    page.goto(f"{base}/login")
    button = page.get_by_role("link", name="Logga in med kommunens konto")
    expect(button).to_be_visible()
    shot(page, "login-sso.png")
    button.click()

    # The identity provider's own sign-in page (oidc-provider's development pages).
    page.locator("input[name=login]").wait_for()
    assert not page.url.startswith(base)
    page.locator("input[name=login]").fill("anna")
    page.locator("input[name=password]").fill("vad-som-helst")
    shot(page, "oidc-provider-sign-in.png")
    page.locator("button[type=submit]").click()

    page.wait_for_url(f"{base}/disk")
    expect(page.locator(".who")).to_contain_text("Anna Berg")
    shot(page, "login-sso-landed.png")
    assert (ARTIFACTS / "login-sso-landed.png").exists()


def test_someone_without_an_account_sees_why_in_swedish(sso_server, page):
    base = sso_server
    page.context.route("**/*", _loopback_only)
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Logga in med kommunens konto").click()
    page.locator("input[name=login]").fill("okand")
    page.locator("input[name=password]").fill("vad-som-helst")
    page.locator("button[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Inget konto i Medborgarkontoret")
    assert page.url.startswith(f"{base}/login/oidc/callback")
    shot(page, "login-sso-refused.png")
    page.get_by_role("link", name="Tillbaka till inloggningen").click()
    page.wait_for_url(f"{base}/login")
    expect(page.locator(".who")).to_have_count(0)  # nobody is logged in
