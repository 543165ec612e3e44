"""One matter from the first contact to the answer, in a real browser, with real mail.

A guide refers a question with the citizen's details; the handler sees them and the
original e-mail of a second matter; that answer goes to the citizen by e-mail through a
real SMTP server on loopback; the guide calls the first citizen back from a list that
puts the newest answer first. Screenshots land in test-artifacts/ for people to look at.
"""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from frontdesk.extensions import db
from frontdesk.models import Contact, InboxMessage, MailState, OutgoingMail, Referral
from tests.conftest import make_app
from tests.helpers import serving
from tests.test_browser import _seed, axe_violations, login_with_keyboard, shot

pytestmark = pytest.mark.browser
MAIL = Path(__file__).parent / "mail"
QUESTION = "Kan kortet skickas hem i stället? Jag har svårt att ta mig till kontoret."


@pytest.fixture
def live(sqlite_template, tmp_path, smtp_server):
    """The app with mail on: a real SMTP server, and attachments kept on disk."""
    server = smtp_server()
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(
        f"sqlite:///{path}",
        COUNTER_POLL_SECONDS=1,
        SMTP_URL=server.url,
        MAIL_FROM="Medborgarkontoret <noreply@kommun.example.se>",
        MAIL_ATTACHMENTS_DIR=str(tmp_path / "bilagor"),
    )
    _seed(app)
    with serving(app) as base:
        yield app, base, server, tmp_path


def _fetch_mail(app, tmp_path):
    folder = tmp_path / "maildir"
    folder.mkdir()
    shutil.copy(MAIL / "with_attachment.eml", folder / "1.eml")
    result = app.test_cli_runner().invoke(
        args=["fetch-mail", "--maildir", str(folder), "--office", "K1"]
    )
    assert result.exit_code == 0, result.output


def test_one_matter_across_the_handoff(live, page, playwright_browser):
    app, base, server, tmp_path = live
    _fetch_mail(app, tmp_path)

    # The guide: a question above the mandate, with who to reach and the question.
    login_with_keyboard(page, base, "anna")
    page.keyboard.type("park")
    page.keyboard.press("Enter")
    page.keyboard.press("6")
    page.locator("[name=question]").wait_for(state="visible")
    page.locator("[name=citizen_name]").fill("Sven Ek")
    page.locator("[name=citizen_phone]").fill("070-123 45 67")
    page.locator("[name=question]").fill(QUESTION)
    shot(page, "handoff-counter-citizen.png")
    page.locator("#contact-form button[type=submit]").click()
    page.locator("#decision .decision-referred").wait_for()
    with app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        assert (contact.citizen_phone, contact.question) == ("+46701234567", QUESTION)

    # The guide triages the e-mail in the inbox into a referral too.
    page.goto(f"{base}/inkorg/")
    page.get_by_role("link", name="Kvitto och ritning bifogade").click()
    page.locator("[name=case_type]").first.fill("PARK")
    page.locator("[name=case_type]").first.press("Enter")
    page.locator("input[name=rosa_level][value='6']").first.check(force=True)
    page.get_by_role("button", name="Triagera").click()
    page.wait_for_url(f"{base}/inkorg/")
    with app.app_context():
        message = db.session.scalars(sa.select(InboxMessage)).one()
        assert message.status == "triaged"
        mailed_referral = db.session.scalar(
            sa.select(Referral.id).where(Referral.contact_id == message.contact_id)
        )
        counter_referral = db.session.scalar(
            sa.select(Referral.id).where(Referral.contact_id == contact.id)
        )

    # The handler: who to reach and the question, and the original e-mail.
    handler_context = playwright_browser.new_context(viewport={"width": 1366, "height": 900})
    handler = handler_context.new_page()
    login_with_keyboard(handler, base, "erik", lands_on="/remisser/")
    handler.goto(f"{base}/remisser/{counter_referral}")
    citizen = handler.locator(".citizen-matter")
    assert "Sven Ek" in citizen.inner_text() and QUESTION in citizen.inner_text()
    assert handler.locator("a[href='tel:+46701234567']").inner_text() == "070-123 45 67"
    handler.get_by_role("button", name="Ta remissen").click()
    handler.get_by_label("Svar till medborgaren", exact=True).fill(
        "Ja, kortet skickas hem. Ring om du har frågor."
    )
    handler.get_by_label("Disken ringer upp medborgaren").check()
    shot(handler, "handoff-referral-citizen.png")
    assert axe_violations(handler) == []
    handler.get_by_role("button", name="Skicka svaret").click()
    handler.locator(".flash", has_text="Svaret är skickat till disken").wait_for()

    handler.goto(f"{base}/remisser/{mailed_referral}")
    source = handler.locator(".source-message")
    assert "bo.ek@example.se" in source.inner_text()
    assert "kvittot och ritningen" in source.inner_text()
    with handler.expect_download() as download_info:
        source.get_by_role("link", name="kvitto.pdf").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")
    handler.get_by_role("button", name="Ta remissen").click()
    handler.get_by_label("Svar till medborgaren", exact=True).fill("Ritningen är godkänd.")
    handler.get_by_label("Skicka svaret med e-post till medborgaren").check()
    handler.get_by_role("button", name="Skicka svaret").click()
    handler.locator(".flash", has_text="skickas med e-post").wait_for()
    shot(handler, "handoff-referral-mailed.png")
    assert "Väntar på att skickas" in handler.locator("#mail-heading + ul").inner_text()

    # The deliverer sends it through the real SMTP server; the page shows it sent.
    result = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    (received,) = server.messages
    assert received.rcpt_tos == ["bo.ek@example.se"]
    assert "Ritningen är godkänd." in received.message.get_content()
    handler.reload()
    assert "Skickat" in handler.locator("#mail-heading + ul").inner_text()
    with app.app_context():
        assert db.session.scalars(sa.select(OutgoingMail.state)).all() == [MailState.SENT]
    handler_context.close()

    # The guide: the callback with the number to call, newest answer first.
    page.goto(f"{base}/disk")
    card = page.locator("#callbacks .callback").first
    card.wait_for()
    assert "070-123 45 67" in card.inner_text() and QUESTION in card.inner_text()
    shot(page, "handoff-counter-callback.png")
    card.get_by_role("button", name="Uppringd – klar").focus()
    page.keyboard.press("Enter")
    page.locator("#callbacks", has_text="Inga svar väntar på återkoppling.").wait_for()
    # The focus stays in the list (on its heading when no call-back is left), not at the top.
    expect(page.locator("#callbacks-heading")).to_be_focused()
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Referral.status)))
        assert statuses == {"avslutad"}
