"""A coordinator re-issues a letter after a correction, and someone checks both
letters on the public verification page — with and without JavaScript, in English
and Chinese, with accessibility checked on each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.letters import services
from intake.models import Letter
from tests.browser.test_workspace import _sign_in
from tests.letters.conftest import attend

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reissue_a_letter_and_check_it(
    request, javascript, live_server, make_group, rpg, clock, make_coordinator, check_a11y
):
    group = make_group(people=[("Ana Reyes", "en")])
    attend(group.people[0], group.sessions[:9])
    services.complete_due(clock())
    db.session.commit()
    old = db.session.scalars(select(Letter)).one().code
    user = make_coordinator(email="admin@example.org", admin=True)
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")

    _sign_in(page, user, clock)
    page.goto(f"/coord/cohorts/{group.cohort.id}")
    page.wait_for_load_state("load")
    page.get_by_role("link", name="See every participant's letter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Letters of hours")
    expect(page.get_by_role("link", name=old)).to_be_visible()
    check_a11y(page, "a cohort's letters")
    page.get_by_text("Re-issue Ana Reyes's letter").click()
    # Sent empty, the reason is asked for next to its field.
    page.get_by_role("button", name="Re-issue the letter to Ana Reyes").click()
    expect(page.get_by_text("Say what was corrected.").first).to_be_visible()
    check_a11y(page, "re-issue refused without a reason")
    page.get_by_label("What was corrected").fill("Attendance of one session added")
    page.get_by_role("button", name="Re-issue the letter to Ana Reyes").click()
    expect(page.get_by_text(f"replacing {old}")).to_be_visible()
    check_a11y(page, "letter re-issued")
    db.session.rollback()
    new = db.session.scalars(select(Letter).where(Letter.replaced_at.is_(None))).one().code

    # Anyone with the old letter types its code, loosely.
    page.goto("/verify")
    check_a11y(page, "the verification form")
    page.get_by_label("Verification code").fill(old.lower().replace("-", " "))
    page.get_by_role("button", name="Check the letter").click()
    page.wait_for_url(f"**/verify/{old}")
    expect(page.get_by_text("by a newer letter")).to_be_visible()
    expect(page.get_by_text(new)).to_have_count(0)
    check_a11y(page, "a replaced letter")

    page.goto(f"/verify/{new}?lang=zh")
    expect(page.get_by_text("本信函真实有效。")).to_be_visible()
    expect(page.get_by_text("Ana Reyes")).to_be_visible()
    check_a11y(page, "a current letter, in Chinese")

    page.watchdog.allowed_statuses.add(404)
    page.goto("/verify/ABCD-EFGH-JKMN?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("No letter has this code")
    check_a11y(page, "an unknown code")
