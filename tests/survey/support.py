"""A group that has ended, with participants, for the survey and the reports."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import Attendance, Cohort, CohortSession, Participant
from tests.factories import add_application, add_cohort, add_participant, add_sessions

SURVEY_LINK = re.compile(r"https://intake\.example\.org(/survey/[A-Za-z0-9_.\-]+)")


def ended_group(
    now: datetime,
    *,
    people: int = 3,
    locales=("en",),
    program: str = "introductory",
    name: str = "Spring evening group",
    language: str = "en",
    sessions: int = 6,
    minutes: int = 90,
    first_number: int = 1,
    last_session_ends_in: timedelta = timedelta(hours=-1),
) -> tuple[Cohort, list[CohortSession], list[Participant]]:
    """A cohort whose last session ends at ``now + last_session_ends_in`` (by default
    an hour ago), with ``people`` individual participants, their locales in turn."""
    cohort = add_cohort(now, program=program, name=name, language=language)
    last_start = now + last_session_ends_in - timedelta(minutes=minutes)
    first = last_start - timedelta(weeks=sessions - 1)
    held = add_sessions(cohort, first, count=sessions, minutes=minutes)
    participants = []
    for index in range(people):
        application = add_application(now, first_number + index, program=program, status="enrolled")
        application.applicant.locale = locales[index % len(locales)]
        participants.append(add_participant(application, cohort, now))
    return cohort, held, participants


def attend(participant: Participant, sessions, statuses: str, now: datetime) -> None:
    """Attendance marks: one letter per session, P(resent), A(bsent), E(xcused), - none."""
    codes = {"P": "present", "A": "absent", "E": "excused"}
    for session, code in zip(sessions, statuses, strict=False):
        if code in codes:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    participant_id=participant.id,
                    status=codes[code],
                    recorded_at=now,
                )
            )
    db.session.commit()


def participants() -> list[Participant]:
    return list(db.session.scalars(select(Participant).order_by(Participant.id)))
