"""An agency's leader applies in a real browser, with and without JavaScript, with
accessibility checked at each state the journey reaches."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Application
from intake.references import ALPHABET

pytestmark = pytest.mark.browser

REFERENCE_RE = re.compile(rf"\b[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}\b")
PROGRAM = "King County reflective consultation groups"


def _tick(page: Page, question: str, answer: str, *, javascript: bool) -> None:
    choice = page.get_by_role("group", name=question).get_by_label(answer, exact=True)
    if javascript:
        with page.expect_response(
            lambda r: r.url.endswith("/screener/agency") and r.request.method == "POST"
        ):
            choice.check()
    else:
        choice.check()


def _journey(page: Page, check_a11y, *, javascript: bool) -> str:
    page.goto("/")
    page.get_by_role("link", name="Start your agency's application").click()
    page.wait_for_url("**/screener/agency")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for your agency")

    _tick(
        page,
        "Are you your agency's director, or part of its executive leadership?",
        "Yes",
        javascript=javascript,
    )
    _tick(
        page,
        "Does your agency serve children prenatal to five and their families in King County, "
        "Washington?",
        "Yes",
        javascript=javascript,
    )
    if not javascript:
        # Without JavaScript the ZIP question appears after the form is sent.
        page.get_by_role("button", name="See if your agency can apply").click()
        expect(page.get_by_role("alert")).to_be_visible()
        check_a11y(page, "agency screener errors")
    page.get_by_label("Which ZIP codes does your agency serve?").fill("98104, 98402")
    _tick(
        page,
        "Is your agency receiving reflective consultation through Best Starts for Kids now?",
        "No",
        javascript=javascript,
    )
    for question in [
        "Can your agency take part for at least one year?",
        "Can your staff attend consistently and take an active part?",
        "Can your staff join the groups online (by video)?",
        "Are your staff open to discussing real-life cases from their work in the group?",
    ]:
        _tick(page, question, "Yes", javascript=javascript)
    if not javascript:
        page.get_by_role("button", name="See if your agency can apply").click()

    result = (
        page.get_by_role("region", name="Your programs")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=PROGRAM))
    )
    expect(result).to_contain_text("A coordinator will review your answers")
    expect(result).to_contain_text("98402")
    check_a11y(page, "agency results with a ZIP to review")

    page.get_by_role("link", name="Continue to your application").click()
    page.wait_for_url("**/apply/agency")
    expect(page.get_by_label("ZIP codes your agency serves")).to_have_value("98104, 98402")
    page.get_by_label("Agency name").fill("Example Family Center")
    page.get_by_label("Street address").fill("100 Example Way")
    page.get_by_label("City").fill("Seattle")
    page.get_by_label("ZIP code", exact=True).fill("98104")
    page.get_by_label("Your name").fill("Dana Example")
    page.get_by_label("Your title").fill("Executive Director")
    page.get_by_label("E-mail address").fill("dana@example.org")
    page.get_by_label("How many staff would take part?").fill("60")
    page.get_by_role("group", name="Their roles").get_by_label(
        "Home visitor (including nurse home visitor)"
    ).check()
    page.get_by_role("group", name="Languages you can take part in").get_by_label("Español").check()
    page.get_by_role("group", name="Days and times that work for you").get_by_label(
        "Weekday mornings"
    ).check()
    page.get_by_label("You may contact me by e-mail about this application.").check()
    page.get_by_role("button", name="Send our application").click()

    # Two mistakes: no phone, and more staff than a group can take.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Enter a phone number where we can reach you.")
    expect(summary).to_contain_text("Enter a number from 1 to 50.")
    if javascript:
        expect(summary).to_be_focused()
    expect(page.get_by_label("Agency name")).to_have_value("Example Family Center")
    check_a11y(page, "agency application errors")

    page.get_by_label("Phone number").fill("206 555 0100")
    page.get_by_label("How many staff would take part?").fill("6")
    page.get_by_role("button", name="Send our application").click()
    page.wait_for_url("**/apply/received")
    expect(page.get_by_text("For Example Family Center: 6 staff seats")).to_be_visible()
    check_a11y(page, "confirmation")
    return REFERENCE_RE.search(page.locator("main").inner_text()).group(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_agency_applies(request, javascript, live_server, app, check_a11y):
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    page.watchdog.allowed_statuses.add(422)
    reference = _journey(page, check_a11y, javascript=javascript)
    with app.app_context():
        application = db.session.scalars(
            select(Application).where(Application.reference == reference)
        ).one()
        assert application.seats_requested == 6
        assert application.status == "needs_review"
        assert application.applicant.locale == "en"
        db.session.remove()
