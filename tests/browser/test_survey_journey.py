"""A participant answers the survey from the invitation their group's end sent them, in
a real browser, with and without JavaScript, accessibility checked on each page; a
coordinator then reads the figures on the reports page."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import SurveyReceipt, SurveyResponse
from intake.outbox.delivery import deliver_due
from tests.browser.plugin import open_page
from tests.browser.test_reports import _sign_in_and_open_reports
from tests.survey.support import attend, ended_group

pytestmark = pytest.mark.browser

SURVEY = re.compile(r"https?://[^/\s]+(/survey/\S+)")
TEXTS = {
    "en": ("How was your group?", "Send my answers", "Thank you", "we already have your answers"),
    "es": ("¿Cómo fue su grupo?", "Enviar mis respuestas", "Gracias", "ya tenemos sus respuestas"),
}


def _invitation_path(app, clock, locale: str) -> str:
    with app.app_context():
        _cohort, sessions, people = ended_group(clock(), people=1, locales=(locale,))
        attend(people[0], sessions, "PPPPPA", clock())
        tick_once(clock())
        # The survey invitation, and (5 of 6 attended) the letter of hours.
        assert deliver_due(clock()).sent == 2
        db.session.remove()
    [path] = sorted(Path(app.config["MAIL_FILE_DIR"]).glob("*-survey_invite.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return SURVEY.search(message.get_body(("plain",)).get_content()).group(1)


@pytest.mark.parametrize(
    ("javascript", "locale"), [(True, "en"), (False, "es")], ids=["js-en", "no-js-es"]
)
def test_answer_the_survey_from_the_invitation(
    request, javascript, locale, live_server, app, browser, clock, check_a11y, make_coordinator
):
    heading, button, thanks, already = TEXTS[locale]
    path = _invitation_path(app, clock, locale)
    context, page = open_page(browser, live_server, javascript=javascript)
    try:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_a11y(page, f"survey ({locale})")
        # A wrong answer cannot be chosen; an empty form is fine. Choose by label, as a
        # person does, one answer per question group.
        for group in page.locator("fieldset.field-group").all():
            group.locator("input[type=radio]").nth(3).check()
        page.locator("textarea").fill("Un grupo muy útil." if locale == "es" else "Very useful.")
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
        check_a11y(page, f"survey answered ({locale})")
        page.goto(path)
        expect(page.get_by_text(already)).to_be_visible()
        expect(page.get_by_role("button", name=button)).to_have_count(0)
        page.watchdog.assert_clean()
    finally:
        context.close()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyReceipt)) == 1
        response = db.session.scalars(select(SurveyResponse)).one()
        assert response.ratings == {
            "safe_to_share": 4,
            "helped_work": 4,
            "facilitator": 4,
            "recommend": 4,
        }
        assert response.locale == locale
        assert response.named_participant_id is None
        db.session.remove()

    if javascript:
        coordinator_page = request.getfixturevalue("page_js")
        _sign_in_and_open_reports(
            coordinator_page, make_coordinator(email="lead@example.org").email
        )
        expect(coordinator_page.locator("#groups-delivered")).to_be_visible()
        expect(coordinator_page.locator("#survey-results")).to_contain_text("fewer than 5")
        check_a11y(coordinator_page, "reports with groups and survey")
