"""Entering an application for someone, and an override, in a real browser with and
without JavaScript: the answers check the programs, the form sends once, and the
application page says who entered it and who overrode what."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant, Coordinator
from intake.review import services as review
from tests.conftest import PASSWORD
from tests.review.support import reload
from tests.review.test_browser import in_browser

pytestmark = pytest.mark.browser

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def _sign_in(page: Page, email: str, to: str) -> None:
    page.goto(f"/coord/login?next={to}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{to}")
    page.wait_for_load_state("load")  # htmx is deferred


@JS
def test_entering_an_application_by_phone(javascript, live_server, make_coordinator, ctx):
    user = make_coordinator(programs=["introductory", "bipoc-intensive"])
    email = user.email

    def steps(page: Page):
        _sign_in(page, email, "/coord/waitlist")
        page.get_by_role("link", name="Enter an application").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter an application")
        results = page.locator("#entry-results")
        page.locator("#entered-via-0").check()  # by phone
        page.locator("#entry-locale-1").check()  # Español
        page.locator("#works_with_young_children-0").check()
        page.locator("#roles-5").check()  # home visitor
        page.locator("#bipoc-0").check()  # yes
        if javascript:
            # The follow-up question and the programs' verdicts come as the answers change.
            expect(page.locator("#followup-retreat")).to_contain_text("retreat")
        else:
            page.get_by_role("button", name="Check which programs fit").click()
            expect(page.locator("#followup-retreat")).to_contain_text("retreat")
        page.locator("#retreat-0").check()
        if not javascript:
            page.get_by_role("button", name="Check which programs fit").click()
        expect(results).to_contain_text("Intensive reflective practice for BIPOC practitioners")
        expect(results.locator(".result-pass")).to_have_count(2)

        page.locator("#programs-0").check()  # introductory
        page.get_by_label("Your name").fill("Lucía Teléfono")
        page.get_by_label("E-mail address").fill("lucia@example.org")
        page.get_by_label("ZIP code where you work").fill("98118")
        page.locator("#languages-1").check()  # Español
        page.locator("#availability-3").check()  # weekday evenings
        page.get_by_role("button", name="Enter the application").click()
        # The consent was not asked yet: refused, with everything kept.
        expect(page.locator("#error-summary")).to_contain_text("We need your permission")
        expect(page.get_by_label("Your name")).to_have_value("Lucía Teléfono")
        page.locator("#consent").check()
        page.get_by_role("button", name="Enter the application").click()
        expect(page.locator("#summary")).to_contain_text(
            re.compile(r"Entered by Coordinator by phone on \w{3} \d{1,2}, \d{4}")
        )
        expect(page.locator("#timeline")).to_contain_text("Entered on the applicant's behalf")

    in_browser(live_server, javascript, steps)
    db.session.rollback()
    applicant = db.session.scalars(select(Applicant)).one()
    assert (applicant.entered_via, applicant.locale) == ("phone", "es")
    assert [a.status for a in applicant.applications] == ["waitlisted"]


@JS
def test_approving_a_declined_application_anyway(
    javascript, live_server, apply_for_review, make_coordinator, ctx, clock
):
    user = make_coordinator()
    application = apply_for_review("Ana Override")
    review.decline(
        application,
        actor=db.session.get(Coordinator, user.id),
        reason="Cannot attend.",
        message_text="Sorry.",
        now=clock(),
    )
    db.session.commit()
    email, path = user.email, f"/coord/applications/{application.id}"

    def steps(page: Page):
        _sign_in(page, email, path)
        expect(page.locator("#summary")).to_contain_text("Not eligible")
        page.get_by_label("Priority (optional)").fill("3")
        page.get_by_role("button", name="Approve anyway").click()
        expect(page.locator("#override-reason-error")).to_contain_text("Give a reason")
        expect(page.get_by_label("Priority (optional)")).to_have_value("3")
        page.get_by_label("Reason for the override").fill("The retreat has support now.")
        page.get_by_role("button", name="Approve anyway").click()
        expect(page.locator("#summary")).to_contain_text(
            "Approved by override: The retreat has support now."
        )
        expect(page.locator("#summary")).to_contain_text("On the waitlist")
        expect(page.locator("#timeline")).to_contain_text(
            "Approved by override: The retreat has support now."
        )
        expect(page.get_by_role("button", name="Approve anyway")).to_have_count(0)

    in_browser(live_server, javascript, steps)
    application = reload(application)
    assert (application.status, application.priority) == ("waitlisted", 3)
