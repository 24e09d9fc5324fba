"""A group that has met: a cohort with sessions in the past, its participants, and
attendance written straight into the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from intake.extensions import db
from intake.models import Attendance, Cohort, CohortSession, Participant
from tests.factories import add_application, add_cohort, add_participant, add_sessions, program


@dataclass
class Group:
    cohort: Cohort
    sessions: list[CohortSession]
    people: list[Participant] = field(default_factory=list)

    @property
    def ends(self) -> datetime:
        last = self.sessions[-1]
        return last.starts_at + timedelta(minutes=last.minutes)


def attend(person: Participant, sessions, status: str = "present", when=None) -> None:
    for session in sessions:
        db.session.add(
            Attendance(
                session_id=session.id,
                participant_id=person.id,
                status=status,
                recorded_at=when or session.starts_at,
            )
        )
    db.session.commit()


@pytest.fixture
def make_group(ctx, clock):
    """``make_group(count=10, slug=…, people=[(name, locale), …])``: a cohort of the
    program whose ``count`` weekly sessions started five weeks before now... ending
    before or after now as the test moves the clock; each person enrolled."""
    numbers = iter(range(1, 10_000))

    def make(
        *,
        slug: str = "reflective-practice-group",
        count: int = 10,
        minutes: int = 120,
        people=(("Ana Reyes", "en"),),
        language: str = "en",
        credential: str | None = "IMH-E® Mentor",
        first: datetime | None = None,
        agency: str | None = None,
        seats: int = 1,
    ) -> Group:
        now = clock()
        cohort = add_cohort(
            now,
            program=slug,
            name=f"Group {next(numbers)}",
            language=language,
            facilitator="Mai Facilitator",
            commit=False,
        )
        cohort.facilitator_credential = credential
        first = first or now - timedelta(weeks=count)
        sessions = add_sessions(cohort, first, count=count, minutes=minutes, commit=False)
        group = Group(cohort, sessions)
        if agency:
            application = add_application(
                now,
                next(numbers),
                "Director Dee",
                program=slug,
                status="enrolled",
                agency_name=agency,
                seats=seats,
                commit=False,
            )
            for name, locale in people:
                n = next(numbers)
                group.people.append(
                    add_participant(
                        application,
                        cohort,
                        now,
                        name=name,
                        email=f"staff{n}@example.org",
                        locale=locale,
                        staff=True,
                        commit=False,
                    )
                )
        else:
            for name, locale in people:
                application = add_application(
                    now, next(numbers), name, program=slug, status="enrolled", commit=False
                )
                application.applicant.locale = locale
                db.session.flush()  # the applicant's id: an individual is the applicant
                group.people.append(
                    add_participant(application, cohort, now, locale=locale, commit=False)
                )
        db.session.commit()
        return group

    return make


@pytest.fixture
def rpg(ctx):
    """The 10-session group's credit rules: 72 minutes a session, up to 12 hours."""
    p = program("reflective-practice-group")
    p.credit_minutes_per_session = 72
    p.credit_cap_minutes = 720
    p.completion_percent = 80
    db.session.commit()
    return p
