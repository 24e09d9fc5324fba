"""Application cycles in a real browser: "e-mail me when it opens" with and without
JavaScript, and an admin adding a window (axe on each page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import ApplicationWindow, OpeningNotice
from tests.factories import add_window

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_asking_to_be_told_when_a_program_opens(request, clock, check_a11y, javascript):
    page = request.getfixturevalue("page_js" if javascript else "page_nojs")
    app = request.getfixturevalue("app")
    with app.app_context():
        add_window("introductory", clock() + timedelta(days=3), clock() + timedelta(days=30))
        db.session.remove()
    page.goto("/programs/introductory")
    expect(page.get_by_text("Applications open March 5, 2026")).to_be_visible()
    if javascript:
        check_a11y(page, "a program not open yet")
    page.get_by_label("Your e-mail address").fill("not an address")
    page.get_by_role("button", name="E-mail me when it opens").click()
    # Wait for the answer (with htmx, the form is swapped in place): typing before it
    # arrives would be overwritten by the returned form.
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Your e-mail address")).to_have_value("not an address")
    page.get_by_label("Your e-mail address").fill("rosa@example.org")
    page.get_by_role("button", name="E-mail me when it opens").click()
    expect(page.get_by_role("status")).to_contain_text("We will send one e-mail")
    with app.app_context():
        [notice] = db.session.scalars(select(OpeningNotice)).all()
        assert notice.email == "rosa@example.org"
        db.session.remove()


def test_an_admin_adds_a_window(page_js, app, make_coordinator, clock, check_a11y):
    from tests.browser.test_workspace import _sign_in

    page = page_js
    page.watchdog.allowed_statuses.add(422)
    user = make_coordinator(email="admin@example.org", admin=True)
    _sign_in(page, user, clock)
    page.goto("/coord/admin/programs")
    page.get_by_role("link", name="Windows of Introductory").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Application windows")
    check_a11y(page, "a program's windows")
    page.get_by_role("link", name="New window").click()
    page.get_by_label("Cycle name", exact=True).fill("2026 cycle")
    page.get_by_label("Opens").fill("2026-04-01T09:00")
    page.get_by_label("Closes").fill("2026-03-01T09:00")
    page.get_by_role("button", name="Add the window").click()
    expect(page.get_by_text("The window must close after it opens.").first).to_be_visible()
    check_a11y(page, "a refused window")
    page.get_by_label("Closes").fill("2026-05-01T17:00")
    page.get_by_role("button", name="Add the window").click()
    page.wait_for_url("**/windows")
    expect(page.get_by_role("table")).to_contain_text("2026 cycle")
    with app.app_context():
        [window] = db.session.scalars(select(ApplicationWindow)).all()
        assert window.opens_at == datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
        db.session.remove()
