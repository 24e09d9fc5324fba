"""The page watchdog is not vacuous: the app's CSP is enforced and a violation is caught;
a request that fails on the page is caught, one the page left behind is not."""

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


def _fetch_in_flight(page, script: str) -> None:
    """At the home page, run ``script``, whose fetch of /healthz the test holds in
    flight (never answered)."""
    page.goto("/")
    held = []
    page.route("**/healthz", lambda route: held.append(route))
    with page.expect_event("request", lambda r: r.url.endswith("/healthz")):
        page.evaluate(script)


def test_a_request_the_page_left_behind_is_not_a_problem(browser, live_server):
    context, page = open_page(browser, live_server, javascript=True)
    try:
        _fetch_in_flight(page, "() => { fetch('/healthz'); }")
        with page.expect_event("requestfailed", lambda r: r.url.endswith("/healthz")):
            page.goto("/screener")
    finally:
        context.close()
    assert page.watchdog.problems == []


def test_a_request_aborted_on_the_page_is_still_a_problem(browser, live_server):
    context, page = open_page(browser, live_server, javascript=True)
    try:
        _fetch_in_flight(
            page,
            """() => {
                window.stop = new AbortController();
                fetch('/healthz', {signal: window.stop.signal}).catch(() => {});
            }""",
        )
        with page.expect_event("requestfailed", lambda r: r.url.endswith("/healthz")):
            page.evaluate("() => window.stop.abort()")
    finally:
        context.close()
    assert any("request failed: GET" in p and "/healthz" in p for p in page.watchdog.problems), (
        page.watchdog.problems
    )
