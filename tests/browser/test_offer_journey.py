"""A coordinator offers a seat in a real browser; the applicant opens the offer link
from the delivered e-mail and accepts it — with and without JavaScript, with
accessibility checked on each page."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Application, Cohort, Program
from intake.outbox.delivery import deliver_due
from tests.browser.plugin import open_page
from tests.browser.test_workspace import _sign_in
from tests.helpers import submit_application

pytestmark = pytest.mark.browser

ACCEPT = re.compile(r"https?://[^/\s]+(/respond/offer_accept/\S+)")
DECLINE = re.compile(r"https?://[^/\s]+(/respond/offer_decline/\S+)")


def _setup(app, clock):
    submit_application(app.test_client(), languages=["en"], availability=["weekday_evening"])
    with app.app_context():
        program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
        cohort = Cohort(
            program=program,
            name="Tuesday evening group",
            language="en",
            facilitator="F. Example",
            schedule="First Tuesday of the month, 6-8 pm",
            time_slot="weekday_evening",
            start_date=(clock() + timedelta(days=30)).date(),
            seats=8,
            created_at=clock(),
        )
        db.session.add(cohort)
        db.session.commit()
        ids = cohort.id, db.session.scalars(select(Application.id)).one()
        deliver_due(clock())  # the "received" e-mail, out of the way
        db.session.remove()
    return ids


def _offer_email_paths(app, clock) -> tuple[str, str]:
    with app.app_context():
        assert deliver_due(clock()).sent == 1
        db.session.remove()
    [path] = sorted(Path(app.config["MAIL_FILE_DIR"]).glob("*-offer_made.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    return ACCEPT.search(text).group(1), DECLINE.search(text).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_offer_a_seat_and_accept_it_from_the_email(
    request, javascript, live_server, app, browser, make_coordinator, clock, check_a11y
):
    cohort_id, application_id = _setup(app, clock)
    user = make_coordinator(email="admin@example.org", admin=True)
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")

    _sign_in(page, user, clock)
    page.goto(f"/coord/cohorts/{cohort_id}")
    check_a11y(page, "cohort page with a preview")
    # Wait for the offer's own answer: "Rosa Example" is already on the page in the
    # preview, so seeing it proves nothing about the offer (a race on a busy machine).
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("button", name="Offer 1 seat to this person").click()
    expect(page.get_by_text("Rosa Example").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_a11y(page, "cohort page after the offer")

    accept_path, decline_path = _offer_email_paths(app, clock)
    context, applicant_page = open_page(browser, live_server, javascript=javascript)
    try:
        applicant_page.goto(decline_path)
        check_a11y(applicant_page, "decline page, with its leave-or-defer choice")
        applicant_page.goto(accept_path)
        check_a11y(applicant_page, "accept page")
        with app.app_context():
            # Opening the link changed nothing: link scanners open links too.
            assert db.session.get(Application, application_id).status == "offered"
            db.session.remove()
        applicant_page.get_by_role("button", name="Accept the seat").click()
        expect(applicant_page.get_by_role("heading", level=1)).to_have_text("You have a seat")
        check_a11y(applicant_page, "accepted")
        applicant_page.watchdog.assert_clean()
    finally:
        context.close()

    with app.app_context():
        assert db.session.get(Application, application_id).status == "enrolled"
        cohort = db.session.get(Cohort, cohort_id)
        assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 1)
        db.session.remove()
