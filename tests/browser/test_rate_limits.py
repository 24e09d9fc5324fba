"""A refused form in a real browser: the answers stay, the reason shows, and with
JavaScript the form shown in place still posts with htmx."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

REFUSED = "This form was sent with this e-mail address many times in a short while."


@pytest.fixture
def limited(app_config):
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_MANAGE_LINK_EMAIL="1 per hour",
    )


def _ask(page: Page, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send me my link").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_refused_form_keeps_the_answer_and_says_why(limited, request, javascript):
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    page.watchdog.allowed_statuses.add(429)
    request.getfixturevalue("app")

    page.goto("/manage/link")
    _ask(page, "rosa@example.org")
    page.wait_for_url("**/manage/link/sent")
    page.wait_for_load_state()

    page.goto("/manage/link")
    _ask(page, "rosa@example.org")
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page.get_by_role("alert")).to_contain_text("Please wait a moment")
    expect(page.get_by_label("E-mail address")).to_have_value("rosa@example.org")

    # Someone else at the same computer is not held back, and with JavaScript the form
    # shown in place still sends with htmx.
    if javascript:
        with page.expect_request(lambda r: r.method == "POST") as sent:
            _ask(page, "ana@example.org")
        assert sent.value.headers.get("hx-request") == "true"
    else:
        _ask(page, "ana@example.org")
    page.wait_for_url("**/manage/link/sent")
    page.wait_for_load_state()
