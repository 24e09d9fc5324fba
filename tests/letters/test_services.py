"""The end of a group: who completes, their letters and e-mails, once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.cli import tick_once
from intake.extensions import db
from intake.letters import services
from intake.models import Application, Letter, OutboxMessage, Participant, StatusEvent
from intake.outbox.delivery import deliver_due
from intake.references import ALPHABET
from intake.status.services import ReasonRequired
from tests.letters.conftest import attend


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def status_of(person: Participant) -> str:
    return db.session.scalar(
        select(Application.status).where(Application.id == person.application_id)
    )


def test_codes_are_readable_and_typed_codes_are_forgiven():
    code = services.new_code()
    assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code)
    assert services.normalise_code(code.lower().replace("-", " ")) == code
    assert services.normalise_code(" " + code.replace("-", "") + " ") == code
    assert services.normalise_code("ABCD-EFGH-JKM") is None  # too short
    assert services.normalise_code("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert len({services.new_code() for _ in range(200)}) == 200


def test_nothing_happens_before_the_last_session_has_ended(make_group, rpg, clock):
    group = make_group(first=clock() - timedelta(weeks=9, minutes=1))
    attend(group.people[0], group.sessions)
    # The last session started a minute ago and lasts two hours.
    assert services.complete_due(clock()) == 0
    clock.advance(minutes=118)
    assert services.complete_due(clock()) == 0
    clock.advance(minutes=1)
    assert group.ends <= clock()
    assert services.complete_due(clock()) == 1
    db.session.commit()
    assert group.cohort.completed_at == clock()


@pytest.mark.parametrize(
    ("attended", "completes"),
    [(10, True), (8, True), (7, False), (0, False)],
)
def test_completion_is_80_percent_of_the_sessions_held(make_group, rpg, clock, attended, completes):
    group = make_group()
    (person,) = group.people
    attend(person, group.sessions[:attended])
    attend(person, group.sessions[attended:], "absent")
    assert services.complete_due(clock()) == 1
    db.session.commit()
    db.session.refresh(person)
    assert person.status == ("completed" if completes else "active")
    assert status_of(person) == ("completed" if completes else "closed")
    assert count(Letter) == (1 if completes else 0)


def test_cancelled_sessions_are_not_held(make_group, rpg, clock):
    group = make_group()
    (person,) = group.people
    for session in group.sessions[:3]:
        session.status = "cancelled"
    db.session.commit()
    # 6 of the 7 sessions held: 86%; counting the cancelled ones it would be 6 of 10.
    attend(person, group.sessions[3:9])
    services.complete_due(clock())
    db.session.commit()
    letter = db.session.scalars(select(Letter)).one()
    assert letter.facts["sessions_held"] == 7
    assert len(letter.facts["sessions"]) == 6
    assert letter.facts["credited_minutes"] == 6 * 72


def test_excused_counts_as_absent(make_group, rpg, clock):
    group = make_group()
    (person,) = group.people
    attend(person, group.sessions[:7])
    attend(person, group.sessions[7:], "excused")
    services.complete_due(clock())
    db.session.commit()
    assert status_of(person) == "closed"


def test_hours_are_capped_by_the_program(make_group, rpg, clock):
    rpg.credit_minutes_per_session = None  # each session's own length: 120 minutes
    db.session.commit()
    group = make_group()
    attend(group.people[0], group.sessions)
    services.complete_due(clock())
    db.session.commit()
    letter = db.session.scalars(select(Letter)).one()
    assert letter.facts["credited_minutes"] == 720  # 10 x 120 = 1,200, capped at 12 hours
    assert services.hours_of(letter) == "12"


def test_the_letter_states_what_an_endorsement_application_asks_for(make_group, rpg, clock):
    group = make_group(people=[("Ana Reyes", "es")])
    (person,) = group.people
    attend(person, group.sessions[:9])
    services.complete_due(clock())
    db.session.commit()
    letter = db.session.scalars(select(Letter)).one()
    first, last = group.sessions[0].starts_at, group.sessions[-1].starts_at
    assert letter.facts == {
        "participant": "Ana Reyes",
        "program": rpg.name,
        "cohort": group.cohort.name,
        "facilitator": "Mai Facilitator",
        "credential": "IMH-E® Mentor",
        # 17:00 UTC is 9 or 10 am in Los Angeles: the same day.
        "first_date": first.date().isoformat(),
        "last_date": last.date().isoformat(),
        "sessions_held": 10,
        "sessions": [
            {"date": s.starts_at.date().isoformat(), "minutes": 120} for s in group.sessions[:9]
        ],
        "credited_minutes": 9 * 72,
        # The 10-session groups' hours count toward the ILAIMH credential.
        "counts_toward": "ilaimh",
    }
    assert letter.locale == "es"
    assert letter.issued_at == clock()
    assert person.completed_at == clock()


def test_two_ticks_process_a_group_once(smtp, make_group, rpg, clock):
    group = make_group(people=[("Ana Reyes", "en"), ("Bo Chen", "zh"), ("Cy Low", "en")])
    ana, bo, cy = group.people
    attend(ana, group.sessions)
    attend(bo, group.sessions[:8])
    attend(cy, group.sessions[:2])
    first = tick_once(clock())
    assert first["groups ended"] == 1
    clock.advance(minutes=5)
    assert tick_once(clock())["groups ended"] == 0
    db.session.expire_all()
    assert count(Letter) == 2
    assert count(OutboxMessage, OutboxMessage.template == "letter_issued") == 2
    assert [status_of(p) for p in group.people] == ["completed", "completed", "closed"]
    reason = db.session.scalar(
        select(StatusEvent.reason).where(
            StatusEvent.application_id == cy.application_id, StatusEvent.to_status == "closed"
        )
    )
    assert reason == (
        "The group has ended. They attended 2 of 10 sessions; 80% were needed to complete it."
    )
    # Everyone who took part is also invited to the survey, once.
    assert count(OutboxMessage, OutboxMessage.template == "survey_invite") == 3
    # The e-mails arrive, the letters attached as a PDF.
    # Cy, who did not complete, is told kindly (intake.letters: group_ended).
    assert count(OutboxMessage, OutboxMessage.template == "group_ended") == 1
    assert deliver_due(clock()).sent == 6
    assert deliver_due(clock()).sent == 0
    with_letter = [
        m
        for m in smtp.messages
        if any(part.get_content_type() == "application/pdf" for part in m.iter_attachments())
    ]
    assert len(with_letter) == 2
    by_addr = {m["To"]: m for m in with_letter}
    assert set(by_addr) == {ana.email, bo.email}
    mail = by_addr[ana.email]
    letter = db.session.scalars(select(Letter).where(Letter.participant_id == ana.id)).one()
    assert letter.code in mail["Subject"]
    attachments = list(mail.iter_attachments())
    pdf = [a for a in attachments if a.get_content_type() == "application/pdf"]
    assert len(pdf) == 1
    assert pdf[0].get_filename() == f"letter-{letter.code}.pdf"
    assert pdf[0].get_content().startswith(b"%PDF")
    body = mail.get_body(("plain",)).get_content()
    assert f"http://localhost/verify/{letter.code}" in body or f"/verify/{letter.code}" in body
    assert "Hours credited: 12" in body
    # Bo's is in Chinese.
    assert "反思" in by_addr[bo.email].get_body(("plain",)).get_content()


def test_an_agency_application_completes_when_its_group_ends(make_group, rpg, clock):
    group = make_group(
        agency="Little Steps", seats=2, people=[("Staff One", "en"), ("Staff Two", "es")]
    )
    one, _two = group.people
    attend(one, group.sessions)
    services.complete_due(clock())
    db.session.commit()
    assert status_of(one) == "completed"
    assert [p.status for p in group.people] == ["completed", "active"]
    assert count(Letter) == 1
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.to_addr == one.email
    assert message.applicant_id is None
    assert message.participant_id == one.id


def test_a_withdrawn_application_stays_withdrawn(make_group, rpg, clock):
    group = make_group()
    (person,) = group.people
    person.status = "withdrawn"
    db.session.get(Application, person.application_id).status = "withdrawn"
    db.session.commit()
    services.complete_due(clock())
    db.session.commit()
    assert status_of(person) == "withdrawn"
    assert count(Letter) == 0
    assert group.cohort.completed_at is not None


def test_issuing_for_a_cohort_skips_those_with_a_current_letter(make_group, rpg, clock):
    group = make_group(people=[("Ana Reyes", "en"), ("Bo Chen", "en")])
    for person in group.people:
        attend(person, group.sessions)
    services.complete_due(clock())
    db.session.commit()
    assert services.issue_for_cohort(group.cohort, clock(), by=None) == []
    # A letter that was replaced does not count as current, but its replacement does.
    old = db.session.scalars(select(Letter).order_by(Letter.id)).first()
    new = services.reissue(old, clock(), by=None, reason="Name corrected")
    db.session.commit()
    assert services.issue_for_cohort(group.cohort, clock(), by=None) == []
    assert old.replaced_by_id == new.id
    assert old.replaced_at == clock()


def test_reissue_makes_a_new_letter_from_the_corrected_data(make_group, rpg, clock):
    group = make_group()
    (person,) = group.people
    attend(person, group.sessions[:8])
    services.complete_due(clock())
    db.session.commit()
    old = db.session.scalars(select(Letter)).one()
    attend(person, group.sessions[8:])  # two sessions were recorded late
    person.name = "Ana María Reyes"
    clock.advance(days=3)
    new = services.reissue(old, clock(), by=None, reason="Attendance of two sessions added")
    db.session.commit()
    assert new.code != old.code
    assert new.facts["participant"] == "Ana María Reyes"
    assert new.facts["credited_minutes"] == 720
    assert old.facts["credited_minutes"] == 8 * 72  # fixed when issued
    assert old.replaced_at == clock()
    assert old.replaced_by_id == new.id
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.letter_id for m in mails] == [old.id, new.id]
    assert "corrected" in mails[1].subject
    with pytest.raises(services.LetterReplaced):
        services.reissue(old, clock(), by=None, reason="Again")
    with pytest.raises(ReasonRequired):
        services.reissue(new, clock(), by=None, reason="  ")


def test_no_letter_for_someone_who_did_not_complete(make_group, rpg, clock):
    group = make_group()
    with pytest.raises(services.NotCompleted):
        services.issue_letter(group.people[0], clock())
    assert count(Letter) == 0


def test_the_database_keeps_one_current_letter_per_participant(make_group, rpg, clock):
    group = make_group()
    (person,) = group.people
    attend(person, group.sessions)
    services.complete_due(clock())
    db.session.commit()
    # However the app is called, a second current letter is refused.
    with pytest.raises(services.LetterExists):
        services.issue_letter(person, clock())
    db.session.rollback()
    assert count(Letter) == 1


def test_the_letter_email_brings_staff_their_own_page_and_individuals_their_manage_link(
    smtp, app, make_group, rpg, clock
):
    staff = make_group(agency="Little Steps", people=[("Staff One", "es")])
    single = make_group(people=[("Ana Reyes", "en")])
    [one], [ana] = staff.people, single.people
    attend(one, staff.sessions)
    attend(ana, single.sessions)
    services.complete_due(clock())
    db.session.commit()
    deliver_due(clock())
    letters = {
        m["To"]: m.get_body(("plain",)).get_content()
        for m in smtp.messages
        if any(p.get_content_type() == "application/pdf" for p in m.iter_attachments())
    }
    own = re.compile(r"https://intake\.example\.org(/(?:manage|participant)/[A-Za-z0-9_\-]+)")
    [path] = own.findall(letters[one.email])
    assert path.startswith("/participant/")
    page = app.test_client().get(path)
    assert page.status_code == 200
    assert "Staff One" in page.get_data(as_text=True)
    [path] = own.findall(letters[ana.email])
    assert path.startswith("/manage/")
