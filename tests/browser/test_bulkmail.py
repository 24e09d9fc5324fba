"""Bulk e-mail in a real Chromium, with and without JavaScript: from the filtered
waitlist to the form, the preview, the count, and the list of bulk e-mails sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import BulkMessage, OutboxMessage
from tests.conftest import PASSWORD
from tests.helpers import submit_application

pytestmark = pytest.mark.browser


def _sign_in(page: Page, user) -> None:
    page.goto("/coord/waitlist")
    page.wait_for_url("**/coord/login**")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/coord/waitlist")


def _journey(page: Page, app, user, check_a11y, *, javascript: bool) -> None:
    for name, email in (("Rosa Example", "rosa@example.org"), ("Sam Other", "sam@example.org")):
        assert submit_application(app.test_client(), name=name, email=email).status_code == 303
    _sign_in(page, user)
    page.goto("/coord/waitlist?q=rosa")
    expect(page.get_by_role("table", name="Applications").locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="E-mail these people").click()
    page.wait_for_url("**/coord/bulk-email/new?q=rosa**")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail these people")
    expect(page.get_by_role("status").filter(has_text="This will e-mail")).to_have_text(
        "This will e-mail 1 person: 1 in English."
    )
    check_a11y(page, "bulk e-mail form")

    page.get_by_label("Subject (English)").fill("News <b>soon</b>")
    page.get_by_label("Text (English)").fill("A new group starts in May.\nSee <a href=x>this</a>.")
    if javascript:
        page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and send")
    preview = page.locator(".bulk-preview")
    expect(preview).to_contain_text("Hello Alex Sample,")
    expect(preview).to_contain_text("See <a href=x>this</a>.")  # shown as typed
    expect(preview.locator("a[href='x']")).to_have_count(0)
    if javascript:
        assert page.evaluate("window.notReloaded") is True
    check_a11y(page, "bulk e-mail preview")

    page.get_by_role("button", name="Send to 1 person").click()
    page.wait_for_url("**/coord/bulk-email")
    expect(page.get_by_text("Queued “News <b>soon</b>” to 1 person.")).to_be_visible()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)

    db.session.expire_all()
    [message] = db.session.scalars(select(BulkMessage)).all()
    assert message.recipient_count == 1
    [mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "bulk_message")
    ).all()
    assert mail.to_addr == "rosa@example.org"


def test_bulk_email_with_javascript(page_js, live_server, app, make_coordinator, check_a11y):
    user = make_coordinator(programs=["introductory"])
    _journey(page_js, app, user, check_a11y, javascript=True)


def test_bulk_email_without_javascript(page_nojs, live_server, app, make_coordinator, check_a11y):
    user = make_coordinator(programs=["introductory"])
    _journey(page_nojs, app, user, check_a11y, javascript=False)
