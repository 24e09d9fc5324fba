"""Helpers for the manage-page tests: applying, reading e-mails, cohorts, pages."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime

from sqlalchemy import select

from intake.applications.services import submit_application as submit_service
from intake.extensions import db
from intake.models import Applicant, Application, Cohort, Program
from intake.outbox.delivery import deliver_due
from tests.helpers import SCREENER_ANSWERS, csrf_token, submit_application

LINK_RE = re.compile(r"https://intake\.example\.org(/manage/[A-Za-z0-9_\-]+)")


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def emails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m["To"] == address]


def link_in(message) -> str:
    """The manage link's path in an e-mail."""
    match = LINK_RE.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def apply(smtp, client, clock, **details) -> str:
    """Apply through the real pages, deliver the mail over SMTP, and return the path
    of the manage link in the "received" e-mail."""
    response = submit_application(client, **details)
    assert response.status_code == 303, response.get_data(as_text=True)
    deliver_due(clock())
    address = details.get("email", "rosa@example.org")
    received = emails_to(smtp, address)
    assert received, [m["To"] for m in smtp.messages]
    return link_in(received[-1])


def program(slug: str = "introductory") -> Program:
    return db.session.scalars(select(Program).where(Program.slug == slug)).one()


def add_waiting(
    now: datetime,
    *,
    name: str,
    email: str,
    languages: list[str],
    availability: list[str],
    slug: str = "introductory",
    priority: int = 0,
) -> Application:
    """Someone else on the waitlist, written through the application service."""
    applicant = submit_service(
        kind="individual",
        programs=[program(slug)],
        answers=dict(SCREENER_ANSWERS),
        details={
            "name": name,
            "email": email,
            "languages": languages,
            "availability": availability,
            "work_zip": "98104",
            "consent_contact": True,
        },
        locale="en",
        form_token=secrets.token_urlsafe(16),
        now=now,
    )
    application = applicant.applications[0]
    assert application.status == "waitlisted"
    application.priority = priority
    db.session.commit()
    return application


def add_cohort(
    now: datetime,
    *,
    name: str,
    language: str = "en",
    time_slot: str | None = "weekday_evening",
    start_date: date = date(2026, 4, 7),
    seats: int = 8,
    slug: str = "introductory",
) -> Cohort:
    cohort = Cohort(
        program=program(slug),
        name=name,
        language=language,
        facilitator="Mai Facilitator",
        schedule="First Tuesday of the month, 6-8 pm",
        time_slot=time_slot,
        start_date=start_date,
        seats=seats,
        created_at=now,
    )
    db.session.add(cohort)
    db.session.commit()
    return cohort


def applicant_by_email(email: str) -> Applicant:
    db.session.expire_all()
    return db.session.scalars(select(Applicant).where(Applicant.email_key == email)).one()


_ROW_RE = re.compile(
    r'<th scope="row">([^<]+)</th>.*?<td class="num"><strong>(\d+)</strong>.*?'
    r'<td class="num">(\d+)</td>',
    re.S,
)


def places(page: str) -> dict[str, tuple[int, int]]:
    """The place-in-line table: cohort name -> (place, free seats)."""
    return {name: (int(place), int(free)) for name, place, free in _ROW_RE.findall(page)}


def post_form(client, page_url: str, data: dict, post_url: str | None = None, **kwargs):
    """Open the page for its CSRF token, then post ``data`` as the browser would."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    token = csrf_token(page.get_data(as_text=True))
    return client.post(post_url or page_url, data={**data, "csrf_token": token}, **kwargs)


_INPUT_RE = re.compile(r"<input\b[^>]*>", re.S)


def checked(page: str, name: str) -> set[str]:
    """The values of the ticked boxes named ``name`` on a page."""
    values = set()
    for tag in _INPUT_RE.findall(page):
        if f'name="{name}"' in tag and re.search(r"\schecked\b", tag):
            values.add(re.search(r'value="([^"]*)"', tag).group(1))
    return values
