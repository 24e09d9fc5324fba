"""The coordinator workspace in a real Chromium, with and without JavaScript.

An admin signs in with a password and a one-time code, finds an applicant by
reference, changes their priority with a reason, creates a cohort, downloads the
waitlist as CSV, and uses the E-mail page: reads a message and sends a failed one
again. Every page is watched for console errors and CSP violations.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant, Application, AuditEvent, Cohort, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.conftest import PASSWORD
from tests.helpers import submit_application

pytestmark = pytest.mark.browser

INTRODUCTORY = "Introductory reflective practice"
COHORT_NAME = "Spring 2026 evening group"


def _apply(app, name: str, email: str) -> str:
    """An application through the real form; returns its reference."""
    response = submit_application(app.test_client(), name=name, email=email)
    assert response.status_code == 303
    return db.session.scalars(
        select(Application.reference).join(Applicant).where(Applicant.email == email)
    ).one()


def _sign_in(page: Page, user, clock) -> None:
    page.goto("/coord/waitlist")
    page.wait_for_url("**/coord/login**")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/coord/login/code**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code from your authenticator app").fill(
        pyotp.TOTP(user.totp_secret).at(clock())
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/coord/waitlist")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waitlist")


def _results(page: Page):
    return page.get_by_role("table", name="Applications").locator("tbody tr")


def _search(page: Page, reference: str, *, javascript: bool) -> None:
    expect(_results(page)).to_have_count(2)
    search = page.get_by_label("Search")
    if javascript:
        # htmx searches as the coordinator types, and keeps the URL in sync.
        page.evaluate("window.notReloaded = true")
        with page.expect_response(lambda r: f"q={reference}" in r.url) as answer:
            search.press_sequentially(reference)
        assert answer.value.status == 200
        page.wait_for_url(f"**/coord/waitlist?q={reference}")
        assert page.evaluate("window.notReloaded") is True
        # Leaving the box ("change") does not send the same search again. htmx sends a
        # select's change at once, so a second search would be asked for before it.
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "/coord/waitlist" in r.url else None)
        search.press("Tab")
        with page.expect_response(lambda r: "kind=individual" in r.url):
            page.get_by_label("Kind").select_option(label="People applying for themselves")
        assert len(asked) == 1, asked
        assert "kind=individual" in asked[0]
    else:
        search.fill(reference)
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_url(lambda url: f"q={reference}" in url)
    expect(_results(page)).to_have_count(1)
    expect(_results(page)).to_contain_text("Rosa Example")


def _change_priority(page: Page, reference: str, *, javascript: bool) -> None:
    page.get_by_role("link", name=f"Open {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page.get_by_label("New priority").fill("5")
    page.get_by_label("Reason for the change").fill("Referred by the county's early learning team")
    page.get_by_role("button", name="Change the priority").click()
    expect(page.get_by_role("status").filter(has_text="Priority changed")).to_have_text(
        "Priority changed from 0 to 5."
    )
    expect(page.locator("#summary dt:text-is('Priority') + dd")).to_have_text("5")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Priority changed from 0 to 5")
    expect(timeline).to_contain_text("Reason: Referred by the county's early learning team")


def _create_cohort(page: Page) -> None:
    page.goto("/coord/admin/cohorts/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New cohort")
    page.get_by_label("Program").select_option(label=INTRODUCTORY)
    page.get_by_label("Name").fill(COHORT_NAME)
    page.get_by_role("combobox", name="Language").select_option(label="English")
    page.get_by_label("Facilitator").fill("Maria Facilitator")
    page.get_by_label("Schedule", exact=True).fill("First Tuesday of the month, 6-8 pm")
    page.get_by_label("Time of day").select_option(label="Weekday evenings")
    # As a date picker would: fill() leaves a style="" that htmx would copy (CSP).
    page.get_by_label("Start date").evaluate("input => input.value = '2026-04-07'")
    page.get_by_label("Seats").fill("8")
    page.get_by_role("button", name="Create cohort").click()
    page.wait_for_url("**/coord/cohorts/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text(COHORT_NAME)
    expect(page.get_by_text(f"“{COHORT_NAME}” is created.")).to_be_visible()


def _forgive_download_abort(page: Page, url: str) -> None:
    """Chromium ends a navigation that turns into a download with net::ERR_ABORTED,
    which the watchdog reads as a failed request; for the download itself it is not."""
    expected = f"request failed: GET {url}: net::ERR_ABORTED"
    page.watchdog.problems[:] = [p for p in page.watchdog.problems if p != expected]


def _download_csv(page: Page, reference: str) -> list[dict[str, str]]:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Waitlist").click()
    page.wait_for_url("**/coord/waitlist")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this list as CSV (2 rows)").click()
    download = download_info.value
    assert download.suggested_filename == "waitlist-2026-03-02.csv"
    text = download.path().read_text(encoding="utf-8-sig")
    # By now (the file is complete) the browser has reported the aborted navigation.
    _forgive_download_abort(page, download.url)
    assert reference in text
    return list(csv.DictReader(io.StringIO(text)))


def _journey(page: Page, app, user, clock, *, javascript: bool) -> None:
    reference = _apply(app, "Rosa Example", "rosa@example.org")
    _apply(app, "Sam Other", "sam@example.org")

    _sign_in(page, user, clock)
    _search(page, reference, javascript=javascript)
    _change_priority(page, reference, javascript=javascript)
    _create_cohort(page)
    rows = _download_csv(page, reference)
    assert len(rows) == 2
    # Queue order: the raised priority comes first.
    assert reference in rows[0].values()

    db.session.expire_all()
    application = db.session.scalars(
        select(Application).where(Application.reference == reference)
    ).one()
    assert application.priority == 5
    audit = db.session.scalars(select(AuditEvent)).one()
    assert (audit.kind, audit.actor_id) == ("priority", user.id)
    assert audit.reason == "Referred by the county's early learning team"
    cohort = db.session.scalars(select(Cohort)).one()
    assert (cohort.name, cohort.language, cohort.seats) == (COHORT_NAME, "en", 8)
    assert cohort.start_date == date(2026, 4, 7)


def test_workspace_journey_with_javascript(page_js, live_server, app, make_coordinator, clock):
    user = make_coordinator(email="admin@example.org", admin=True)
    _journey(page_js, app, user, clock, javascript=True)


def test_workspace_journey_without_javascript(page_nojs, live_server, app, make_coordinator, clock):
    user = make_coordinator(email="admin@example.org", admin=True)
    _journey(page_nojs, app, user, clock, javascript=False)


# The E-mail page --------------------------------------------------------------------


def _count(page: Page, label: str):
    return page.locator(f"#outbox-counts dt:text-is('{label}') + dd")


def _outbox_journey(page: Page, app, user, clock, *, javascript: bool) -> None:
    reference = _apply(app, "Rosa Example", "rosa@example.org")
    _apply(app, "Sam Other", "sam@example.org")
    # Sam's e-mail could not be delivered, for good.
    sam = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == "sam@example.org")
    ).one()
    sam.status, sam.attempts = "failed", 8
    sam.last_error = "SMTPRecipientsRefused: 550 mailbox unavailable"
    db.session.commit()

    _sign_in(page, user, clock)
    menu = page.get_by_role("navigation", name="Workspace")
    expect(menu.get_by_role("link", name="E-mail 1 failed")).to_be_visible()
    menu.get_by_role("link", name="E-mail 1 failed").click()
    page.wait_for_url("**/coord/outbox")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail")
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("550 mailbox unavailable")

    # Filter to the waiting ones.
    if javascript:
        page.evaluate("window.notReloaded = true")
        with page.expect_response(lambda r: "status=waiting" in r.url):
            page.get_by_label("Show").select_option(label="Waiting")
        page.wait_for_url("**/coord/outbox?status=waiting")
        assert page.evaluate("window.notReloaded") is True
    else:
        page.get_by_label("Show").select_option(label="Waiting")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_url("**/coord/outbox?status=waiting")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("rosa@example.org")

    # Read Rosa's message: the private link is words saying what goes there.
    table.get_by_role("link", name=f"We received your application – {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    text_part = page.get_by_role("region", name="The message (text part)")
    expect(text_part).to_contain_text("[private link to the applicant's page]")
    expect(page.locator("a[href*='/manage/']")).to_have_count(0)
    page.get_by_text("HTML source", exact=True).click()
    expect(page.get_by_role("region", name="The HTML part")).to_contain_text(
        '<a href="[private link to the applicant\'s page]">'
    )

    # Back to the failed one, and send it again.
    page.get_by_role("link", name="All e-mail").click()
    page.wait_for_url("**/coord/outbox")
    send_again = page.get_by_role("button", name="Send again: We received your application")
    if javascript:
        page.evaluate("window.notReloaded = true")
        send_again.click()
        assert page.evaluate("window.notReloaded") is True
    else:
        send_again.click()
        page.wait_for_url("**/coord/outbox")
    expect(page.get_by_text("Queued to be sent again.")).to_be_visible()
    expect(send_again).to_have_count(0)
    # The menu's failed count is gone too (swapped out of band with htmx).
    expect(menu.get_by_role("link", name="E-mail", exact=True)).to_be_visible()
    expect(_count(page, "Failed")).to_have_text("0")
    expect(_count(page, "Waiting")).to_have_text("2")

    db.session.expire_all()
    sam = db.session.get(OutboxMessage, sam.id)
    assert (sam.status, sam.attempts, sam.next_attempt_at) == ("queued", 0, clock())
    with app.app_context():
        assert deliver_due(clock()).sent == 2
    page.reload()
    expect(_count(page, "Sent")).to_have_text("2")
    with app.app_context():
        assert deliver_due(clock() + timedelta(days=1)).attempted == 0


def test_outbox_with_javascript(page_js, live_server, app, make_coordinator, clock):
    user = make_coordinator(email="admin@example.org", admin=True)
    _outbox_journey(page_js, app, user, clock, javascript=True)


def test_outbox_without_javascript(page_nojs, live_server, app, make_coordinator, clock):
    user = make_coordinator(email="admin@example.org", admin=True)
    _outbox_journey(page_nojs, app, user, clock, javascript=False)
