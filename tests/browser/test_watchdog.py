"""The page watchdog is not vacuous: the app's CSP is enforced and a violation is caught."""

import pytest

from tests.browser.plugin import open_page

pytestmark = pytest.mark.browser


def test_watchdog_reports_a_csp_violation(browser, live_server):
    context, page = open_page(browser, live_server, javascript=True)
    try:
        page.goto("/")
        # Wait for Chromium's report of the refusal, not for a fixed time.
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.evaluate(
                """() => {
                    const script = document.createElement("script");
                    script.textContent = "window.__ran = true";
                    document.body.append(script);
                }"""
            )
        assert page.evaluate("window.__ran") is None
    finally:
        context.close()
    assert any(p.startswith("CSP violation:") for p in page.watchdog.problems), (
        page.watchdog.problems
    )
