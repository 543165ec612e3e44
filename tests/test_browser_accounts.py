"""A person changes their password in a real browser, with the keyboard only."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.test_browser import live_app, login_with_keyboard, shot

pytestmark = pytest.mark.browser

NEW = "grus-fönster-74-hallon"


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    with live_app(sqlite_template, tmp_path, poll_seconds=1) as served:
        yield served


def test_change_the_password_with_the_keyboard(live_server, page):
    _app, base = live_server
    login_with_keyboard(page, base)
    page.get_by_role("link", name="Byt lösenord").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/konto/losenord")
    expect(page.get_by_label("Nuvarande lösenord")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("kort")
    page.keyboard.press("Tab")
    page.keyboard.type("kort")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Lösenordet behöver minst 12 tecken.")).to_be_visible()
    shot(page, "account-password-refused.png")
    page.get_by_label("Nuvarande lösenord").fill(PASSWORD)
    page.get_by_label("Nytt lösenord").fill(NEW)
    page.get_by_label("Upprepa det nya lösenordet").fill(NEW)
    page.get_by_label("Upprepa det nya lösenordet").press("Enter")
    expect(page.get_by_text("Lösenordet är bytt.")).to_be_visible()
    shot(page, "account-password-changed.png")
    page.get_by_role("button", name="Logga ut", exact=True).click()
    login_with_keyboard(page, base, password=NEW)
