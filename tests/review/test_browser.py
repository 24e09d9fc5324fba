"""The review queue and the application page in a real browser, with and without
JavaScript: the htmx swaps must land where they belong, and plain forms must work."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.plugin import CHROMIUM, CHROMIUM_ARGS, open_page
from tests.conftest import PASSWORD
from tests.review.support import reload

pytestmark = pytest.mark.browser

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def in_browser(base_url: str, javascript: bool, steps) -> None:
    """Run ``steps(page)`` in Chromium, on a thread of its own.

    tests/browser holds one Playwright for the whole session in its conftest, which
    this folder cannot use, and Playwright's sync API allows one per thread: a
    thread of our own keeps the two apart. The page is watched as in tests/browser.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    failure: list[BaseException] = []

    def run():
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                try:
                    context, page = open_page(browser, base_url, javascript=javascript)
                    steps(page)
                    context.close()
                    page.watchdog.assert_clean()
                finally:
                    browser.close()
        except BaseException as exc:  # handed to the test's own thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="review-browser")
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser steps did not finish"
    if failure:
        raise failure[0]


def _sign_in(page: Page, email: str) -> None:
    page.goto("/coord/login?next=/coord/review")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    # htmx is a deferred script: the heading shows before htmx has wired the filters, and
    # a change made in between would be a plain change nobody listens to.
    page.wait_for_load_state()


@JS
def test_review_queue_in_a_browser(
    javascript,
    live_server,  # before app: it sets the public URL
    apply_for_review,
    make_coordinator,
    ctx,
):
    first = apply_for_review("Ana Review")
    second = apply_for_review("Bo Review")
    agency = apply_for_review("Dana Lead", agency=True)
    user = make_coordinator()
    # Plain values for the browser's thread, which has no app context.
    user_email = user.email
    first_ref, second_ref, agency_ref = first.reference, second.reference, agency.reference

    def steps(page: Page):
        _sign_in(page, user_email)
        # Filter by program: the list and the address follow.
        page.get_by_label("Program").select_option("bipoc-intensive")
        if not javascript:
            page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"/coord/review\?program=bipoc-intensive$"))
        if javascript:
            # Survives partial updates only: a full page load forgets it.
            page.evaluate("window.sameDocument = true")
        table = page.get_by_role("table")
        expect(table).to_contain_text(first_ref)
        expect(table).not_to_contain_text(agency_ref)

        # Approve without a reason: the error next to the field, the ticks kept.
        page.get_by_label(f"Choose Ana Review, {first_ref}").check()
        page.get_by_role("button", name="Approve: add to the waitlist").click()
        expect(page.locator("#reason-error")).to_contain_text("Give a reason")
        expect(page.get_by_label(f"Choose Ana Review, {first_ref}")).to_be_checked()
        if javascript:  # the filter and the refused form were partial updates
            assert page.evaluate("window.sameDocument === true")
        page.get_by_label("Reason for this decision").fill("Retreat support arranged.")
        page.get_by_role("button", name="Approve: add to the waitlist").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"Approved and added to the waitlist: {first_ref}."
        )

        # Decline with an edited message: the next step takes the page's place.
        page.get_by_label(f"Choose Bo Review, {second_ref}").check()
        page.get_by_label("Reason for this decision").fill("Cannot attend the retreat.")
        page.get_by_role("button", name="Decline: write the messages next").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Decline 1 application")
        message = page.get_by_label(f"Message to Bo Review ({second_ref})")
        expect(message).to_have_value(re.compile(r"^Hello Bo Review,"))
        message.fill("Dear Bo, the retreat is required this year.")
        page.get_by_role("button", name="Decline and send the message").click()
        expect(page.get_by_role("status")).to_contain_text(f"Declined: {second_ref}.")

    in_browser(live_server, javascript, steps)
    assert reload(first).status == "waitlisted"
    assert reload(second).status == "ineligible"
    assert reload(agency).status == "needs_review"


@JS
def test_application_page_in_a_browser(
    javascript,
    live_server,  # before app: it sets the public URL
    apply_for_review,
    make_coordinator,
    ctx,
):
    application = apply_for_review("Ana Review")
    user = make_coordinator()
    user_email, reference = user.email, application.reference

    def steps(page: Page):
        _sign_in(page, user_email)
        page.get_by_role("link", name="Ana Review").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
        url = page.url
        if javascript:
            # htmx is deferred: a form used before the page's load is sent the plain way.
            page.wait_for_load_state("load")
            page.evaluate("window.sameDocument = true")

        # A note: without JavaScript the page comes back; with it, only its parts swap.
        page.get_by_label("Add a note").fill("Called, left a message.")
        page.get_by_role("button", name="Add the note").click()
        timeline = page.locator("#timeline")
        expect(timeline).to_contain_text("Called, left a message.")
        expect(page.get_by_label("Add a note")).to_have_value("")
        expect(page.locator("#casefile-notice, .notice").first).to_contain_text("Note added.")

        # The priority needs a reason.
        page.get_by_label("New priority").fill("4")
        page.get_by_role("button", name="Change the priority").click()
        expect(page.locator("#priority-reason-error")).to_contain_text("Give a reason")
        expect(page.get_by_label("New priority")).to_have_value("4")
        page.get_by_label("Reason for the change").fill("Waited two years.")
        page.get_by_role("button", name="Change the priority").click()
        expect(page.locator("#summary")).to_contain_text(re.compile(r"Priority\s*4"))
        expect(timeline).to_contain_text("Priority changed from 0 to 4")

        # Approve from the page: the actions become what a waitlisted one allows.
        page.get_by_label("Reason for this decision").first.fill("Talked it through.")
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.locator("#summary")).to_contain_text("On the waitlist")
        expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
        expect(timeline).to_contain_text("Eligible → On the waitlist")
        assert page.url == url
        if javascript:
            assert page.evaluate("window.sameDocument === true")

    in_browser(live_server, javascript, steps)
    application = reload(application)
    assert (application.status, application.priority) == ("waitlisted", 4)
