"""The manager's ROSA pages in a real browser: staircase, approval that changes the counter,
process-map editing and the what-if, each checked with axe-core and photographed."""

import re
import shutil
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_app
from tests.helpers import serving
from tests.test_browser import (
    QUESTION,
    axe_violations,
    log_with_keyboard,
    login_with_keyboard,
    shot,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def rosa_server(sqlite_template, tmp_path):
    """The app with the test municipality, a chef, a guide and two months of history."""
    from frontdesk.catalog import import_catalog
    from frontdesk.counter.operations import ContactInput, log_contact
    from frontdesk.extensions import db
    from frontdesk.models import CaseType, Office, User
    from frontdesk.timeutil import utcnow
    from tests.conftest import TEST_CATALOG

    path = tmp_path / "rosa.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", COUNTER_POLL_SECONDS=1)
    with app.app_context():
        import_catalog(TEST_CATALOG)
        k1 = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        users = {}
        for username, role in (("anna", "vagledare"), ("karin", "chef")):
            user = User(username=username, display_name=username.title(), role=role, office=k1)
            user.set_password(PASSWORD)
            db.session.add(user)
            users[username] = user
        db.session.flush()
        types = {ct.code: ct for ct in db.session.scalars(sa.select(CaseType))}
        spec = {("PARK", 1): 25, ("PARK", 2): 40, ("PARK", 4): 10, ("PARK", 5): 7}
        spec |= {("EKB", 2): 5, ("EKB", 3): 5, ("EKB", 6): 12, ("FKBARN", 1): 8}
        for (code, level), n in spec.items():
            for i in range(n):
                log_contact(
                    ContactInput(
                        office=k1,
                        channel="telefon",
                        case_type=types[code],
                        rosa_level=level,
                        duration_seconds=300,
                        occurred_at=utcnow() - timedelta(days=5 + i % 50),
                    ),
                    users["anna"],
                )
        db.session.commit()
        db.engine.dispose()
    with serving(app) as base:
        yield app, base


def test_staircase_page_filters_without_reload(rosa_server, page):
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}/rosa/trappan")
    table = page.locator("#stair-table")
    # 25 + 40 + 5 of 107 contacts lie at levels 1-2 ... the table shows the study's shape.
    assert (
        table.locator("tr", has_text="Information/upplysning").inner_text().split("\t")[2] == "33"
    )
    page.select_option("#f-case-type", "EKB")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**case_type=EKB**")
    page.locator(".summary", has_text="22 kontakter").wait_for()
    shot(page, "rosa-staircase.png")
    assert axe_violations(page) == []


def test_approval_changes_how_the_counter_routes(rosa_server, page, playwright_browser):
    _, base = rosa_server
    guide_context = playwright_browser.new_context(viewport={"width": 1366, "height": 900})
    guide = guide_context.new_page()
    login_with_keyboard(guide, base, "anna")
    log_with_keyboard(guide, "park", 4, QUESTION)
    guide.locator("#decision .decision-referred").wait_for()

    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}/rosa/rekommendationer")
    proposal = page.locator("#proposal-PARK")
    assert "mandat 3 → 4" in proposal.inner_text()
    assert "Svag kandidat" in page.locator("#proposal-EKB").inner_text()
    shot(page, "rosa-recommendations.png")
    assert axe_violations(page) == []
    # Keyboard only: the radio, the note, Enter.
    proposal.get_by_label("Godkänn").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # past the checked radio's group, into the note
    expect(proposal.get_by_label("Motivering")).to_be_focused()
    page.keyboard.type("Rutinbeslut, enligt avtal med TEK")
    page.keyboard.press("Enter")
    page.locator(".flash", has_text="har nu mandat 4").wait_for()
    # The decision just made stays in view, at the top.
    expect(page.locator("#beslutat-nyss")).to_contain_text("Parkeringstillstånd")
    expect(page.locator("#beslutat-nyss")).to_contain_text("Rutinbeslut, enligt avtal med TEK")
    expect(page.locator("#beslutat-nyss")).to_be_in_viewport()
    shot(page, "rosa-recommendation-decided.png")

    # The guide's counter, open all along, learns the new mandate by itself (it polls),
    # and the next level-4 parking contact is previewed and answered at the desk.
    guide.locator("#catalogue-status", has_text="Mandaten har ändrats").wait_for(timeout=8_000)
    guide.keyboard.type("park")
    guide.keyboard.press("Enter")
    guide.keyboard.press("4")
    guide.locator("#route-preview", has_text="ryms i mandatet (4)").wait_for()
    guide.keyboard.press("Enter")
    guide.locator("#decision .decision-answered").wait_for()
    assert "Mandatet har ändrats" not in guide.locator("#decision").inner_text()
    guide_context.close()


def test_manager_maps_a_process_and_sees_the_diagram(rosa_server, page):
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}/processer/PARK")
    for name, level, actor in (
        ("Ta emot ansökan", "1", "front"),
        ("Kontrollera underlag", "3", "back"),
        ("Besluta enligt regler", "4", "back"),
        ("Pröva särskilda skäl", "6", "back"),
    ):
        page.fill("#new-name", name)
        page.select_option("#new-level", level)
        page.select_option("#new-actor", actor)
        page.locator("#new-minutes").fill("10")
        page.locator("#new-minutes").press("Enter")
        page.locator(".flash", has_text="ny version").wait_for()
    diagram = page.locator("figure.process-diagram > svg")
    assert diagram.get_attribute("role") == "img"
    assert page.locator("#move-analysis").inner_text().count("Kontrollera underlag") == 1
    page.select_option("#mandate-select", "4")
    page.get_by_role("button", name="Analysera").click()
    page.locator("#move-analysis", has_text="Flytten hjälper").wait_for()
    shot(page, "rosa-process-map.png")
    assert axe_violations(page) == []
    # The step table is one form: an edit is marked as unsaved until "Spara stegen".
    note = page.locator("#unsaved-note")
    expect(note).to_have_text("")
    page.fill("#rows-1-name", "Kontrollera allt underlag")
    page.select_option("#rows-2-level", "5")
    expect(note).to_have_text("2 rader har osparade ändringar.")
    expect(page.locator("#row-2")).to_have_class("row-changed")
    shot(page, "rosa-process-steps-unsaved.png")
    # Leaving now asks first.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    expect(page.locator("#unsaved-note")).to_have_text("2 rader har osparade ändringar.")
    assert dialogs == ["beforeunload"]
    page.get_by_role("button", name="Spara stegen").click()
    page.locator(".flash", has_text="ny version").wait_for()
    expect(page.locator("#rows-1-name")).to_have_value("Kontrollera allt underlag")
    expect(page.locator("#unsaved-note")).to_have_text("")


def test_what_if_updates_in_place(rosa_server, page):
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}/rosa/vad-om")
    before = page.locator("#whatif-summary").inner_text()
    page.select_option("#t-PARK", "5")
    page.get_by_role("button", name="Räkna").click()
    page.locator("#whatif-summary", has_text="Med valda nivåer").wait_for()
    # (A locator wait, not wait_for_function: its polling evaluates a string, which the
    # page's Content-Security-Policy refuses as eval.)
    expect(page.locator("#whatif-summary")).not_to_have_text(before)
    assert "1 → 1" not in page.locator("#whatif-result").inner_text()
    # The result column holds its per-case-type table: the page is no wider than the
    # window at 1366 px (it once was 1444 px wide).
    expect(page.locator("#whatif-rows")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # The moved hours lead on to the staffing they need.
    expect(page.locator("#whatif-staffing")).to_have_attribute("href", re.compile("flytt_timmar="))
    shot(page, "rosa-what-if.png")
    assert axe_violations(page) == []


def test_channel_report_and_inbox_pass_axe(rosa_server, page):
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}/kanaler/")
    page.locator("#parity").wait_for()
    assert "Telefon" in page.locator("#parity").inner_text()
    shot(page, "channels.png")
    assert axe_violations(page) == []
    page.goto(f"{base}/inkorg/")
    assert axe_violations(page) == []
    page.goto(f"{base}/inkorg/brev")
    shot(page, "letter.png")
    assert axe_violations(page) == []
