"""An individual applicant's whole journey in a real browser, with and without JavaScript.

Home → screener → results → application (a mistake first, then fixed) → confirmation
→ the e-mail the outbox worker writes → the private manage link. Locators go by role
and label, the way assistive technology finds things, so a lost label fails here too.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intake.references import ALPHABET

pytestmark = pytest.mark.browser

REFERENCE_RE = re.compile(rf"\b[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}\b")

BIPOC_QUESTION = "Do you identify as Black, Indigenous, or a Person of Color (BIPOC)?"
RETREAT_QUESTION = "The BIPOC program includes an in-person retreat. Could you attend it?"
ILLINOIS_QUESTION = "Do you work in Illinois?"
INTRODUCTORY = "Introductory reflective practice"
BIPOC_PROGRAM = "Intensive reflective practice for BIPOC practitioners"
ZIP_LABEL = "ZIP code where you work"
ZIP_ERROR = "Enter the ZIP code where you work."


def _answer(page: Page, locator, *, javascript: bool) -> None:
    """Tick a screener answer; with htmx, wait for the results it asks for."""
    if not javascript:
        locator.check()
        return
    with page.expect_response(
        lambda r: r.url.endswith("/screener") and r.request.method == "POST"
    ) as response:
        locator.check()
    assert response.value.status == 200


def _start_screener(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Check which groups fit you").click()
    # Wait for "load": htmx (deferred) must be listening before the first answer.
    page.wait_for_url("**/screener")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check which programs fit you")


def _answer_screener(page: Page, *, javascript: bool) -> None:
    _answer(
        page,
        page.get_by_role(
            "group", name="Do you work with young children ages birth to five?"
        ).get_by_label("Yes, I work with young children and/or their families"),
        javascript=javascript,
    )
    _answer(
        page,
        page.get_by_role("group", name="What is your role?").get_by_label(
            "Mental health clinician"
        ),
        javascript=javascript,
    )
    _answer(
        page,
        page.get_by_role("group", name=BIPOC_QUESTION).get_by_label("I prefer not to say"),
        javascript=javascript,
    )
    _answer(
        page,
        page.get_by_role("group", name=ILLINOIS_QUESTION).get_by_label("Yes", exact=True),
        javascript=javascript,
    )
    if not javascript:
        page.get_by_role("button", name="See which programs fit").click()


def _result(page: Page, program: str):
    return (
        page.get_by_role("region", name="Your programs")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=program))
    )


def _check_results(page: Page) -> None:
    expect(_result(page, INTRODUCTORY)).to_contain_text("You can apply.")
    bipoc = _result(page, BIPOC_PROGRAM)
    expect(bipoc).to_contain_text("Not eligible this time, because:")
    expect(bipoc).to_contain_text("You chose not to say, and that is fine.")
    expect(bipoc).to_contain_text(
        "What you can do instead: You can apply to Introductory reflective practice and "
        "Reflective practice groups in Illinois (10 sessions), which are open to you whatever "
        "your answer to this question."
    )


def _fill_application_except_zip(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application")
    page.get_by_role("group", name="Which programs do you want to apply for?").get_by_label(
        INTRODUCTORY
    ).check()
    page.get_by_label("Your name").fill("Ana Rivera")
    page.get_by_label("E-mail address").fill("ana@example.org")
    page.get_by_label("Phone number").fill("206 555 0100")
    page.get_by_role("group", name="Languages you can take part in").get_by_label("Español").check()
    page.get_by_role("group", name="Days and times that work for you").get_by_label(
        "Weekday evenings"
    ).check()
    page.get_by_label("You may contact me by e-mail about this application.").check()


def _check_error_and_kept_answers(page: Page) -> None:
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Please check your answers")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text([ZIP_ERROR])
    zip_field = page.get_by_label(ZIP_LABEL)
    expect(zip_field).to_have_attribute("aria-invalid", "true")
    expect(zip_field).to_have_accessible_description(re.compile(rf"Error: {re.escape(ZIP_ERROR)}"))
    # Everything else the applicant typed or ticked is still there.
    expect(page.get_by_label("Your name")).to_have_value("Ana Rivera")
    expect(page.get_by_label("E-mail address")).to_have_value("ana@example.org")
    expect(page.get_by_label("Phone number")).to_have_value("206 555 0100")
    expect(page.get_by_label(INTRODUCTORY)).to_be_checked()
    expect(page.get_by_label("Español")).to_be_checked()
    expect(page.get_by_label("Weekday evenings")).to_be_checked()
    expect(
        page.get_by_label("You may contact me by e-mail about this application.")
    ).to_be_checked()


def _check_confirmation(page: Page) -> str:
    page.wait_for_url("**/apply/received")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your application")
    row = page.get_by_role("row").filter(has_text=INTRODUCTORY)
    expect(row).to_have_count(1)
    match = REFERENCE_RE.search(row.inner_text())
    assert match, f"no reference in {row.inner_text()!r}"
    return match.group(0)


def _deliver_and_open_manage_link(page: Page, app, base_url: str, reference: str) -> None:
    with app.app_context():
        from intake.outbox.delivery import deliver_due

        report = deliver_due(app.config["CLOCK"]())
    assert report.sent == 1
    (eml,) = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "ana@example.org"
    assert reference in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(base_url)}/manage/[A-Za-z0-9_-]+", text)
    assert link, f"no manage link in the e-mail:\n{text}"

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=INTRODUCTORY))
    expect(card).to_contain_text(reference)
    expect(card).to_contain_text("On the waitlist")


def test_individual_journey_with_javascript(page_js, live_server, app):
    page = page_js
    _start_screener(page)
    screener_url = page.url
    page.evaluate("window.__marker = 1")

    # The retreat question comes and goes with the BIPOC answer, without a page load.
    bipoc = page.get_by_role("group", name=BIPOC_QUESTION)
    retreat = page.get_by_role("group", name=RETREAT_QUESTION)
    expect(retreat).to_have_count(0)
    _answer(page, bipoc.get_by_label("Yes", exact=True), javascript=True)
    expect(retreat).to_be_visible()
    expect(retreat.get_by_label("I am not sure yet")).to_be_visible()
    assert page.url == screener_url
    assert page.evaluate("window.__marker") == 1

    _answer_screener(page, javascript=True)
    expect(retreat).to_have_count(0)
    _check_results(page)
    expect(page.get_by_role("status")).to_have_text(
        "Results updated: 2 programs you can apply for."
    )
    assert page.url == screener_url
    assert page.evaluate("window.__marker") == 1

    page.get_by_role("link", name="Continue to your application").click()
    page.wait_for_url("**/apply")
    page.evaluate("window.__marker = 2")
    _fill_application_except_zip(page)
    with page.expect_response(lambda r: r.url.endswith("/apply")) as response:
        page.get_by_role("button", name="Send my application").click()
    assert response.value.status == 422
    _check_error_and_kept_answers(page)
    # htmx swapped the form in place: no page load.
    assert page.evaluate("window.__marker") == 2

    page.get_by_label(ZIP_LABEL).fill("98104")
    page.get_by_role("button", name="Send my application").click()
    reference = _check_confirmation(page)

    _deliver_and_open_manage_link(page, app, live_server, reference)


def test_error_summary_takes_focus_after_htmx_rerender(page_js, live_server):
    page = page_js
    _start_screener(page)
    _answer_screener(page, javascript=True)
    page.get_by_role("link", name="Continue to your application").click()
    page.wait_for_url("**/apply")
    _fill_application_except_zip(page)
    with page.expect_response(lambda r: r.url.endswith("/apply")) as response:
        page.get_by_role("button", name="Send my application").click()
    assert response.value.status == 422
    expect(page.get_by_role("alert")).to_be_visible()
    # A screen reader reads the summary first; a keyboard user starts from it.
    expect(page.locator("#error-summary")).to_be_focused(timeout=1_000)


def test_individual_journey_without_javascript(page_nojs, live_server, app):
    page = page_nojs
    _start_screener(page)
    # Without JavaScript nothing can reveal a follow-up question: it is there from the
    # start, saying when it applies (tests/browser/test_public_followups.py).
    retreat = page.get_by_role("group", name="If you answered Yes: " + RETREAT_QUESTION)
    expect(retreat).to_be_visible()
    _answer_screener(page, javascript=False)
    _check_results(page)

    page.get_by_role("link", name="Continue to your application").click()
    page.wait_for_url("**/apply")
    _fill_application_except_zip(page)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Send my application").click()
    assert navigation.value.status == 422
    _check_error_and_kept_answers(page)

    page.get_by_label(ZIP_LABEL).fill("98104")
    page.get_by_role("button", name="Send my application").click()
    reference = _check_confirmation(page)

    _deliver_and_open_manage_link(page, app, live_server, reference)
