"""The screener and the application can be completed with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_screener_and_application_by_keyboard(page_js, live_server):
    page = page_js
    page.goto("/screener")
    page.wait_for_load_state("networkidle")
    _tab_to(page, "#works_with_young_children-0")
    page.keyboard.press("Space")  # a radio: Space chooses it
    _tab_to(page, "#roles-5")
    page.keyboard.press("Space")  # home visitor
    _tab_to(page, "#bipoc-0")
    page.keyboard.press("ArrowDown")  # within a radio group, arrows move the choice
    page.keyboard.press("ArrowDown")  # "I prefer not to say"
    expect(page.locator("#bipoc-2")).to_be_checked()
    _tab_to(page, "#works_in_illinois-0")
    page.keyboard.press("Space")  # works in Illinois: yes
    page.wait_for_load_state("networkidle")
    _tab_to(page, "a.button-primary")
    expect(page.locator(":focus")).to_have_text("Continue to your application")
    page.keyboard.press("Enter")
    page.wait_for_url("**/apply")

    _tab_to(page, "#programs-0")
    page.keyboard.press("Space")
    _tab_to(page, "#name")
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("kim@example.org")
    _tab_to(page, "#work_zip")
    page.keyboard.type("98104")
    _tab_to(page, "#languages-0")
    page.keyboard.press("Space")
    _tab_to(page, "#availability-3")
    page.keyboard.press("Space")
    _tab_to(page, "#consent")
    page.keyboard.press("Space")
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/apply/received")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your application")


def test_skip_link_is_the_first_stop(page_js, live_server):
    page = page_js
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
