"""Helpers for the manage-page tests: applying, reading e-mails and pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant
from intake.outbox.delivery import deliver_due
from tests.helpers import submit_application

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


_INPUT_RE = re.compile(r"<input\b[^>]*>", re.S)


def checked(page: str, name: str) -> set[str]:
    """The values of the ticked boxes named ``name`` on a page."""
    values = set()
    for tag in _INPUT_RE.findall(page):
        if f'name="{name}"' in tag and re.search(r"\schecked\b", tag):
            values.add(re.search(r'value="([^"]*)"', tag).group(1))
    return values
