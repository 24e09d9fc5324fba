"""An agency asking 30 seats sees no place in line, a coordinator splits its request on
the application page, and then each part has a place: in a real browser, with and
without JavaScript, the agency's pages checked for accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from intake.extensions import db
from intake.manage.tokens import mint_manage_token
from tests.browser.test_workspace import _sign_in
from tests.factories import AGENCY_PROGRAM, add_agency_request, add_cohort

pytestmark = pytest.mark.browser

ARRANGE = "A coordinator will arrange your seats across groups"


def _split(page: Page, application) -> None:
    page.goto(f"/coord/applications/{application.id}")
    split = page.get_by_role("region", name="Seats across groups")
    expect(split).to_contain_text("No planned group holds 30 seats")
    # A sum that is wrong comes back with what was typed.
    split.get_by_label("Split into parts of").fill("12, 12, 5")
    split.get_by_label("Reason for splitting").fill("Three groups this spring")
    split.get_by_role("button", name="Split the request").click()
    expect(split).to_contain_text("they must add up to the 30 seats requested")
    expect(split.get_by_label("Split into parts of")).to_have_value("12, 12, 5")
    split.get_by_label("Split into parts of").fill("12, 12, 6")
    split.get_by_role("button", name="Split the request").click()
    expect(page.get_by_role("status").filter(has_text="Split into 3 parts")).to_be_visible()
    expect(
        page.get_by_role("table", name="This agency's request, in parts").locator("tbody tr")
    ).to_have_count(3)
    expect(page.locator("#summary dt:text-is('Staff seats requested') + dd")).to_have_text("12")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_split_request_gets_places_in_line(
    request, javascript, live_server, app, make_coordinator, clock, check_a11y
):
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    application = add_agency_request(clock(), 1, 30)
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    token = mint_manage_token(application.applicant_id, clock())
    db.session.commit()

    page.goto(f"/manage/{token}")
    expect(page.get_by_text(ARRANGE)).to_be_visible()
    check_a11y(page, "manage page, seats to arrange")

    _sign_in(page, make_coordinator(email="admin@example.org", admin=True), clock)
    _split(page, application)

    page.goto(f"/manage/{token}")
    expect(page.get_by_text(ARRANGE)).to_have_count(0)
    # One table per part, each with its place in the one group.
    expect(page.locator(".place-table tbody tr")).to_have_count(3)
    expect(page.get_by_text("You are next in line.")).to_have_count(1)
    expect(page.get_by_text("1 application is ahead of you.")).to_have_count(1)
    check_a11y(page, "manage page, request in parts")
