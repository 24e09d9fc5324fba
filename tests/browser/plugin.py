"""A live server and a real Chromium (Debian's, never a downloaded one) for browser tests.

Every page a test opens is watched: a console error, an uncaught script error, a
Content Security Policy violation, a request to the live server that failed, or an
HTTP error the test did not expect fails the test at teardown.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import bound_socket, missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Short enough that a broken flow fails in seconds instead of Playwright's 30.
TIMEOUT_MS = 5_000
FAILED_LOAD_RE = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@pytest.fixture
def live_server(request, app_config):
    """The test ``app`` served on a free loopback port; yields its base URL.

    The port is bound (and held) before the app is created so that PUBLIC_BASE_URL,
    which the e-mailed manage link is built from, points at this server.
    """
    sock = bound_socket()
    sock.listen()
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    app_config["PUBLIC_BASE_URL"] = base_url
    app = request.getfixturevalue("app")
    assert app.config["PUBLIC_BASE_URL"] == base_url, (
        "`app` was created before `live_server`: list live_server (or page_js/page_nojs) "
        "before app in the test's arguments"
    )
    server = make_server("127.0.0.1", port, closes_its_files(app), threaded=True, fd=sock.fileno())
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    server.server_close()
    sock.close()
    thread.join(timeout=5)


def closes_its_files(app):
    """The app, with each response's iterable closed when werkzeug's development server
    drops it: when Chromium resets a connection (it cancels its own favicon fetch), the
    server's cleanup raises before it calls close(), and the open static file would
    surface later as a ResourceWarning in whichever test is running."""

    def serve(environ, start_response):
        iterable = app(environ, start_response)
        try:
            yield from iterable
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return serve


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    missing(
        f"Chromium not found at {CHROMIUM}: apt-get install chromium to run the browser "
        "tests (CI sets E2E_REQUIRED=1)"
    )


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run: its sync API allows one per thread, so every
    browser (the shared one, the TLS proxy's pinned ones) is launched from it."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class Watchdog:
    """Collects what went wrong on a page, as readable lines."""

    def __init__(self, page, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        # 422 is how the app answers a form with mistakes; a test may allow more.
        self.allowed_statuses = {422}
        # Navigations of the page so far. A script's request (htmx's) still in flight
        # when the page goes elsewhere is aborted by the browser: the person left the
        # page, nothing failed (a check sent as a field loses focus to the link that
        # was clicked, say; or a request answered with HX-Redirect, which Chromium may
        # call aborted once htmx has navigated). Requests the page sends twice are
        # tested where they could happen (the waitlist's search), not caught here by
        # chance.
        self.page = page
        self.navigations = 0
        # Keyed by the request itself (Playwright hands out one object per request),
        # not its id(): held here, no later request can take over a freed one's id.
        self.navigations_before: dict[object, int] = {}
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _ours(self, url: str) -> bool:
        return url.startswith(self.base_url)

    def _on_console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text:
            self.problems.append(f"CSP violation: {text}")
            return
        if message.type != "error":
            return
        failed_load = FAILED_LOAD_RE.search(text)
        if failed_load:
            url = message.location.get("url", "")
            # HTTP errors from the live server are judged in _on_response.
            if self._ours(url) and int(failed_load.group(1)) in self.allowed_statuses:
                return
        self.problems.append(f"console error: {text} ({message.location.get('url')})")

    def _on_request(self, req) -> None:
        if req.is_navigation_request() and req.frame == self.page.main_frame:
            self.navigations += 1
        elif req.resource_type in ("xhr", "fetch"):
            self.navigations_before[req] = self.navigations

    def _left_the_page(self, req) -> bool:
        before = self.navigations_before.get(req)
        return before is not None and self.navigations > before

    def _on_request_failed(self, req) -> None:
        # Chromium fetches the favicon on its own after the page loads and cancels that
        # fetch when a test navigates on at once: not something the page did.
        if req.url.endswith("/static/favicon.svg") and req.failure == "net::ERR_ABORTED":
            return
        if req.failure == "net::ERR_ABORTED" and self._left_the_page(req):
            return
        if self._ours(req.url):
            self.problems.append(f"request failed: {req.method} {req.url}: {req.failure}")

    def _on_response(self, response) -> None:
        if (
            self._ours(response.url)
            and response.status >= 400
            and response.status not in self.allowed_statuses
        ):
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )

    def assert_clean(self) -> None:
        assert not self.problems, "the browser reported problems:\n" + "\n".join(self.problems)


def open_page(browser, base_url: str, *, javascript: bool, viewport: dict | None = None):
    """A page in a context of its own; ``close_page`` closes it."""
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=javascript,
        locale="en-US",
        service_workers="block",
        **({"viewport": viewport} if viewport else {}),
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.watchdog = Watchdog(page, base_url)
    page.javascript = javascript
    page.base_url = base_url
    page.copy_context = None
    return context, page


def close_page(context, page) -> None:
    try:
        context.close()
    finally:
        if page.copy_context is not None:
            page.copy_context.close()


def scripted_copy(page):
    """A page of the same site, at the same size and with JavaScript on, showing
    ``page``'s HTML as it is now: where a script can read a page whose own JavaScript is
    off. One copy is made per page and reused (a new browser context costs ~0.5 s)."""
    if page.copy_context is None:
        page.copy_context = page.context.browser.new_context(
            base_url=page.base_url, viewport=page.viewport_size, locale="en-US"
        )
        page.copy_context.set_default_timeout(TIMEOUT_MS)
        page.copy = page.copy_context.new_page()
        page.copy.goto("/static/css/app.css")  # same origin: links and styles resolve
    page.copy.set_content(page.content())
    page.copy.wait_for_load_state("load")
    return page.copy


@pytest.fixture
def page_js(browser, live_server):
    context, page = open_page(browser, live_server, javascript=True)
    yield page
    close_page(context, page)
    page.watchdog.assert_clean()


@pytest.fixture
def page_nojs(browser, live_server):
    context, page = open_page(browser, live_server, javascript=False)
    yield page
    close_page(context, page)
    page.watchdog.assert_clean()


# Accessibility: axe-core from the npm registry (tests/browser/package.json, installed
# by `make test`; never served by the app), run inside the page under test.
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        missing(f"axe-core missing at {AXE}: run `npm ci --prefix tests/browser` (make test does)")
    return AXE.read_text()


@pytest.fixture
def check_a11y(axe_source):
    """Run axe on the page as it is now; fail on any serious or critical violation.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern, so the app's CSP stays strict.
    """

    def check(page, state: str = "") -> None:
        if getattr(page, "javascript", True):
            _run(page, state)
            return
        # With JavaScript off nothing can run inside the page (an evaluate would wait
        # for ever): check the same HTML in a page of the same site that can.
        _run(scripted_copy(page), f"{state} (without JavaScript: {page.url})")

    def _run(page, state: str) -> None:
        # After a navigation, a test's "this text is visible" can pass before the
        # stylesheet has loaded; axe would then measure the unstyled page, where the
        # header's first links are small inline text (target-size fails at the skip
        # link, the site name and a language link, as a page with its stylesheet
        # disabled shows). The load event waits for the stylesheet.
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        violations = page.evaluate(
            "async (tags) => (await axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations",
            AXE_TAGS,
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{page.url} {state}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(node["target"][0] for node in v["nodes"][:3])
            for v in serious
        )

    return check
