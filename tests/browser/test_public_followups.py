"""Follow-up questions and the agency screener's staff path in a real browser (issue 12).

Without JavaScript a follow-up ("Describe your role", the retreat) is on the page from
the start, its label saying when it applies, so the first submit can answer it and
nobody is shown an error for a question they could not see. With JavaScript htmx
reveals it as before. Staff who are not their agency's leadership are offered only
the e-mail to their director, never the way on to an application."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROLE_IF = "If you chose Other: describe your role"
RETREAT_IF = "If you answered Yes: the BIPOC program includes an in-person retreat."
ZIPS_IF = "If you answered Yes or I am not sure: which ZIP codes does your agency serve?"


def test_without_javascript_follow_ups_are_there_from_the_start(page_nojs, live_server, check_a11y):
    page = page_nojs
    page.goto("/screener")
    check_a11y(page, "follow-ups shown from the start")
    role_other = page.get_by_label(ROLE_IF)
    retreat = page.get_by_role("group", name=RETREAT_IF)
    expect(role_other).to_be_visible()
    expect(retreat).to_be_visible()

    page.get_by_label("Yes, I work with young children and/or their families").check()
    page.get_by_role("group", name="What is your role?").get_by_label("Other").check()
    role_other.fill("Children's librarian")
    page.get_by_role(
        "group", name="Do you identify as Black, Indigenous, or a Person of Color (BIPOC)?"
    ).get_by_label("Yes", exact=True).check()
    retreat.get_by_label("Yes", exact=True).check()
    illinois = page.get_by_role("group", name="Do you work in Illinois?")
    illinois.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="See which programs fit").click()

    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.get_by_role("link", name="Continue to your application")).to_be_visible()
    # Now the answers make them apply, they are asked as the questions themselves.
    expect(page.get_by_label("Describe your role", exact=True)).to_have_value(
        "Children's librarian"
    )

    page.goto("/screener/agency")
    expect(page.get_by_label(ZIPS_IF)).to_be_visible()


def test_with_javascript_follow_ups_wait_for_the_answer(page_js, live_server):
    page = page_js
    page.goto("/screener")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label(ROLE_IF)).to_have_count(0)
    expect(page.get_by_label("Describe your role")).to_have_count(0)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("group", name="What is your role?").get_by_label("Other").check()
    expect(page.get_by_label("Describe your role", exact=True)).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_who_are_not_leadership_get_only_the_referral(
    request, javascript, live_server, check_a11y
):
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    page.goto("/screener/agency")
    page.wait_for_load_state("networkidle")
    leader = page.get_by_role(
        "group", name="Are you your agency's director, or part of its executive leadership?"
    )
    if javascript:
        with page.expect_response(lambda r: r.request.method == "POST"):
            leader.get_by_label("No").check()
    else:
        leader.get_by_label("No").check()
        page.get_by_role("button", name="See if your agency can apply").click()
        expect(page.locator("#error-summary")).to_have_count(0)
    results = page.get_by_role("region", name="Your programs")
    expect(results.get_by_label("Your director's e-mail address")).to_be_visible()
    expect(results).not_to_contain_text("continue to your application")
    expect(results).not_to_contain_text("Continue to your application")
    expect(results.get_by_role("link", name="Continue to your application")).to_have_count(0)
    check_a11y(page, "only the referral")


def test_closed_programs_share_a_card_and_name_their_contact(
    page_nojs, live_server, app, check_a11y
):
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Program

    with app.app_context():
        program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
        program.coordinator_email = "intro@example.org"
        db.session.commit()
        db.session.remove()
    page = page_nojs
    page.goto("/screener")
    page.get_by_role(
        "group", name="Do you work with young children ages birth to five?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("group", name="What is your role?").get_by_label("Child welfare").check()
    page.get_by_role(
        "group", name="Do you identify as Black, Indigenous, or a Person of Color (BIPOC)?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="See which programs fit").click()
    results = page.get_by_role("region", name="Your programs")
    expect(results.get_by_text("These groups are for people whose work is with")).to_have_count(1)
    expect(results.get_by_role("link", name="intro@example.org")).to_have_attribute(
        "href", "mailto:intro@example.org"
    )
    expect(results).not_to_contain_text("Introductory reflective practice program is open")
    check_a11y(page, "closed programs, one card per reason")
