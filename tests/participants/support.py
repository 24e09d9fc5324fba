"""Enrolled individuals and agencies, and the staff pages' forms, for the
participant tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from intake.extensions import db
from intake.manage.tokens import mint_manage_token
from intake.models import Application, Cohort, Participant
from intake.offers.services import accept, make_offer
from tests.factories import add_application, add_cohort, add_sessions
from tests.helpers import csrf_token

# The groups' first session: Tuesday 7 April 2026, 9:30 in Seattle.
FIRST = datetime(2026, 4, 7, 16, 30, tzinfo=UTC)
PARTICIPANT_LINK = re.compile(r"https://intake\.example\.org(/participant/[A-Za-z0-9_\-]+)")


def enrolled(
    clock, *, agency: bool = False, seats: int = 2, sessions: int = 6, number: int = 1
) -> tuple[Application, Cohort, str]:
    """An application that accepted a seat (an agency's ``seats``), its cohort with
    ``sessions`` weekly sessions from FIRST, and the applicant's manage link path."""
    now = clock()
    program = "king-county-consultation" if agency else "introductory"
    cohort = add_cohort(now, program=program, name=f"Group {number}", commit=False)
    application = add_application(
        now,
        number,
        "Dana Director" if agency else None,
        program=program,
        agency_name="Little Sprouts" if agency else None,
        organisation="Little Sprouts" if agency else None,
        seats=seats if agency else 1,
        access_needs=("captions",),
        commit=False,
    )
    db.session.flush()
    accept(make_offer(cohort, application, now=now), now=now)
    if sessions:
        add_sessions(cohort, FIRST, count=sessions, commit=False)
    token = mint_manage_token(application.applicant_id, now)
    db.session.commit()
    return application, cohort, f"/manage/{token}"


def new_manage_link(application: Application, clock) -> str:
    """A fresh manage link (as the next e-mail would bring) once time has moved on."""
    token = mint_manage_token(application.applicant_id, clock())
    db.session.commit()
    return f"/manage/{token}"


STAFF = {
    "name": "Ana Staff",
    "email": "ana@example.org",
    "role": "home_visitor",
    "language": "es",
    "access_needs": ["asl_interpreter"],
    "access_needs_other": "",
}


def name_one(client, manage: str, application: Application, headers=None, **answers):
    """Open the staff page and send its form, as a browser does."""
    path = f"{manage}/staff/{application.reference}"
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = {**STAFF, **answers, "csrf_token": csrf_token(page.get_data(as_text=True))}
    return client.post(path, data=data, headers=headers or {})


def staff_of(application: Application) -> list[Participant]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.application_id == application.id)
            .order_by(Participant.id)
        )
    )


def participant_path(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = PARTICIPANT_LINK.search(body)
    assert match, body
    return match.group(1)
