"""*Sök i vägledningen* in a real browser, with the keyboard only."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_browser import live_app, login_with_keyboard, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    with live_app(sqlite_template, tmp_path, poll_seconds=1) as served:
        app, base = served
        from frontdesk.catalog import import_catalog
        from frontdesk.extensions import db

        with app.app_context():
            import_catalog(
                {
                    "case_types": [
                        {
                            "code": "FKBARN",
                            "name": "Föräldrapenning och barnbidrag",
                            "organisation": "FK",
                            "guidance": "Hänvisa till Mina sidor. Vid vab: anmäl samma dag.",
                            "guidance_keywords": ["vab", "föräldraledighet"],
                            "guidance_links": [
                                {
                                    "title": "Försäkringskassan: Föräldrapenning",
                                    "url": "https://www.forsakringskassan.se/privatperson/"
                                    "foralder/foraldrapenning",
                                }
                            ],
                        }
                    ]
                }
            )
            db.session.commit()
        yield served


def test_search_the_guidance_and_open_a_hit_with_the_keyboard(live_server, page):
    _app, base = live_server
    login_with_keyboard(page, base)
    page.get_by_label("Sök i vägledningen").focus()
    page.keyboard.type("FÖRÄLDRALEDIGHET")
    page.keyboard.press("Enter")
    results = page.locator("#guidance-results")
    expect(results).to_have_attribute("aria-live", "polite")
    hit = results.get_by_role("link", name="FKBARN Föräldrapenning och barnbidrag")
    expect(hit).to_be_visible()
    # htmx wires the new hits up as the swap settles (about 20 ms): a person is slower than
    # that, Playwright is not. Until then Enter would follow the link as a plain page.
    expect(page.locator("#guidance-results .htmx-added")).to_have_count(0)
    expect(results).not_to_have_class(re.compile(r"\bhtmx-(swapping|settling)\b"))
    page.keyboard.press("Tab")  # the Sök button
    page.keyboard.press("Tab")  # the first hit
    expect(hit).to_be_focused()
    page.keyboard.press("Enter")
    card = page.locator("#guidance .guidance-card")
    expect(card).to_have_attribute("data-case-type", "FKBARN")
    link = card.get_by_role("link", name="Försäkringskassan: Föräldrapenning")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert page.url == f"{base}/disk"  # htmx swapped the card in; no page load
    shot(page, "guidance-search.png")
