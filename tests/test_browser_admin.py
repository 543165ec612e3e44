"""The admin's user pages in a real browser, by keyboard: search, create, refuse, deactivate.

Screenshots land in test-artifacts/admin-*.png; axe-core checks each page.
"""

import shutil

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import PASSWORD, TEST_CATALOG, make_app
from tests.helpers import one, serving
from tests.test_browser import axe_violations, login_with_keyboard, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_site(sqlite_template, tmp_path):
    from frontdesk.catalog import import_catalog
    from frontdesk.extensions import db
    from frontdesk.models import Office, Organisation, User

    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        import_catalog(TEST_CATALOG)
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        for username, name, role, office, org in (
            ("admin", "Alva Admin", "admin", None, None),
            ("anna", "Anna Berg", "vagledare", k1, None),
            ("erik", "Erik Åberg", "handlaggare", None, tek),
            ("karin", "Karin Lind", "chef", k1, None),
        ):
            user = User(
                username=username, display_name=name, role=role, office=office, organisation=org
            )
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        db.engine.dispose()
    with serving(app) as base:
        yield app, base


def test_users_page_by_keyboard(admin_site, page):
    from frontdesk.models import User

    app, base = admin_site
    login_with_keyboard(page, base, "admin")
    page.get_by_role("link", name="Administration").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/admin/anvandare")
    assert axe_violations(page) == []

    # The search narrows the list as one types (Swedish letters in any case).
    page.locator("#f-q").focus()
    page.keyboard.type("åberg")
    expect(page.locator("#user-list tbody tr")).to_have_count(1)
    expect(page.locator("#user-list")).to_contain_text("Erik Åberg")
    shot(page, "admin-users-search.png")

    # A new chef of two offices, by keyboard; first a refused try.
    page.goto(f"{base}/admin/anvandare/ny")
    page.locator("#username").focus()
    page.keyboard.type("Anna")
    page.locator("#role").select_option("chef")
    page.locator("button.primary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".form-error")).to_be_visible()
    expect(page.locator("#username-error")).to_contain_text("redan upptaget")
    expect(page.locator("#offices-error")).to_contain_text("minst ett kontor")
    assert axe_violations(page) == []
    shot(page, "admin-new-user-refused.png")

    page.locator("#username").fill("")
    page.locator("#username").focus()
    page.keyboard.type("sara.ek")
    page.locator("#display_name").focus()
    page.keyboard.type("Sara Ek")
    page.locator("#office").select_option("K1")
    page.locator("input[name=offices][value=K2]").focus()
    page.keyboard.press("Space")
    page.locator("#email").focus()
    page.keyboard.type("sara.ek@example.se")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Användaren sara.ek är skapad.")
    sara = one(app, User, User.username == "sara.ek")
    assert sara.role == "chef" and sara.password_hash == ""
    assert axe_violations(page) == []
    shot(page, "admin-user-created.png")

    # Deactivate Anna from her page.
    anna = one(app, User, User.username == "anna")
    page.goto(f"{base}/admin/anvandare/{anna.id}")
    page.get_by_role("button", name="Inaktivera kontot").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("är inaktiverad och utloggad överallt")
    expect(page.locator(".notice")).to_contain_text("Kontot är inaktiverat")
    assert not one(app, User, User.username == "anna").active
    assert axe_violations(page) == []
    shot(page, "admin-user-deactivated.png")
