"""The public pages on a small phone (320 and 375 px wide): nothing scrolls sideways,
even with a long e-mail address, and every value of the confirmation keeps its label.

Each page is reached the way a person reaches it (screener, application, received
page), the manage and respond pages through links minted for a real application."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.manage.tokens import mint_manage_token
from intake.models import Application, Cohort, Coordinator, Program
from intake.offers.services import offer_one
from intake.outbox.delivery import deliver_due
from tests.browser.plugin import close_page, open_page, scripted_copy

pytestmark = pytest.mark.browser

# 60 characters with no place to break: what pushed the manage page to ~450 px.
LONG_EMAIL = "maria.fernanda.longname-rodriguez.intakes@familyservices.org"
assert len(LONG_EMAIL) == 60
RESPOND_RE = re.compile(r"https?://[^/\s]+(/respond/offer_\w+/\S+)")


def _phone(browser, base_url: str, width: int):
    return open_page(
        browser, base_url, javascript=False, viewport={"width": width, "height": 700}
    )


def _in_page(page, script: str):
    """Evaluate a script against the page as it is now. JavaScript is off in the page,
    so this runs in a copy of its HTML in a page of the same site that can run it."""
    return scripted_copy(page).evaluate(script)


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# What a reader sees in each cell of the received page's table: the label the page
# gives it (with the headers hidden), then its text.
CELLS = """() => [...document.querySelectorAll("main table tbody tr:first-child td")].map(td => {
  const before = getComputedStyle(td, "::before");
  const label = before.display === "none" ? "" : before.content.replace(/^"|"$/g, "");
  return [label === "none" ? "" : label, td.innerText.trim()];
})"""
HEADERS_SHOWN = (
    '() => getComputedStyle(document.querySelector("main table thead")).display !== "none"'
)


def _fits(page, what: str, problems: list[str]) -> None:
    overflow = _in_page(page, OVERFLOW)
    if overflow > 0:
        problems.append(f"{what} ({page.url}) scrolls sideways by {overflow}px")


def _answer_screener(page, **answers) -> None:
    page.goto("/screener")
    for name, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            page.locator(f'input[name="{name}"][value="{item}"]').check()
    page.get_by_role("button", name="See which programs fit").click()


@pytest.mark.parametrize("width", [320, 375])
def test_public_pages_fit_a_phone(browser, live_server, app, clock, make_coordinator, width):
    admin = make_coordinator(email="admin@example.org", admin=True)
    context, page = _phone(browser, live_server, width)
    problems: list[str] = []
    try:
        for path in [
            "/",
            "/programs/introductory",
            "/programs/king-county-consultation",
            "/screener",
            "/screener/agency",
            "/screener/agency/refer",
            "/manage/link",
        ]:
            page.goto(path)
            _fits(page, path, problems)

        page.goto("/screener")
        page.get_by_role("button", name="See which programs fit").click()
        _fits(page, "screener with every error", problems)
        _answer_screener(page, works_with_young_children="no", roles="nurse", bipoc="no")
        _fits(page, "screener, nothing fits", problems)

        page.goto("/screener/agency")
        page.locator('input[name="is_leader"][value="no"]').check()
        page.get_by_role("button", name="See if your agency can apply").click()
        _fits(page, "agency screener, not leadership", problems)

        _answer_screener(
            page,
            works_with_young_children="direct",
            roles="mental_health_clinician",
            bipoc="prefer_not",
            works_in_illinois="yes",
        )
        _fits(page, "screener, some fit", problems)
        page.get_by_role("link", name="Continue to your application").click()
        _fits(page, "application form", problems)
        page.get_by_role("button", name="Send my application").click()
        _fits(page, "application form with every error", problems)
        page.locator('input[name="programs"][value="introductory"]').check()
        page.get_by_label("Your name").fill("María Fernanda Longname-Rodríguez")
        page.get_by_label("E-mail address").fill(LONG_EMAIL)
        page.get_by_label("ZIP code where you work").fill("98104")
        page.locator('input[name="languages"][value="en"]').check()
        page.locator('input[name="availability"][value="weekday_evening"]').check()
        page.locator('input[name="consent"]').check()
        page.get_by_role("button", name="Send my application").click()
        page.wait_for_url("**/apply/received")
        _fits(page, "received page", problems)
        if not _in_page(page, HEADERS_SHOWN):
            program, reference, status = _in_page(page, CELLS)
            assert program[1].startswith("Introductory reflective practice")
            assert reference[0] == "Reference"
            assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", reference[1])
            assert status[0] == "Status"

        manage, reference = _waiting(app, clock)
        page.goto(manage)
        _fits(page, "manage page, waiting", problems)
        # The place-in-line table keeps its headers on a phone (it scrolls in its box).
        assert _in_page(page, HEADERS_SHOWN.replace("main table", "main .place-table"))
        for path in ["/", "/programs/introductory"]:
            page.goto(path)
            _fits(page, f"{path} with a long contact address", problems)
        _answer_screener(page, works_with_young_children="no", roles="nurse", bipoc="no")
        _fits(page, "screener, nothing fits, with a contact address", problems)

        accept, decline = _offer(app, clock, admin.id)
        for path in [
            manage,
            f"{manage}/details",
            f"{manage}/withdraw/{reference}",
            f"{manage}/delete",
            accept,
            decline,
            # Last: choosing a language sticks for the pages after it.
            f"{manage}?lang=es",
            "/?lang=es",
            "/screener?lang=es",
            f"{manage}?lang=zh",
        ]:
            page.goto(path)
            _fits(page, path.split("/")[1] + " page", problems)
        page.watchdog.assert_clean()
    finally:
        close_page(context, page)
    assert not problems, "\n".join(problems)


def _waiting(app, clock) -> tuple[str, str]:
    """A group that fits the one application, and a manage link for it."""
    with app.app_context():
        deliver_due(clock())  # the "received" e-mail, out of the way
        application = db.session.scalars(select(Application)).one()
        program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
        program.coordinator_email = "introductory-reflective-practice@familyservices.org"
        db.session.add(
            Cohort(
                program=program,
                name="Tuesday evening group with a long name for small screens",
                language="en",
                facilitator="F. Example",
                schedule="First Tuesday of the month, 6-8 pm",
                time_slot="weekday_evening",
                start_date=(clock() + timedelta(days=30)).date(),
                seats=8,
                created_at=clock(),
            )
        )
        token = mint_manage_token(application.applicant_id, clock())
        reference = application.reference
        db.session.commit()
        db.session.remove()
    return f"/manage/{token}", reference


def _offer(app, clock, admin_id: int) -> tuple[str, str]:
    """An offer of a seat in that group: its accept and decline links."""
    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        cohort = db.session.scalars(select(Cohort)).one()
        offer_one(
            cohort,
            application,
            now=clock(),
            actor=db.session.get(Coordinator, admin_id),
            reason=None,
        )
        db.session.commit()
        deliver_due(clock())
        db.session.remove()
    [path] = sorted(Path(app.config["MAIL_FILE_DIR"]).glob("*-offer_made.eml"))
    text = message_from_bytes(path.read_bytes(), policy=policy.default)
    paths = RESPOND_RE.findall(text.get_body(("plain",)).get_content())
    accept = next(p for p in paths if "offer_accept" in p)
    decline = next(p for p in paths if "offer_decline" in p)
    return accept, decline
