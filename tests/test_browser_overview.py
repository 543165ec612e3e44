"""The manager's overview in a real browser: filter, read the figures, download the list."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.test_browser import axe_violations, login_with_keyboard, shot
from tests.test_browser_rosa import rosa_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
PAGES = {
    "/oversikt/": "overview-volumes.png",
    "/oversikt/timmar": "overview-hours.png",
    "/oversikt/forsta-kontakten": "overview-resolution.png",
    "/oversikt/remisser": "overview-referrals.png",
    "/oversikt/uppdrag": "overview-breadth.png",
    "/oversikt/kontakter": "overview-contacts.png",
    "/oversikt/vantetider": "overview-waiting.png",
    "/oversikt/nki": "overview-nki.png",
    "/bemanning/": "staffing.png",
}


def test_manager_filters_the_overview_and_downloads_the_contacts(rosa_server, page):  # noqa: F811
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.get_by_role("link", name="Översikt").click()
    page.wait_for_url(f"{base}/oversikt/")
    assert page.locator("svg[role=img]").count() >= 2
    # 112 contacts in the history, 22 of them about ekonomiskt bistånd.
    assert "112 kontakter" in page.locator("#channel-heading + p").inner_text()
    page.select_option("#f-case-type", "EKB")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**case_type=EKB**")
    assert "22 kontakter" in page.locator("#channel-heading + p").inner_text()
    shot(page, "overview-filtered.png")
    assert axe_violations(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Kontakter (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "kontakter.csv"
    # The page's CSV is for Swedish Excel: a byte order mark, `;`, Swedish headers.
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(io.StringIO(file.read()), delimiter=";"))
    assert len(rows) == 22
    assert {row["Ärendetyp"] for row in rows} == {"EKB"}
    # The filter follows to the other pages through their tabs.
    page.get_by_role("link", name="Första kontakten").click()
    page.wait_for_url("**/oversikt/forsta-kontakten?**case_type=EKB**")


@pytest.mark.parametrize("path", PAGES)
def test_every_overview_page_passes_axe(rosa_server, page, path):  # noqa: F811
    _, base = rosa_server
    login_with_keyboard(page, base, "karin")
    page.goto(f"{base}{path}")
    shot(page, PAGES[path])
    assert axe_violations(page) == []


# Elements of the page that scroll on their own (a box inside the page), and how far the
# page reaches past the window's right edge.
LAYOUT = """() => {
  const boxes = [...document.querySelectorAll('main *')].filter(e => {
    const style = getComputedStyle(e);
    return /(auto|scroll)/.test(style.overflowY) && e.scrollHeight > e.clientHeight + 1;
  }).map(e => e.tagName + '#' + e.id + '.' + e.className);
  return {boxes, overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.mark.parametrize("width", [800, 1366, 1920])
def test_overview_pages_fit_the_window_without_boxes_that_scroll(rosa_server, page, width):  # noqa: F811
    _, base = rosa_server
    page.set_viewport_size({"width": width, "height": 900})
    login_with_keyboard(page, base, "karin")
    for path, name in PAGES.items():
        page.goto(f"{base}{path}")
        layout = page.evaluate(LAYOUT)
        assert layout["boxes"] == [], (path, width)
        # At 800 px only a table wider than the window may reach past it (inside its
        # sideways-scrolling region); from a laptop's width up, nothing does.
        assert layout["overflow"] <= 0, (path, width, layout)
        if path == "/oversikt/":
            # All eight levels, the last one inside the window, not behind a scroll.
            level_8 = page.locator("#by-level th", has_text="Nivå 8")
            level_8.scroll_into_view_if_needed()
            expect(level_8).to_be_in_viewport()
            box = level_8.bounding_box()
            assert box["x"] + box["width"] <= width
        shot(page, name.replace(".png", f"-{width}.png"))
