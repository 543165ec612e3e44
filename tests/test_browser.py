"""The counter in a real browser: Playwright driving the system's Chromium, keyboard only.

Screenshots land in test-artifacts/ for people to look at.
"""

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from frontdesk.models import Contact, Referral
from tests.conftest import PASSWORD, make_app
from tests.helpers import count, serving

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@contextmanager
def live_app(sqlite_template, tmp_path, poll_seconds: int):
    """The app on a loopback port, on a SQLite copy with the test municipality."""
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", COUNTER_POLL_SECONDS=poll_seconds)
    _seed(app)
    with serving(app) as base:
        yield app, base


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    with live_app(sqlite_template, tmp_path, poll_seconds=1) as served:
        yield served


def _seed(app):
    from frontdesk.catalog import import_catalog
    from frontdesk.extensions import db
    from frontdesk.models import Office, Organisation, User
    from tests.conftest import TEST_CATALOG

    with app.app_context():
        import_catalog(TEST_CATALOG)
        db.session.flush()
        k1 = db.session.query(Office).filter_by(code="K1").one()
        for username in ("anna", "omar"):
            user = User(
                username=username, display_name=username.title(), role="vagledare", office=k1
            )
            user.set_password(PASSWORD)
            db.session.add(user)
        tek = db.session.query(Organisation).filter_by(code="TEK").one()
        erik = User(username="erik", display_name="Erik", role="handlaggare", organisation=tek)
        erik.set_password(PASSWORD)
        db.session.add(erik)
        db.session.commit()
        db.engine.dispose()


def login_with_keyboard(page, base, username="anna", lands_on="/disk", password=PASSWORD):
    page.goto(f"{base}/login")
    # The username field has autofocus; on a loaded machine the first keys can come
    # before the browser has applied it, so wait for the focus as a person would see it.
    expect(page.locator("[name=username]")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{lands_on}")


QUESTION = "Hur ansöker jag, och hur lång tid tar det?"


def log_with_keyboard(page, search: str, level: int, question: str | None = None) -> None:
    """Letters of the case type, Enter, the level's digit, Enter: the counter's whole flow.

    A referral needs the question: Enter on the level goes to it, Ctrl+Enter sends.
    Waits for counter.js to have set the form up (its deferred script): typed before
    that, the digit lands in the case-type field and the contact is refused (seen in CI).
    """
    expect(page.locator("form[data-counter-form][data-ready]")).to_have_count(1)
    page.keyboard.type(search)
    page.keyboard.press("Enter")
    page.keyboard.press(str(level))
    page.keyboard.press("Enter")
    if question:
        expect(page.locator("#question")).to_be_focused()
        page.keyboard.type(question)
        page.keyboard.press("Control+Enter")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_log_contacts_with_the_keyboard_only(live_server, page):
    app, base = live_server
    page.goto(f"{base}/login")
    shot(page, "login.png")
    login_with_keyboard(page, base)
    assert page.evaluate("document.activeElement.id") == "case_type"

    # Above the mandate: "park", then Enter, 4, Enter (three presses after the letters).
    page.keyboard.type("park")
    page.locator("#case-type-options li").first.wait_for()
    page.keyboard.press("Enter")
    page.locator(".guidance-card").wait_for()
    page.keyboard.press("4")
    # The server's preview (GET /disk/forhandsvisning) arrives a moment after the digit.
    page.locator("#route-preview", has_text="remiss till Gata och park").wait_for()
    # A referral: Enter goes to the question (now shown) instead of sending without it.
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_focused()
    assert count(app, Contact) == 0
    page.keyboard.type(QUESTION)
    shot(page, "counter-before-submit.png")
    page.keyboard.press("Control+Enter")
    decision = page.locator("#decision .decision")
    decision.wait_for()
    assert "Remiss skapad till Gata och park" in decision.inner_text()
    page.locator("#today tr", has_text="Parkeringstillstånd").wait_for()
    assert count(app, Referral) == 1

    # The form is ready for the next contact, focus back in the case-type field.
    expect(page.locator("#case_type")).to_be_focused()
    log_with_keyboard(page, "ekon", 1)
    page.locator("#decision .decision-answered").wait_for()
    assert "Besvarat i disken" in page.locator("#decision").inner_text()
    page.locator("#today-summary", has_text="2 kontakter").wait_for()
    assert count(app, Contact) == 2
    shot(page, "counter.png")


def test_channel_by_access_key_and_errors_next_to_the_field(live_server, page):
    app, base = live_server
    login_with_keyboard(page, base)
    page.keyboard.press("Alt+t")
    assert page.locator("input[name=channel][value=telefon]").is_checked()
    page.locator("#case_type").focus()
    page.keyboard.type("zzz")
    page.keyboard.press("Enter")  # nothing matches: the form is sent and refused
    error = page.locator("#case_type-error")
    error.wait_for()
    assert "Okänd ärendetyp" in error.inner_text()
    assert count(app, Contact) == 0
    # The channel chosen is kept after the refusal.
    assert page.locator("input[name=channel][value=telefon]").is_checked()
    shot(page, "counter-error.png")


def test_list_updates_from_a_colleagues_contact_without_reload(
    live_server, page, playwright_browser
):
    app, base = live_server
    login_with_keyboard(page, base, "anna")
    other_context = playwright_browser.new_context()
    other = other_context.new_page()
    login_with_keyboard(other, base, "omar")
    log_with_keyboard(other, "FKBARN", 2)
    other.locator("#decision .decision").wait_for()
    other_context.close()
    # Anna's page polls and shows Omar's contact without a reload.
    page.locator("#today tr", has_text="Föräldrapenning").wait_for(timeout=8_000)
    assert "Omar" in page.locator("#today").inner_text()


def test_repeat_flag_and_delete_from_the_list(live_server, page):
    app, base = live_server
    login_with_keyboard(page, base)
    log_with_keyboard(page, "ekb", 2)
    row = page.locator("#today tr", has_text="Ekonomiskt bistånd")
    row.wait_for()
    row.get_by_role("button", name="Upprepad").click()
    page.locator("#today .badge-repeat").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#today tr", has_text="Ekonomiskt bistånd").get_by_role(
        "button", name="Ta bort"
    ).click()
    page.locator("#today", has_text="Inga kontakter ännu i dag.").wait_for()
    assert count(app, Contact) == 0


AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"


def axe_violations(page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA problems that axe-core finds on the page.

    axe is evaluated through the DevTools protocol, not added as a <script> tag: the
    pages' Content-Security-Policy refuses inline scripts, as it should.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]});
            return r.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
        }"""
    )
    return result


def test_pages_pass_axe_accessibility_checks(live_server, page):
    app, base = live_server
    page.goto(f"{base}/login")
    assert axe_violations(page) == []
    login_with_keyboard(page, base)
    page.keyboard.type("park")
    page.keyboard.press("Enter")
    page.locator(".guidance-card").wait_for()
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    assert axe_violations(page) == []  # the citizen's section, shown for the referral
    page.keyboard.type(QUESTION)
    page.keyboard.press("Control+Enter")
    page.locator("#decision .decision").wait_for()
    page.locator("#today tr", has_text="Parkeringstillstånd").wait_for()
    assert axe_violations(page) == []
    page.goto(f"{base}/mandat/")
    shot(page, "mandates.png")
    assert axe_violations(page) == []


def test_the_accessibility_check_can_fail(page):
    """Guard for the check above: a field without a label and low-contrast text are reported."""
    page.set_content(
        '<html lang="sv"><head><title>t</title></head><body><main>'
        '<input type="text"><p style="color:#ccc;background:#fff">svag text</p></main></body></html>'
    )
    problems = axe_violations(page)
    assert any(p.startswith("label") for p in problems)
    assert any(p.startswith("color-contrast") for p in problems)


def test_handler_answers_and_the_guide_sees_the_callback_without_reload(
    live_server, page, playwright_browser
):
    app, base = live_server
    login_with_keyboard(page, base, "anna")
    log_with_keyboard(page, "park", 6, QUESTION)
    page.locator("#decision .decision-referred").wait_for()
    assert page.locator("#callback-count").inner_text() == "0"

    handler_context = playwright_browser.new_context(viewport={"width": 1366, "height": 900})
    handler = handler_context.new_page()
    login_with_keyboard(handler, base, "erik", lands_on="/remisser/")
    row = handler.locator("#queue-list tr", has_text="Parkeringstillstånd")
    row.wait_for()
    shot(handler, "queue.png")
    assert axe_violations(handler) == []
    row.get_by_role("link").click()
    handler.get_by_role("button", name="Ta remissen").click()
    handler.locator(".flash", has_text="Remissen är din.").wait_for()
    assert axe_violations(handler) == []
    handler.get_by_label("Svar till medborgaren").fill(
        "Tillståndet är beviljat, kortet skickas med post."
    )
    shot(handler, "referral.png")
    handler.get_by_role("button", name="Skicka svaret").click()
    handler.locator(".flash", has_text="Svaret är skickat till disken").wait_for()
    handler_context.close()

    # The guide's counter polls: the answer appears without a reload.
    page.locator("#callbacks .callback", has_text="kortet skickas med post").wait_for(timeout=8_000)
    assert page.locator("#callback-count").inner_text() == "1"
    shot(page, "counter-callback.png")
    page.get_by_role("button", name="Uppringd – klar").click()
    page.locator("#callbacks", has_text="Inga svar väntar på återkoppling.").wait_for()
    with app.app_context():
        from frontdesk.extensions import db
        from frontdesk.models import Referral

        assert db.session.scalars(sa.select(Referral)).one().status == "avslutad"
