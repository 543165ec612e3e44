"""The public web form and the guide's triage in a real browser, with axe-core and screenshots."""

import shutil

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_app
from tests.helpers import serving
from tests.test_browser import axe_violations, login_with_keyboard, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox_server(sqlite_template, tmp_path):
    from frontdesk.catalog import import_catalog
    from frontdesk.extensions import db
    from frontdesk.models import Office, User
    from tests.conftest import TEST_CATALOG

    path = tmp_path / "inbox.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        import_catalog(TEST_CATALOG)
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        anna = User(username="anna", display_name="Anna", role="vagledare", office=k1)
        anna.set_password(PASSWORD)
        db.session.add(anna)
        db.session.commit()
        db.engine.dispose()
    with serving(app) as base:
        yield app, base


def test_citizen_asks_without_javascript_and_a_guide_triages(inbox_server, playwright_browser):
    app, base = inbox_server
    citizen_context = playwright_browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 800}, locale="sv-SE"
    )
    citizen = citizen_context.new_page()
    citizen.goto(f"{base}/kontakta-oss")
    assert axe_violations_without_js(citizen) == []
    # Keyboard only: the topic, the question, the address, then send.
    citizen.focus("#topic")
    citizen.select_option("#topic", "Trafik")
    citizen.keyboard.press("Tab")
    citizen.keyboard.type("Hur söker jag <b>parkeringstillstånd</b>?")
    citizen.keyboard.press("Tab")
    citizen.keyboard.type("eva@example.se")
    shot(citizen, "web-form.png")
    citizen.get_by_role("button", name="Skicka frågan").click()
    receipt = citizen.locator("#receipt").inner_text()
    assert receipt.startswith("W-")
    shot(citizen, "web-form-receipt.png")
    # An empty question gets the message next to the field.
    citizen.goto(f"{base}/kontakta-oss")
    citizen.get_by_role("button", name="Skicka frågan").click()
    assert citizen.locator(".field-error", has_text="Skriv din fråga.").is_visible()
    citizen_context.close()

    guide_context = playwright_browser.new_context(viewport={"width": 1366, "height": 900})
    guide = guide_context.new_page()
    login_with_keyboard(guide, base, "anna")
    guide.goto(f"{base}/inkorg/")
    row = guide.locator("#inbox-list tr", has_text="Trafik")
    assert receipt in row.inner_text()
    assert axe_violations(guide) == []
    row.get_by_role("link").click()
    # The citizen's markup is shown as text, not rendered.
    assert "<b>parkeringstillstånd</b>" in guide.locator(".message-body").first.inner_text()
    # The counter's own controls: letters, Enter for the case type, a digit for the level.
    guide.locator("#case_type").click()
    guide.keyboard.type("park")
    guide.keyboard.press("Enter")
    guide.keyboard.press("5")
    guide.locator("#route-preview.refer").wait_for()
    assert "remiss till Gata och park" in guide.locator("#route-preview").inner_text()
    guide.locator("#guidance .guidance-card").wait_for()
    shot(guide, "inbox-message.png")
    assert axe_violations(guide) == []
    guide.locator("#handle-form").get_by_role("button", name="Triagera").click()
    guide.locator(".flash", has_text="remitterat till Gata och park").wait_for()
    guide_context.close()


def axe_violations_without_js(page):
    """axe needs script; run it in a scripted copy of the page's HTML."""
    html = page.content()
    context = page.context.browser.new_context()
    checker = context.new_page()
    checker.set_content(html)
    try:
        return axe_violations(checker)
    finally:
        context.close()
