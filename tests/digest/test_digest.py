"""The coordinators' daily digest (issue 12): only when there is something to say,
each section when it is due, within the account's programs, never when turned off,
once a day however many ticks, and delivered by real SMTP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intake.attendance.services import mark
from intake.cli import tick_once
from intake.digest import services as digest
from intake.extensions import db
from intake.models import Coordinator, Offer, OutboxMessage
from tests.factories import (
    add_cohort,
    add_participant,
    add_sessions,
    application_maker,
    submit_waiting,
)
from tests.helpers import SCREENER_ANSWERS, csrf_token
from tests.respond.support import deliver, html, text

# The clock fixture's 17:00 UTC is 9:00 in Seattle, after DIGEST_HOUR (7).
STEP = "coordinator digests"
serial = itertools.count(1)


def digests() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == "coordinator_digest")
            .order_by(OutboxMessage.id)
        )
    )


def body(message: OutboxMessage) -> str:
    return message.text_body


def in_review(now: datetime, program: str = "introductory"):
    n = next(serial)
    return submit_waiting(
        now,
        program=program,
        name=f"Review Person {n}",
        email=f"review{n}@example.org",
        languages=["en"],
        availability=["weekday_evening"],
        answers=dict(SCREENER_ANSWERS, works_with_young_children="unsure"),
        expect_status="needs_review",
    )


def failed_message(now: datetime, application) -> OutboxMessage:
    message = OutboxMessage(
        dedup_key=f"test-failed:{application.id}",
        template="application_received",
        to_addr=application.applicant.email,
        subject="Failed one",
        text_body="x",
        html_body="x",
        locale="en",
        applicant_id=application.applicant_id,
        status="failed",
        attempts=8,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.commit()
    return message


def open_offer(now: datetime, ends_in: timedelta, program: str = "introductory") -> Offer:
    add = application_maker(lambda: now)
    application = add(
        f"Offered Person {next(serial)}", program=program, status="offered", reference=None
    )
    cohort = add_cohort(now, program=program, name=f"Evening {program}")
    offer = Offer(
        application=application,
        cohort=cohort,
        seats=1,
        status="open",
        created_at=now - timedelta(days=5),
        expires_at=now + ends_in,
    )
    db.session.add(offer)
    db.session.commit()
    return offer


def two_absences(
    now: datetime, program: str = "reflective-practice-group", name: str = "Ben Absent"
):
    add = application_maker(lambda: now)
    cohort = add_cohort(now, program=program, name=f"Circle {program}", commit=False)
    person = add_participant(add(name, program=program, status="enrolled"), cohort, now)
    first, second, *_ = add_sessions(cohort, now - timedelta(days=13), count=4)
    for session in (first, second):
        mark(session, person.id, "absent", by=None, now=now - timedelta(hours=1))
    db.session.commit()
    return person, cohort


@pytest.fixture
def people(ctx, make_coordinator):
    return {
        "intro": make_coordinator("intro@example.org", programs=["introductory"]),
        "other": make_coordinator("other@example.org", programs=["reflective-practice-group"]),
        "admin": make_coordinator("admin@example.org", admin=True),
    }


def test_nothing_to_say_sends_nothing(ctx, clock, people):
    assert tick_once(clock())[STEP] == 0
    assert digests() == []
    assert all(c.digest_sent_at is None for c in db.session.scalars(select(Coordinator)))


def test_each_section_appears_when_due(ctx, clock, people):
    now = clock()
    application = in_review(now)
    failed_message(now, application)
    offer = open_offer(now, timedelta(hours=30))
    open_offer(now, timedelta(hours=60))  # not within 48 hours: not listed
    two_absences(now, program="introductory")
    assert tick_once(now)[STEP] == 2  # intro and admin; other has nothing
    by_to = {m.to_addr: m for m in digests()}
    assert set(by_to) == {"intro@example.org", "admin@example.org"}
    intro = body(by_to["intro@example.org"])
    assert "New applications in review (1):" in intro
    assert f"- {application.reference} (Introductory" in intro
    assert "https://intake.example.org/coord/review" in intro
    assert "E-mails that failed: 1." in intro
    assert "https://intake.example.org/coord/outbox?status=failed" in intro
    assert "Offers ending within 48 hours (1):" in intro
    assert f"- {offer.application.reference}, Evening introductory" in intro
    assert "Missed sessions in a row (1):" in intro
    assert "Ben Absent, Circle introductory" in intro
    assert "missed the last 2 sessions" in intro
    assert "https://intake.example.org/coord/account" in intro
    assert by_to["intro@example.org"].subject == "Daily digest for March 2, 2026"
    sent = db.session.get(Coordinator, people["intro"].id).digest_sent_at
    assert sent == now


@pytest.mark.parametrize("section", ["review", "failed", "offer", "absence"])
def test_one_section_alone_is_enough(ctx, clock, people, section):
    now = clock()
    if section == "review":
        in_review(now)
    elif section == "failed":
        failed_message(now, in_review(now - timedelta(days=3)))
        people["intro"].digest_sent_at = now - timedelta(days=1)  # the review was before
        db.session.commit()
    elif section == "offer":
        open_offer(now, timedelta(hours=47))
    else:
        two_absences(now, program="introductory")
    digest_of_intro = digest.contents(db.session.get(Coordinator, people["intro"].id), now)
    assert not digest_of_intro.empty
    assert bool(digest_of_intro.in_review) == (section == "review")
    assert bool(digest_of_intro.failed) == (section == "failed")
    assert bool(digest_of_intro.expiring) == (section == "offer")
    assert bool(digest_of_intro.absences) == (section == "absence")


def test_a_coordinator_hears_nothing_of_another_program(ctx, clock, people):
    now = clock()
    hidden = in_review(now, program="reflective-practice-group")
    failed_message(now, hidden)
    hidden_offer = open_offer(now, timedelta(hours=5), program="reflective-practice-group")
    two_absences(now, program="reflective-practice-group", name="Zed Hidden")
    assert tick_once(now)[STEP] == 2
    by_to = {m.to_addr: m for m in digests()}
    assert set(by_to) == {"other@example.org", "admin@example.org"}  # intro: nothing
    for address in by_to:
        message = body(by_to[address])
        assert hidden.reference in message
        assert hidden_offer.application.reference in message
        assert "Zed Hidden" in message
    assert digest.contents(db.session.get(Coordinator, people["intro"].id), now).empty


def test_a_facilitator_gets_only_absences_in_their_groups(ctx, clock, people, make_coordinator):
    from intake.models import CohortFacilitator

    now = clock()
    _person, cohort = two_absences(now, program="reflective-practice-group", name="Mine Absent")
    two_absences(now, program="introductory", name="Other Absent")
    in_review(now, program="reflective-practice-group")
    fran = make_coordinator("fran@example.org", role="facilitator")
    db.session.add(CohortFacilitator(cohort_id=cohort.id, coordinator_id=fran.id))
    db.session.commit()
    found = digest.contents(fran, now)
    assert [a.participant.name for a in found.absences] == ["Mine Absent"]
    assert (found.in_review, found.failed, found.expiring) == ([], 0, [])


def test_turned_off_sends_none(ctx, clock, people):
    for person in people.values():
        person.digest_enabled = False
    db.session.commit()
    in_review(clock())
    assert tick_once(clock())[STEP] == 0
    assert digests() == []


def test_once_a_day_however_many_ticks(ctx, clock, people):
    now = clock()
    early = now.replace(hour=14)  # 6:00 in Seattle: before DIGEST_HOUR
    in_review(early)
    assert tick_once(early)[STEP] == 0
    for _ in range(3):
        tick_once(clock())
        clock.advance(hours=2)
    in_review(clock())  # 15:00 in Seattle: new, but today's digest went
    for _ in range(3):
        tick_once(clock())
        clock.advance(hours=3)
    assert [m.dedup_key for m in digests()] == [
        f"digest:{people['intro'].id}:2026-03-02",
        f"digest:{people['admin'].id}:2026-03-02",
    ]
    # The next morning: only what came after yesterday's digest.
    clock.current = datetime(2026, 3, 3, 15, 30, tzinfo=UTC)  # 7:30 in Seattle
    tick_once(clock())
    second_day = [m for m in digests() if m.dedup_key.endswith("2026-03-03")]
    assert {m.to_addr for m in second_day} == {"intro@example.org", "admin@example.org"}
    assert all("New applications in review (1):" in body(m) for m in second_day)


def test_two_accounts_of_a_program_each_get_their_own(ctx, clock, people, make_coordinator):
    make_coordinator("second@example.org", programs=["introductory"])
    in_review(clock())
    tick_once(clock())
    assert {m.to_addr for m in digests()} == {
        "intro@example.org",
        "second@example.org",
        "admin@example.org",
    }


def test_one_digest_is_delivered_by_smtp(smtp, app, ctx, clock, people):
    application = in_review(clock())
    tick_once(clock())
    messages = [m for m in deliver(smtp, clock()) if m["Subject"].startswith("Daily digest")]
    assert sorted(m["To"] for m in messages) == ["admin@example.org", "intro@example.org"]
    message = next(m for m in messages if m["To"] == "intro@example.org")
    assert message["Subject"] == "Daily digest for March 2, 2026"
    assert application.reference in text(message)
    assert 'href="https://intake.example.org/coord/account"' in html(message)
    assert 'href="https://intake.example.org/coord/review"' in html(message)


def test_only_admins_read_digests_on_the_email_page(app, clock, people, login):
    in_review(clock())
    tick_once(clock())
    db.session.commit()
    intro = login(app.test_client(), people["intro"])
    page = intro.get("/coord/outbox").get_data(as_text=True)
    assert "Daily digest" not in page
    admin = login(app.test_client(), people["admin"])
    assert "Daily digest" in admin.get("/coord/outbox").get_data(as_text=True)


def test_the_account_page_turns_the_digest_off_and_on(app, clock, people, login):
    client = login(app.test_client(), people["intro"])
    page = client.get("/coord/account")
    assert page.status_code == 200
    html_page = page.get_data(as_text=True)
    assert "Daily digest e-mail" in html_page
    assert 'value="on" checked' in html_page
    # Without the CSRF token: refused, nothing changes.
    refused = client.post("/coord/account", data={"digest": "off"})
    assert refused.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(Coordinator, people["intro"].id).digest_enabled is True
    response = client.post(
        "/coord/account", data={"digest": "off", "csrf_token": csrf_token(html_page)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Coordinator, people["intro"].id).digest_enabled is False
    page = client.get("/coord/account").get_data(as_text=True)
    assert "The daily digest e-mail is off." in page
    assert 'value="off" checked' in page
    bad = client.post("/coord/account", data={"digest": "maybe", "csrf_token": csrf_token(page)})
    assert bad.status_code == 422
    assert (
        client.post(
            "/coord/account", data={"digest": "on", "csrf_token": csrf_token(page)}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Coordinator, people["intro"].id).digest_enabled is True
    count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 0


def test_a_facilitator_has_the_account_page_too(app, make_coordinator, login):
    fran = make_coordinator("fran@example.org", role="facilitator")
    client = login(app.test_client(), fran)
    assert client.get("/coord/account").status_code == 200
    assert app.test_client().get("/coord/account").status_code in (302, 303)
