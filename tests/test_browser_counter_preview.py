"""The counter's routing preview in a real browser: asked from the server, never decided
on the page. The mandates' poll is slowed right down here, so what the page shows after
a mandate change can only have come from the preview request itself.
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from frontdesk.models import Contact
from tests.helpers import count, one
from tests.test_browser import QUESTION, axe_violations, live_app, login_with_keyboard, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def quiet_server(sqlite_template, tmp_path):
    """The app without the page's mandate poll getting a say during a test."""
    with live_app(sqlite_template, tmp_path, poll_seconds=600) as served:
        yield served


def _set_mandate(app, level):
    from frontdesk.extensions import db
    from frontdesk.mandates.operations import set_mandate
    from frontdesk.models import CaseType, Office

    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        set_mandate(office, park, level, "Nytt avtal", None)
        db.session.commit()
        db.engine.dispose()


def _marked_levels(page) -> list[str]:
    return page.eval_on_selector_all(
        "#contact-form .level.above-mandate", "cards => cards.map(c => c.dataset.level)"
    )


def test_the_preview_follows_the_server_and_a_referral_asks_for_the_question(quiet_server, page):
    app, base = quiet_server
    requests = []
    page.on(
        "request",
        lambda request: requests.append(request.url) if "forhandsvisning" in request.url else None,
    )
    login_with_keyboard(page, base)
    preview = page.locator("#route-preview")
    citizen = page.locator("#citizen-section")

    page.keyboard.type("park")
    page.locator("#case-type-options li").first.wait_for()
    page.keyboard.press("Enter")
    # The case type alone: the server says which levels it would refer, nothing else yet.
    expect(page.locator("#contact-form .level.above-mandate")).to_have_count(5)
    assert _marked_levels(page) == ["4", "5", "6", "7", "8"]
    page.keyboard.press("2")
    preview.locator("[data-outcome=informerat]").wait_for()
    assert preview.inner_text() == "Nivå 2 ryms i mandatet (3): besvaras i disken."
    assert page.input_value("#previewed_outcome") == "informerat"
    assert citizen.is_hidden()

    # A manager lowers the mandate while the page is open: the next level the guide picks
    # is previewed with it at once, with no reload and no poll in between.
    _set_mandate(app, 1)
    page.keyboard.press("3")
    preview.locator("[data-outcome=eskalerat]").wait_for()
    assert preview.inner_text() == (
        "Nivå 3 är över mandatet (1): remiss till Gata och park. Skriv frågan till handläggaren."
    )
    assert "refer" in preview.get_attribute("class")
    assert preview.get_attribute("aria-live") == "polite"
    assert preview.get_attribute("aria-busy") is None  # the answer is in: read it out
    assert _marked_levels(page) == ["2", "3", "4", "5", "6", "7", "8"]
    assert page.input_value("#previewed_outcome") == "eskalerat"
    # The answer carried the new mandate: the guidance card is fetched again, and says so.
    page.locator("#guidance .guidance-card[data-mandate='1']").wait_for()
    assert "Disken hanterar upp till nivå 1" in page.locator("#guidance").inner_text()
    assert "Mandaten har ändrats" in page.locator("#catalogue-status").inner_text()
    # A referral: the question section shows, required.
    citizen.wait_for()
    assert page.get_attribute("#question", "aria-required") == "true"
    # Asked for the case type, then each level: the page decided nothing itself.
    assert [url.split("?")[1] for url in requests] == [
        "case_type=PARK",
        "case_type=PARK&rosa_level=2",
        "case_type=PARK&rosa_level=3",
    ]
    shot(page, "counter-preview-referral.png")
    assert axe_violations(page) == []

    # Enter on the level goes to the question; Ctrl+Enter sends. The server agrees.
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Control+Enter")
    page.locator("#decision .decision-referred").wait_for()
    assert "Mandatet har ändrats" not in page.locator("#decision").inner_text()
    assert one(app, Contact).outcome == "eskalerat"


def test_put_through_and_quick_changes_end_on_the_last_choice(quiet_server, page):
    app, base = quiet_server
    login_with_keyboard(page, base)
    preview = page.locator("#route-preview")
    page.keyboard.type("park")
    page.locator("#case-type-options li").first.wait_for()
    page.keyboard.press("Enter")
    # Digits faster than any answer: each newer question overtakes the one before.
    for digit in "5412":
        page.keyboard.press(digit)
    preview.locator("[data-outcome=informerat]").wait_for()
    page.wait_for_timeout(300)  # an overtaken answer arriving late must not win
    assert preview.inner_text() == "Nivå 2 ryms i mandatet (3): besvaras i disken."

    page.keyboard.press("6")
    preview.locator("[data-outcome=eskalerat]").wait_for()
    page.get_by_label("Kopplat vidare").check()
    preview.locator("[data-outcome=kopplat]").wait_for()
    assert preview.inner_text() == "Kopplas vidare till Tekniska förvaltningen – ingen remiss."
    assert page.input_value("#previewed_outcome") == "kopplat"
    # Put through: no question needed, Enter on the level sends.
    page.locator("input[name=rosa_level][value='6']").focus()
    page.keyboard.press("Enter")
    page.locator("#decision .decision-connected").wait_for()
    assert count(app, Contact) == 1 and one(app, Contact).outcome == "kopplat"
