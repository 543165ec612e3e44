"""The manager's overview in a real browser: filter, read the figures, download the list."""

import csv
import io

import pytest

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
    with open(download.path(), encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert len(rows) == 22
    assert {row["case_type"] for row in rows} == {"EKB"}
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
