import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Program,
)
from intake.references import new_reference


def make_waiting(clock, counter):
    """A factory for waitlisted applications written straight through the models."""

    def add(
        name: str | None = None,
        *,
        program: str = "introductory",
        status: str = "waitlisted",
        languages=("en",),
        availability=("weekday_evening",),
        priority: int = 0,
        joined_minutes_ago: float = 0,
        agency: str | None = None,
        seats: int = 1,
        commit: bool = True,
    ) -> Application:
        n = next(counter)
        name = name or f"Person {n:04d}"
        now = clock()
        email = f"waiting{n:04d}@example.org"
        applicant = Applicant(
            kind="agency" if agency else "individual",
            name=name,
            email=email,
            email_key=email,
            form_token=uuid.uuid4().hex,
            created_at=now - timedelta(days=30),
            languages=[ApplicantLanguage(code=code) for code in languages],
            availability_slots=[ApplicantAvailability(slot=slot) for slot in availability],
        )
        if agency:
            applicant.agency = AgencyDetails(
                agency_name=agency,
                agency_key=agency.lower(),
                street="1 Example Way",
                city="Seattle",
                state="WA",
                zip="98104",
                leader_title="Director",
            )
        application = Application(
            applicant=applicant,
            program=db.session.scalars(select(Program).where(Program.slug == program)).one(),
            reference=new_reference(),
            status=status,
            decision={"outcome": "pass", "rules": []},
            priority=priority,
            seats_requested=seats,
            joined_at=now - timedelta(minutes=joined_minutes_ago),
            created_at=now - timedelta(days=30),
            updated_at=now,
        )
        db.session.add(application)
        if commit:
            db.session.commit()
        return application

    return add


@pytest.fixture
def waiting(ctx, clock):
    """Add a waitlisted application; ``joined_minutes_ago`` orders equal priorities."""
    return make_waiting(clock, itertools.count(1))
