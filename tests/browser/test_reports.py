"""The reports page in a real Chromium, with and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.helpers import submit_agency_application, submit_application

pytestmark = pytest.mark.browser

AGENCY_PROGRAM = "King County reflective consultation groups"


def _apply(app, number: int, **details) -> None:
    client = app.test_client()
    response = submit_application(client, email=f"p{number}@example.org", **details)
    assert response.status_code == 303


def _apply_agency(app, **details) -> None:
    response = submit_agency_application(app.test_client(), **details)
    assert response.status_code == 303


def _sign_in_and_open_reports(page: Page, email: str) -> None:
    page.goto("/coord/reports")
    page.wait_for_url("**/coord/login**")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/coord/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")


def _check_agency_only(page: Page) -> None:
    waitlist = page.get_by_role("table", name="Applications on the waitlist")
    expect(waitlist.get_by_role("rowheader", name=AGENCY_PROGRAM)).to_be_visible()
    expect(
        waitlist.get_by_role("rowheader", name="Introductory reflective practice")
    ).to_have_count(0)
    chart = page.get_by_role("img", name="Applications per week")
    expect(chart).to_be_visible()


def test_reports_filter_with_htmx_keeps_the_page_and_pushes_the_url(
    page_js, live_server, app, make_coordinator
):
    for number in range(5):
        _apply(app, number, languages=["en"])
    _apply_agency(app, languages=["es"])
    user = make_coordinator(email="lead@example.org")
    page = page_js
    _sign_in_and_open_reports(page, user.email)
    expect(page.get_by_role("button", name="Print this report")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Program", exact=True).select_option(label=AGENCY_PROGRAM)
    with page.expect_response(lambda r: "program=king-county-consultation" in r.url) as answer:
        page.get_by_role("button", name="Show report").click()
    assert answer.value.status == 200
    page.wait_for_url("**/coord/reports?program=king-county-consultation**")
    _check_agency_only(page)
    # Swapped in place: the page was not loaded again.
    assert page.evaluate("window.notReloaded") is True

    # A mistake comes back in place too, with its summary focused.
    # Set like a date picker would: Playwright's fill() leaves a style="" on date inputs,
    # which htmx's settling then copies, and the CSP rightly refuses.
    page.get_by_label("From", exact=True).evaluate("input => input.value = '2026-03-01'")
    page.get_by_label("To", exact=True).evaluate("input => input.value = '2026-02-01'")
    with page.expect_response(lambda r: "/coord/reports" in r.url) as answer:
        page.get_by_role("button", name="Show report").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("The end date must be on or after")
    expect(page.locator("#error-summary")).to_be_focused(timeout=1_000)


def test_reports_filter_without_javascript(page_nojs, live_server, app, make_coordinator):
    _apply(app, 1, languages=["en"])
    _apply_agency(app, languages=["es"])
    user = make_coordinator(email="lead@example.org")
    page = page_nojs
    _sign_in_and_open_reports(page, user.email)
    page.get_by_label("Program", exact=True).select_option(label=AGENCY_PROGRAM)
    page.get_by_role("button", name="Show report").click()
    page.wait_for_url("**/coord/reports?program=king-county-consultation**")
    _check_agency_only(page)
    # The numbers behind the chart are a table a keyboard and a screen reader reach.
    page.get_by_text("The numbers in the chart").click()
    expect(page.get_by_role("table", name="Applications sent per week")).to_be_visible()
