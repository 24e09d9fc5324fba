"""An agency's director names two staff for the agency's seats in a real browser, and
one of them opens the link from their welcome e-mail — with and without JavaScript,
with accessibility checked at each state."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intake.extensions import db
from intake.outbox.delivery import deliver_due
from tests.browser.plugin import open_page
from tests.participants.support import enrolled

pytestmark = pytest.mark.browser

PARTICIPANT = re.compile(r"https?://[^/\s]+(/participant/\S+)")


def _name(page: Page, name: str, email: str, language: str, *, javascript: bool) -> None:
    page.get_by_label("Their name").fill(name)
    page.get_by_label("Their e-mail address").fill(email)
    page.get_by_role("group", name="Their role").get_by_label(
        "Home visitor (including nurse home visitor)", exact=True
    ).check()
    page.get_by_role("group", name="The language we write to them in").get_by_label(
        language, exact=True
    ).check()
    page.get_by_role("group", name="Access needs").get_by_label(
        "Live captions (CART)", exact=True
    ).check()
    page.get_by_role("button", name="Name this person").click()
    expect(page.get_by_text(f"{name} is named for a seat.")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_director_names_two_staff_and_one_opens_their_link(
    request, javascript, live_server, app, browser, clock, check_a11y
):
    with app.app_context():
        application, _, manage = enrolled(clock, agency=True, seats=2)
        reference = application.reference
        deliver_due(clock())  # the offer's e-mails, out of the way
        db.session.remove()
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")

    page.goto(manage)
    page.get_by_role("link", name="Name or replace your staff").click()
    page.wait_for_url(f"**/staff/{reference}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Name your staff")
    check_a11y(page, "staff page, nobody named")

    page.get_by_role("button", name="Name this person").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Enter their name.")
    check_a11y(page, "staff form with errors")

    _name(page, "Ana Staff", "ana@example.org", "Español", javascript=javascript)
    _name(page, "Bo Staff", "bo@example.org", "English", javascript=javascript)
    expect(page.get_by_text("Every seat has someone named.")).to_be_visible()
    expect(page.get_by_role("heading", name="Named so far: 2 of 2")).to_be_visible()
    check_a11y(page, "every seat named")

    with app.app_context():
        assert deliver_due(clock()).sent == 2
        db.session.remove()
    [eml] = [
        path
        for path in sorted(Path(app.config["MAIL_FILE_DIR"]).glob("*-participant_welcome.eml"))
        if "ana@example.org" in path.read_text(errors="replace")
    ]
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    link = PARTICIPANT.search(message.get_body(("plain",)).get_content()).group(1)

    context, staff_page = open_page(browser, live_server, javascript=javascript)
    try:
        staff_page.goto(link)
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("Su grupo")
        expect(staff_page.get_by_role("table", name="Sesiones")).to_be_visible()
        check_a11y(staff_page, "the participant's page")
        staff_page.watchdog.assert_clean()
    finally:
        context.close()
