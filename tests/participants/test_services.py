"""Participants as offers make and end them, naming staff and its limits, and the
report of unnamed seats: the services, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import Application, Attendance, Cohort, Letter, Offer, OutboxMessage, Participant
from intake.offers.services import make_offer, withdraw_application
from intake.participants import records
from intake.participants import services as participants
from tests.cohorts.test_races import race
from tests.conftest import RACE_ROUNDS
from tests.factories import add_application, add_cohort
from tests.participants.support import FIRST, enrolled, staff_of


def details(name="Ana Staff", email="ana@example.org", locale="es"):
    return participants.StaffDetails(
        name=name,
        email=email,
        role="home_visitor",
        locale=locale,
        access_needs=["captions"],
        access_needs_other=None,
    )


def test_accepting_an_individual_offer_makes_one_participant(app, ctx, clock):
    application, cohort, _ = enrolled(clock)
    [participant] = staff_of(application)
    assert participant.applicant_id == application.applicant_id
    assert participant.cohort_id == cohort.id
    assert participant.email == application.applicant.email
    assert participant.access_needs == ["captions"]
    assert participant.status == "active"

    offer = db.session.scalar(select(Offer).where(Offer.cohort_id == cohort.id))
    assert records.enroll_individual(offer, clock()).id == participant.id
    db.session.commit()
    assert len(staff_of(application)) == 1


def test_an_agency_accepting_makes_no_participant_until_named(app, ctx, clock):
    application, _, _ = enrolled(clock, agency=True)
    assert staff_of(application) == []


def test_two_accepts_at_once_make_one_participant(app, ctx, clock):
    for number in range(RACE_ROUNDS):
        now = clock()
        cohort = add_cohort(now, name=f"Race {number}", commit=False)
        application = add_application(now, 100 + number, commit=False)
        db.session.flush()
        offer = make_offer(cohort, application, now=now)
        db.session.commit()
        offer_id = offer.id

        def join(go, offer_id=offer_id, now=now):
            mine = db.session.get(Offer, offer_id)
            assert mine.application.applicant  # loaded before the barrier
            go()
            return records.enroll_individual(mine, now).id

        first, second = race(app, join, join, expected=())
        assert first == second
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Participant)
                .where(Participant.application_id == application.id)
            )
            == 1
        )


def test_withdrawing_an_enrolled_application_ends_its_participants(app, ctx, clock):
    application, _, _ = enrolled(clock, agency=True)
    participants.name_staff(application, details(), clock())
    participants.name_staff(application, details("Bo Staff", "bo@example.org"), clock())
    db.session.commit()
    withdraw_application(application, actor=None, reason=None, now=clock())
    db.session.commit()
    assert [p.status for p in staff_of(application)] == ["withdrawn", "withdrawn"]


def test_never_more_named_than_seats(app, ctx, clock):
    application, _, _ = enrolled(clock, agency=True, seats=2)
    participants.name_staff(application, details(), clock())
    participants.name_staff(application, details("Bo Staff", "bo@example.org"), clock())
    with pytest.raises(participants.TooManyNamed):
        participants.name_staff(application, details("Cy Staff", "cy@example.org"), clock())
    db.session.commit()
    assert [p.name for p in staff_of(application)] == ["Ana Staff", "Bo Staff"]


def test_two_tabs_naming_the_last_seat_name_one(app, ctx, clock):
    for number in range(min(RACE_ROUNDS, 10)):
        application, _, _ = enrolled(clock, agency=True, seats=1, number=200 + number)
        application_id = application.id

        def name(go, who, application_id=application_id):
            mine = db.session.get(Application, application_id)
            participants.accepted_offer(mine)
            go()
            return participants.name_staff(mine, details(who, f"{who}@example.org"), clock()).id

        results = race(
            app,
            lambda go: name(go, "left"),
            lambda go: name(go, "right"),
            expected=(participants.TooManyNamed,),
        )
        assert sum(isinstance(r, participants.TooManyNamed) for r in results) == 1
        assert len(staff_of(application)) == 1


def test_replacing_until_the_set_session_is_held(app, ctx, clock):
    application, cohort, _ = enrolled(clock, agency=True)
    assert cohort.program.staff_replace_until_session == 2
    ana = participants.name_staff(application, details(), clock())
    db.session.commit()

    clock.advance(days=36)  # past the first session (7 April), before the second
    bo = participants.replace_staff(application, ana.id, details("Bo", "bo@example.org"), clock())
    db.session.commit()
    db.session.refresh(ana)
    assert (ana.status, ana.replaced_by_id) == ("replaced", bo.id)
    # Ana's welcome had not left yet: it is dropped; Bo's waits.
    welcomes = select(OutboxMessage.participant_id).where(
        OutboxMessage.template == "participant_welcome"
    )
    assert db.session.scalars(welcomes).all() == [bo.id]
    with pytest.raises(participants.NotReplaceable):
        participants.replace_staff(application, ana.id, details("Cy", "cy@example.org"), clock())
    db.session.rollback()

    clock.advance(days=7)  # the second session has been held
    with pytest.raises(participants.ReplaceClosed):
        participants.replace_staff(application, bo.id, details("Cy", "cy@example.org"), clock())
    db.session.rollback()
    assert [p.status for p in staff_of(application)] == ["replaced", "active"]


def test_a_cancelled_session_does_not_count_towards_the_limit(app, ctx, clock):
    _, cohort, _ = enrolled(clock, agency=True)
    cohort.sessions[0].status = "cancelled"
    db.session.commit()
    clock.advance(days=43)  # two sessions started, one of them cancelled
    assert participants.sessions_held(cohort.id, clock()) == 1
    assert participants.can_replace(cohort, clock())


def test_unnamed_seats_are_reported_once_after_the_deadline(app, ctx, clock, make_coordinator):
    make_coordinator(email="kc@example.org", programs=["king-county-consultation"])
    application, cohort, _ = enrolled(clock, agency=True, seats=3)
    participants.name_staff(application, details(), clock())
    db.session.commit()

    deadline = FIRST - timedelta(days=cohort.program.staff_naming_days)
    assert participants.naming_deadline(cohort) == deadline
    clock.advance(seconds=(deadline - clock()).total_seconds() - 60)
    assert tick_once(clock())["cohorts with unnamed agency seats reported"] == 0
    clock.advance(minutes=2)
    assert tick_once(clock())["cohorts with unnamed agency seats reported"] == 1
    assert tick_once(clock())["cohorts with unnamed agency seats reported"] == 0
    assert participants.report_unnamed_due(clock()) == 0

    [notice] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "coordinator_unnamed_seats")
    ).all()
    assert notice.to_addr == "kc@example.org"
    assert notice.program_id == cohort.program_id
    assert "Little Sprouts" in notice.text_body
    assert "1 of 3 named, 2 not named" in notice.text_body
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).unnamed_reported_at is not None


def test_two_ticks_at_once_report_once(app, ctx, clock):
    enrolled(clock, agency=True, seats=2)
    clock.advance(days=34)
    results = race(
        app,
        lambda go: (go(), participants.report_unnamed_due(clock()))[1],
        lambda go: (go(), participants.report_unnamed_due(clock()))[1],
        expected=(),
    )
    assert sorted(results) == [0, 1]


def test_all_seats_named_sends_no_report(app, ctx, clock):
    application, cohort, _ = enrolled(clock, agency=True, seats=1)
    participants.name_staff(application, details(), clock())
    db.session.commit()
    clock.advance(days=34)
    assert participants.report_unnamed_due(clock()) == 0
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).unnamed_reported_at == clock()


def test_the_group_view_counts_hours_by_the_programs_rules(app, ctx, clock):
    application, cohort, _ = enrolled(clock)
    [me] = staff_of(application)
    program = cohort.program
    program.credit_minutes_per_session = 60
    program.credit_cap_minutes = 150
    sessions = cohort.sessions
    sessions[1].status = "cancelled"
    marks = ["present", "present", "present", "absent"]
    for session, status in zip(sessions[:4], marks, strict=True):
        db.session.add(
            Attendance(
                session_id=session.id, participant_id=me.id, status=status, recorded_at=clock()
            )
        )
    db.session.add(
        Letter(participant_id=me.id, code="ABCD-1234", facts={}, locale="en", issued_at=clock())
    )
    db.session.commit()
    clock.advance(days=60)  # every session held
    view = participants.group_view(me, clock())
    # Held and present: sessions 1 and 3 (2 is cancelled): 2 x 60 = 120, under the cap.
    assert view.attended == 2
    assert view.credited_minutes == 120
    assert view.hours == "2"
    assert [letter.code for letter in view.letters] == ["ABCD-1234"]
    program.credit_cap_minutes = 90
    assert participants.group_view(me, clock()).credited_minutes == 90
