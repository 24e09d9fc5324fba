"""Builders for test data: one small function per kind of row, defaults a test can
override by keyword. They write straight through the models (fast, for volume) or,
for ``submit_waiting``, through the application service; each commits unless told
``commit=False``. Tests that are about the forms send them instead (tests/helpers.py).
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from intake.applications.services import submit_application as submit_service
from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    CohortSession,
    Participant,
    Program,
    SelfIdentification,
)
from intake.references import new_reference
from tests.helpers import SCREENER_ANSWERS

SCHEDULE = "First Tuesday of the month, 6–8 pm"


def program(slug: str = "introductory") -> Program:
    # Without flushing what the caller added so far: the builders look a program up
    # for every row, and a flush per row would keep the ORM from batching the INSERTs
    # of many rows into a few statements.
    with db.session.no_autoflush:
        return db.session.scalars(select(Program).where(Program.slug == slug)).one()


# The builders take a program's slug as ``program``.
_program = program


def programs() -> dict[str, Program]:
    """The seeded programs by slug."""
    return {p.slug: p for p in db.session.scalars(select(Program))}


def add_cohort(
    now: datetime,
    *,
    program: str = "introductory",
    name: str = "Spring evening group",
    language: str = "en",
    seats: int = 8,
    offered: int = 0,
    enrolled: int = 0,
    start_date: date = date(2026, 4, 7),
    time_slot: str | None = "weekday_evening",
    facilitator: str = "Mai Facilitator",
    schedule: str = SCHEDULE,
    commit: bool = True,
) -> Cohort:
    """A cohort of the program with that slug; ``offered``/``enrolled`` set its
    counters by hand, as offers would."""
    cohort = Cohort(
        program=_program(program),
        name=name,
        language=language,
        facilitator=facilitator,
        schedule=schedule,
        time_slot=time_slot,
        start_date=start_date,
        seats=seats,
        seats_offered=offered,
        seats_enrolled=enrolled,
        created_at=now,
    )
    db.session.add(cohort)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return cohort


def add_application(
    now: datetime,
    number: int,
    name: str | None = None,
    *,
    program: str = "introductory",
    status: str = "waitlisted",
    email: str | None = None,
    languages: Iterable[str] = ("en",),
    availability: Iterable[str] = ("weekday_evening",),
    priority: int = 0,
    joined_days_ago: float | None = 0,
    joined_minutes_ago: float = 0,
    agency_name: str | None = None,
    seats: int = 1,
    phone: str | None = None,
    organisation: str | None = None,
    access_needs: Iterable[str] = (),
    access_needs_other: str | None = None,
    bipoc: str | None = None,
    reference: str | None = None,
    duplicate_of: Application | None = None,
    commit: bool = True,
) -> Application:
    """An application (and its applicant) written through the models, numbered
    ``number`` ("Person 0001", person0001@example.org). It joined the waitlist
    ``joined_days_ago`` plus ``joined_minutes_ago`` before ``now`` (days None: never)
    and was made a day before that."""
    name = name or f"Person {number:04d}"
    email = email or f"person{number:04d}@example.org"
    joined_at = (
        None
        if joined_days_ago is None
        else now - timedelta(days=joined_days_ago, minutes=joined_minutes_ago)
    )
    created_at = (joined_at or now) - timedelta(days=1)
    applicant = Applicant(
        kind="agency" if agency_name else "individual",
        name=name,
        email=email,
        email_key=email.lower(),
        phone=phone,
        organisation=organisation,
        access_needs=list(access_needs),
        access_needs_other=access_needs_other,
        form_token=uuid.uuid4().hex,
        created_at=created_at,
        languages=[ApplicantLanguage(code=code) for code in languages],
        availability_slots=[ApplicantAvailability(slot=slot) for slot in availability],
    )
    if agency_name:
        applicant.agency = AgencyDetails(
            agency_name=agency_name,
            agency_key=agency_name.lower(),
            street="1 Example Way",
            city="Seattle",
            state="WA",
            zip="98104",
            leader_title="Director",
        )
    if bipoc:
        applicant.self_identification = SelfIdentification(bipoc=bipoc)
    application = Application(
        applicant=applicant,
        program=_program(program),
        reference=reference or new_reference(),
        status=status,
        decision={"outcome": "pass", "rules": []},
        priority=priority,
        seats_requested=seats,
        joined_at=joined_at,
        duplicate_of=duplicate_of,
        duplicate_reason="same_email" if duplicate_of else None,
        created_at=created_at,
        updated_at=now,
    )
    db.session.add(application)
    if commit:
        db.session.commit()
    return application


def application_maker(clock: Callable[[], datetime]) -> Callable[..., Application]:
    """``add_application`` numbered 1, 2, … for one test, at the clock's time."""
    numbers = itertools.count(1)

    def add(name: str | None = None, **kwargs) -> Application:
        return add_application(clock(), next(numbers), name, **kwargs)

    return add


def submit_waiting(
    now: datetime,
    *,
    name: str,
    email: str,
    languages: list[str],
    availability: list[str],
    program: str = "introductory",
    answers: dict | None = None,
    priority: int | None = None,
    expect_status: str | None = "waitlisted",
    commit: bool = True,
    **details,
) -> Application:
    """An individual's application sent through the application service, the rules
    deciding its status as they do for the form (checked to be ``expect_status``)."""
    applicant = submit_service(
        kind="individual",
        programs=[_program(program)],
        answers=dict(SCREENER_ANSWERS if answers is None else answers),
        details={
            "name": name,
            "email": email,
            "languages": languages,
            "availability": availability,
            "work_zip": "98104",
            "consent_contact": True,
            **details,
        },
        locale="en",
        form_token=secrets.token_urlsafe(16),
        now=now,
    )
    (application,) = applicant.applications
    if expect_status is not None:
        assert application.status == expect_status, application.status
    if priority is not None:
        application.priority = priority
    if commit:
        db.session.commit()
    return application


def add_sessions(
    cohort: Cohort,
    first: datetime,
    *,
    count: int = 6,
    every: timedelta = timedelta(weeks=1),
    minutes: int = 90,
    meeting_url: str | None = "https://meet.example.org/group",
    commit: bool = True,
) -> list[CohortSession]:
    """``count`` scheduled online sessions of ``cohort``, the first at ``first`` (aware)."""
    sessions = [
        CohortSession(
            cohort=cohort,
            starts_at=first + every * index,
            minutes=minutes,
            location_kind="online",
            meeting_url=meeting_url,
            status="scheduled",
            created_at=first - timedelta(days=30),
            updated_at=first - timedelta(days=30),
        )
        for index in range(count)
    ]
    db.session.add_all(sessions)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return sessions


def add_participant(
    application: Application,
    cohort: Cohort,
    now: datetime,
    *,
    name: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    staff: bool = False,
    role: str | None = None,
    access_needs: Iterable[str] = (),
    commit: bool = True,
) -> Participant:
    """A participant of ``cohort``: the application's applicant, or with ``staff`` a
    person its agency named (name and e-mail then required)."""
    applicant = application.applicant
    if applicant.id is None:
        db.session.flush()  # the participant's applicant_id needs the applicant's id
    participant = Participant(
        application=application,
        cohort=cohort,
        applicant_id=None if staff else applicant.id,
        name=name or applicant.name,
        email=email or applicant.email,
        email_key=(email or applicant.email).lower(),
        role=role,
        locale=locale or applicant.locale,
        access_needs=list(access_needs),
        status="active",
        created_at=now,
        updated_at=now,
    )
    db.session.add(participant)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return participant


# Agencies and seats (issue 12) ------------------------------------------------------------

AGENCY_PROGRAM = "king-county-consultation"


def add_agency_request(
    now: datetime, number: int, seats: int, *, agency_name: str | None = None, **kwargs
) -> Application:
    """An agency's waiting request for ``seats`` seats in the agency program, its leader
    "Leader NNNN" of "Agency NNNN" (``add_application``'s keywords pass through)."""
    agency_name = agency_name or f"Agency {number:04d}"
    kwargs.setdefault("program", AGENCY_PROGRAM)
    kwargs.setdefault("joined_days_ago", 3)
    return add_application(
        now,
        number,
        f"Leader {number:04d}",
        agency_name=agency_name,
        organisation=agency_name,
        seats=seats,
        **kwargs,
    )
# Application cycles (issue 12) ------------------------------------------------------


def add_window(
    program: str,
    opens_at: datetime,
    closes_at: datetime,
    name: str = "2027 cycle — groups begin after January 2027",
    translations: dict[str, str] | None = None,
    commit: bool = True,
):
    """An application window of the program with slug ``program``."""
    from intake.models import ApplicationWindow

    window = ApplicationWindow(
        program_id=_program(program).id,
        name=name,
        name_translations=dict(translations or {}),
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=opens_at,
    )
    db.session.add(window)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return window
