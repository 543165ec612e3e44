"""The waiting room in a real browser: kiosk, desk, screen and the tablet's NKI questions.

A visitor takes a ticket on the kiosk by touch; the guide presses Nästa; the screen in
the waiting room shows the number and desk within a poll; the guide logs the visit
(tied to the ticket); the tablet asks the three questions and the answer is stored.
Screenshots land in test-artifacts/.
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from frontdesk.extensions import db
from frontdesk.models import Contact, FeedbackAnswer
from frontdesk.visitors.views import device_key
from tests.test_browser import (
    axe_violations,
    live_app,
    log_with_keyboard,
    login_with_keyboard,
    shot,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_template, tmp_path):
    with live_app(sqlite_template, tmp_path, poll_seconds=1) as served:
        yield served


def test_a_visit_from_kiosk_to_screen_to_tablet(live, playwright_browser, page):
    app, base = live
    with app.test_request_context():
        key = device_key("K1")

    # The kiosk: a touch screen, no keyboard, no login.
    kiosk = playwright_browser.new_context(
        viewport={"width": 1080, "height": 1920}, has_touch=True, locale="sv-SE"
    ).new_page()
    kiosk.goto(f"{base}/ko/K1/kiosk?nyckel={key}")
    expect(kiosk.get_by_role("heading", name="Välkommen till")).to_be_visible()
    shot(kiosk, "kiosk.png")
    assert axe_violations(kiosk) == []
    kiosk.get_by_role("button", name="Annat / vet inte").tap()
    expect(kiosk.locator("#ticket-number")).to_have_text("1")
    expect(kiosk.get_by_text("Du är först i kön.")).to_be_visible()
    shot(kiosk, "kiosk-ticket.png")

    # The screen in the waiting room.
    screen = playwright_browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    screen.goto(f"{base}/ko/K1/skarm?nyckel={key}")
    expect(screen.locator("#screen-waiting")).to_have_text("1 väntar")

    # The desk: Nästa calls the visitor; the screen follows within a poll.
    login_with_keyboard(page, base, "anna")
    expect(page.locator("#queue-status")).to_contain_text("1 väntar")
    page.fill("#queue-desk", "3")
    page.get_by_role("button", name="Nästa").click()
    expect(page.locator(".queue-called")).to_contain_text("Nummer 1")
    expect(page.locator("#ticket-field input[name=ticket]")).to_have_count(1)
    shot(page, "desk-queue.png")
    expect(screen.locator("#latest-number")).to_have_text("1", timeout=10_000)
    expect(screen.locator("#latest-desk")).to_have_text("Disk 3")
    shot(screen, "waiting-room-screen.png")
    assert axe_violations(screen) == []

    # The guide logs the visit: it is tied to the ticket.
    page.locator("#case_type").focus()
    log_with_keyboard(page, "ekon", 1)
    expect(page.locator("#decision")).to_contain_text("Besvarat i disken")
    expect(page.locator(".queue-called")).to_have_count(0, timeout=10_000)
    with app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        assert contact.ticket_id is not None and contact.wait_seconds is not None

    # The tablet facing the visitor asks the three questions of that visit.
    tablet = playwright_browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, locale="sv-SE"
    ).new_page()
    login_with_keyboard(tablet, base, "anna")
    tablet.goto(f"{base}/disk/surfplatta")
    expect(tablet.get_by_role("heading", name="Vad tyckte du om besöket?")).to_be_visible()
    shot(tablet, "tablet-questions.png")
    assert axe_violations(tablet) == []
    for question, value in (("q1", "9"), ("q2", "8"), ("q3", "10")):
        tablet.locator(f"input[name={question}][value='{value}'] + span").tap()
    tablet.get_by_role("button", name="Skicka svaret").tap()
    expect(tablet.get_by_text("Tack för ditt svar!")).to_be_visible()
    shot(tablet, "tablet-thanks.png")
    expect(tablet.get_by_text("Välkommen!")).to_be_visible(timeout=10_000)
    with app.app_context():
        answer = db.session.scalars(sa.select(FeedbackAnswer)).one()
        assert (answer.q1, answer.q2, answer.q3, answer.channel) == (9, 8, 10, "besok")
