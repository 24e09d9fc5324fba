"""axe-core (WCAG 2.2 AA) on every applicant page and the states a journey reaches,
at desktop width, at 320 px (a small phone) and at 200% zoom."""

import pytest

from intake.extensions import db
from tests.factories import program

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/",
    "/programs/introductory",
    "/programs/king-county-consultation",
    "/screener",
    "/screener/agency",
    "/screener/agency/refer",
    "/manage/not-a-real-link",
    "/no-such-page",
    "/coord/login",
    "/coord/forgot",
    "/?lang=es",
    "/screener?lang=zh",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_violations(page_js, live_server, check_a11y, path):
    page_js.watchdog.allowed_statuses.add(404)  # the not-found pages are meant to 404
    page_js.goto(live_server + path)
    check_a11y(page_js)


def test_screener_states(page_js, live_server, check_a11y):
    page = page_js
    page.goto(live_server + "/screener")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="See which programs fit").click()
    page.wait_for_load_state("networkidle")
    check_a11y(page, "errors shown")
    page.get_by_label("Yes, I work with young children and/or their families").check()
    page.get_by_label("Home visitor (including nurse home visitor)").check()
    page.locator("#bipoc-0").check()
    page.wait_for_selector("#retreat-0")
    page.locator("#retreat-2").check()
    page.locator("#works_in_illinois-1").check()  # not in Illinois: a review, with an alternative
    page.wait_for_load_state("networkidle")
    check_a11y(page, "results panel with a review")


def test_agency_not_leadership_state(page_js, live_server, check_a11y):
    page = page_js
    page.goto(live_server + "/screener/agency")
    page.wait_for_load_state("networkidle")
    page.locator("#is_leader-1").check()
    page.wait_for_selector("#director_email")
    check_a11y(page, "referral form in the results")


@pytest.mark.parametrize(("width", "scale"), [(320, 1), (640, 2)], ids=["320px", "200pct"])
@pytest.mark.parametrize("path", ["/", "/screener", "/screener/agency", "/programs/introductory"])
def test_no_sideways_scrolling_on_a_phone_or_zoomed(browser, live_server, path, width, scale):
    # 200% zoom of a 1280 px window lays the page out in 640 CSS pixels.
    context = browser.new_context(
        viewport={"width": width, "height": 800}, device_scale_factor=scale
    )
    page = context.new_page()
    page.goto(live_server + path)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"


WORKSPACE_PAGES = [
    "/coord/waitlist",
    "/coord/review",
    "/coord/applications/{id}",
    "/coord/cohorts",
    "/coord/reports",
    "/coord/outbox",
    "/coord/admin/programs",
    "/coord/admin/coordinators",
    "/coord/admin/cohorts/new",
    "/coord/account/two-factor",
    "/coord/enter",
    "/coord/enter/agency",
]


def test_workspace_pages_have_no_serious_violations(
    page_js, live_server, app, make_coordinator, clock, check_a11y
):
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Application
    from tests.browser.test_workspace import _sign_in
    from tests.helpers import submit_application

    submit_application(app.test_client())
    with app.app_context():
        application_id = db.session.scalars(select(Application.id)).one()
        db.session.remove()
    user = make_coordinator(email="admin@example.org", admin=True)
    _sign_in(page_js, user, clock)
    for path in WORKSPACE_PAGES:
        page_js.goto(path.format(id=application_id))
        check_a11y(page_js)


def test_manage_pages_have_no_serious_violations(page_js, live_server, app, clock, check_a11y):
    """Every page behind the private link, in English and in Chinese."""
    import re
    from email import message_from_bytes, policy
    from pathlib import Path

    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Application
    from intake.outbox.delivery import deliver_due
    from tests.helpers import submit_application

    submit_application(app.test_client())
    with app.app_context():
        deliver_due(clock())
        reference = db.session.scalars(select(Application.reference)).one()
        db.session.remove()
    [eml] = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    text = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",))
    manage = re.search(r"https?://[^/\s]+(/manage/\S+)", text.get_content()).group(1)
    for path in [
        manage,
        f"{manage}/details",
        f"{manage}/withdraw/{reference}",
        f"{manage}/delete",
        "/manage/link",
        f"{manage}?lang=zh",
    ]:
        page_js.goto(path)
        check_a11y(page_js)


def test_english_standing_in_for_a_translation_is_marked(page_js, live_server, check_a11y, app):
    """An edited, untranslated text: English inside lang="en", the mark after it."""
    with app.app_context():
        program("introductory").summary = "Six sessions to begin, now with a spring cohort."
        db.session.commit()
    page = page_js
    page.goto(live_server + "/programs/introductory?lang=es")
    english = page.locator('p.lead span[lang="en"]')
    assert english.inner_text() == "Six sessions to begin, now with a spring cohort."
    assert page.locator("p.lead .lang-mark").inner_text() == "(en inglés)"
    check_a11y(page, "English fallback in a Spanish page")
