"""The coordinator workspace in Chromium: pages use the width they have, references
stay on one line, a table scrolls inside its own box on a phone (not the page), and
the waitlist search answers a paste without waiting for the field to lose focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from intake.extensions import db
from tests.browser.test_workspace import _sign_in
from tests.factories import add_application, add_cohort

pytestmark = pytest.mark.browser

# The old reading column: .wrap's 70rem less its padding, at 16px to the rem.
OLD_COLUMN_PX = 70 * 16 - 2 * 16
LONG_NAME = "Maria Guadalupe Hernández-Villanueva"


def _people(clock) -> dict:
    now = clock()
    made = {
        "waiting": add_application(now, 1, LONG_NAME, joined_days_ago=3, reference="QYFR-XC4W"),
        "agency": add_application(
            now,
            2,
            "Dana Director",
            program="king-county-consultation",
            agency_name="Southeast Seattle Family Resource Center",
            seats=3,
            languages=("en", "es", "cmn"),
            availability=("weekday_morning", "weekday_evening", "weekend"),
        ),
        "review": add_application(
            now, 3, "Ravi Review", status="needs_review", joined_days_ago=None
        ),
    }
    made["cohort"] = add_cohort(now)
    db.session.commit()
    return made


def _lines(locator) -> int:
    """How many lines the element's text is laid out on (one box per line)."""
    return locator.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " const boxes = [...r.getClientRects()].filter(b => b.width > 1);"
        " return new Set(boxes.map(b => Math.round(b.top))).size; }"
    )


def _one_line(page: Page, locator) -> bool:
    return _lines(locator) == 1


def test_wide_screen_uses_the_width(page_js, live_server, app, make_coordinator, clock):
    made = _people(clock)
    user = make_coordinator(email="admin@example.org", admin=True)
    page = page_js
    page.set_viewport_size({"width": 1440, "height": 900})
    _sign_in(page, user, clock)

    table = page.get_by_role("table", name="Applications")
    expect(table.locator("tbody tr")).to_have_count(3)
    assert table.bounding_box()["width"] > OLD_COLUMN_PX + 100
    reference = table.locator("td.reference", has_text="QYFR-XC4W")
    assert _one_line(page, reference)
    assert _one_line(page, table.locator("time").first)
    # Was three lines in the old column.
    assert _lines(table.get_by_role("rowheader", name=LONG_NAME)) <= 2

    page.goto(f"/coord/applications/{made['waiting'].id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("QYFR-XC4W")
    # Prose keeps a reading width on the wide page.
    lead = page.locator("main p").first
    assert lead.bounding_box()["width"] <= 50 * 16

    page.goto("/coord/review")
    queue = page.get_by_role("table").first
    assert queue.bounding_box()["width"] > OLD_COLUMN_PX + 100
    for cell in page.locator("table .reference").all():
        assert _one_line(page, cell)


SMALL_SCREEN_PAGES = [
    "/coord/waitlist",
    "/coord/review",
    "/coord/applications/{waiting}",
    "/coord/applications/{agency}",
    "/coord/cohorts",
    "/coord/cohorts/{cohort}",
    "/coord/outbox",
    "/coord/reports",
    "/coord/admin/programs",
    "/coord/admin/coordinators",
]


def test_a_phone_scrolls_tables_not_the_page(page_js, live_server, app, make_coordinator, clock):
    made = _people(clock)
    ids = {key: value.id for key, value in made.items()}
    user = make_coordinator(email="admin@example.org", admin=True)
    page = page_js
    page.set_viewport_size({"width": 375, "height": 800})
    _sign_in(page, user, clock)
    for path in SMALL_SCREEN_PAGES:
        page.goto(path.format(**ids))
        page.wait_for_load_state("load")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
    # The waitlist is a real table there, scrolling in its own box.
    page.goto("/coord/waitlist")
    table = page.get_by_role("table", name="Applications")
    assert table.evaluate("t => getComputedStyle(t.querySelector('thead')).display") != "none"
    box = table.evaluate(
        "t => { const s = t.parentElement; return [s.scrollWidth, s.clientWidth,"
        " getComputedStyle(s).overflowX]; }"
    )
    assert box[0] > box[1]
    assert box[2] == "auto"


def test_search_answers_a_paste_before_the_field_loses_focus(
    page_js, live_server, app, make_coordinator, clock
):
    _people(clock)
    user = make_coordinator(email="admin@example.org", admin=True)
    page = page_js
    _sign_in(page, user, clock)
    rows = page.get_by_role("table", name="Applications").locator("tbody tr")
    expect(rows).to_have_count(3)
    search = page.get_by_label("Search")
    page.evaluate("window.notReloaded = true")
    with page.expect_response(lambda r: "q=QYFR-XC4W" in r.url):
        # As a paste does: the value changes at once, with an input event and no key.
        search.fill("QYFR-XC4W")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(LONG_NAME)
    expect(search).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_url("**/coord/waitlist?q=QYFR-XC4W")
