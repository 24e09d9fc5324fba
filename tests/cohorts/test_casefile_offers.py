"""Offers seen from the application page: withdrawing an offered application frees
its seats, and the timeline shows each offer in time order."""

import re

import pytest
from sqlalchemy import select

from intake import clock as app_clock
from intake.casefile import services as casefile
from intake.extensions import db
from intake.models import Application, Cohort, Offer, OutboxMessage, Program, StatusEvent
from intake.offers import services as offers
from intake.outbox.delivery import deliver_due
from intake.status.states import TransitionNotAllowed
from tests.factories import add_cohort
from tests.helpers import csrf_token
from tests.review.support import received, reload


def casefile_url(application, part=""):
    return f"/coord/applications/{application.id}{part}"


def withdraw_by_page(client, application, reason, **kwargs):
    token = csrf_token(client.get(casefile_url(application)).get_data(as_text=True))
    return client.post(
        casefile_url(application, "/withdraw"),
        data={"reason": reason, "csrf_token": token},
        **kwargs,
    )


def make_offer(cohort, application, reason=None):
    offer = offers.offer_to(
        db.session.get(Cohort, cohort.id),
        db.session.get(Application, application.id),
        now=app_clock.now(),
        actor=None,
        reason=reason or "Chosen in a test.",
    )
    db.session.commit()
    return offer


def test_withdrawing_an_offered_application_frees_its_seats(
    smtp, coordinator_client, login, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=3)
    person = waiting("Offered Person")
    other = make_offer(cohort, waiting("Other Holder"))
    offer = make_offer(cohort, person)
    offer_id, other_id = offer.id, other.id
    assert reload(cohort).seats_offered == 2

    clock.advance(hours=2)
    login(coordinator_client, coordinator_client.user)  # after the idle timeout
    response = withdraw_by_page(coordinator_client, person, "Took a job out of state.")
    assert response.status_code == 303

    offer = reload(offer)
    assert (offer.status, offer.answered_at) == ("rescinded", clock())
    assert reload(other).status == "open"  # only their own offer ends
    cohort = reload(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled, cohort.seats_free) == (1, 0, 2)
    person = reload(person)
    assert person.status == "withdrawn"
    last = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == person.id)
        .order_by(StatusEvent.id.desc())
    ).first()
    assert (last.from_status, last.to_status, last.reason) == (
        "offered",
        "withdrawn",
        "Took a job out of state.",
    )
    # The coordinators are told the seat is free; the applicant that they were withdrawn.
    freed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "coordinator_seats_freed")
    ).all()
    assert [m.to_addr for m in freed] == ["coordinator@example.org"]
    assert f"coordinator_seats_freed:{offer_id}:" in freed[0].dedup_key
    assert other_id != offer_id

    deliver_due(clock())
    [mail] = received(smtp, "free again in Spring evening group")
    assert mail["To"] == "coordinator@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert "the application was withdrawn while the offer was open" in body
    assert "Seats now: 0 enrolled, 1 offered, 2 free of 3." in body
    assert [m["To"] for m in smtp.messages if "withdrawn" in m["Subject"].lower()] == [
        person.applicant.email
    ]


def test_withdrawing_frees_the_seat_for_the_next_person_where_the_program_says_so(
    coordinator_client, ctx, clock, waiting
):
    program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
    program.auto_offer = True
    db.session.commit()
    cohort = add_cohort(clock(), seats=2)
    person = waiting("Offered Person", joined_minutes_ago=30)
    next_person = waiting("Next Person", joined_minutes_ago=10)
    make_offer(cohort, person)
    make_offer(cohort, waiting("Holder", joined_minutes_ago=20))

    assert withdraw_by_page(coordinator_client, person, "Moved away.").status_code == 303
    assert reload(person).status == "withdrawn"
    assert reload(next_person).status == "offered"
    held = db.session.scalars(
        select(Offer.application_id).where(Offer.cohort_id == cohort.id, Offer.status == "open")
    ).all()
    assert next_person.id in held
    assert person.id not in held
    assert reload(cohort).seats_offered == 2


def test_withdrawing_after_the_person_accepted_a_moment_ago_changes_nothing(
    app, ctx, clock, waiting, make_coordinator
):
    coordinator = make_coordinator()
    cohort = add_cohort(clock(), seats=2)
    person = waiting("Quick Answerer")
    offer = make_offer(cohort, person)
    offer_id = offer.id
    stale = db.session.get(Application, person.id)
    assert stale.status == "offered"

    # The person accepts in their own request while the coordinator's page is open.
    with app.app_context():
        offers.accept(db.session.get(Offer, offer_id), now=clock())
        db.session.commit()
        db.session.remove()

    with pytest.raises(TransitionNotAllowed):
        casefile.withdraw(stale, actor=coordinator, reason="Moved away.", now=clock())
    db.session.rollback()
    assert reload(offer).status == "accepted"
    cohort = reload(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 1)
    assert reload(person).status == "enrolled"


def test_withdrawing_an_application_without_an_offer_is_as_before(
    coordinator_client, ctx, clock, waiting
):
    person = waiting("Just Waiting")
    assert withdraw_by_page(coordinator_client, person, "Asked to leave.").status_code == 303
    assert reload(person).status == "withdrawn"
    assert db.session.scalars(select(Offer)).all() == []
    assert (
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "coordinator_seats_freed")
        ).all()
        == []
    )


def timeline_of(page: str) -> list[str]:
    """The timeline's entries, each as its text on one line."""
    part = page[page.index('id="timeline"') :]
    items = re.findall(r'<li class="timeline-item[^"]*">(.*?)</li>', part, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_the_timeline_shows_offers_in_time_order(coordinator_client, login, ctx, clock, waiting):
    first = add_cohort(clock(), seats=2, name="Spring evening group")
    second = add_cohort(clock(), seats=2, name="Summer evening group")
    waiting("Ahead In Line", joined_minutes_ago=60)
    person = waiting("Timeline Person")

    clock.advance(minutes=5)
    offer = make_offer(first, person, reason="Her supervisor asked for this group.")
    clock.advance(days=1)
    offers.rescind(
        db.session.get(Offer, offer.id),
        now=clock(),
        actor=coordinator_client.user,
        reason="Group moved to mornings.",
    )
    db.session.commit()
    clock.advance(days=1)
    make_offer(second, person)

    login(coordinator_client, coordinator_client.user)  # the idle timeout signed them out
    entries = timeline_of(coordinator_client.get(casefile_url(person)).get_data(as_text=True))
    offer_entries = [e for e in entries if "· Offer " in e]
    assert offer_entries == [
        "Mar 2, 2026, 9:05 AM · Offer Offered 1 seat in Spring evening group "
        "Taken back on Mar 3, 2026, 9:05 AM "
        "Out of queue order. Reason: Her supervisor asked for this group.",
        "Mar 4, 2026, 9:05 AM · Offer Offered 1 seat in Summer evening group "
        "Open: answer by Mar 11, 2026, 10:05 AM "
        "Out of queue order. Reason: Chosen in a test.",
    ]
    # Each offer stands right after the status change that made it.
    for index, entry in enumerate(entries):
        if "· Offer " in entry:
            assert "Status On the waitlist → Seat offered" in entries[index - 1]
    page = coordinator_client.get(casefile_url(person)).get_data(as_text=True)
    assert f'href="/coord/cohorts/{first.id}"' in page


def test_withdrawing_an_enrolled_person_frees_their_seat(app, ctx, clock):
    """A person who accepted and then leaves gives their seat back."""
    from sqlalchemy import select

    from intake.casefile.services import withdraw
    from intake.extensions import db
    from intake.models import Application, Coordinator, Offer
    from intake.offers.services import accept, make_offer
    from tests.helpers import submit_application

    submit_application(app.test_client(), languages=["en"], availability=["weekday_evening"])
    application = db.session.scalars(select(Application)).one()
    cohort = add_cohort(
        clock(),
        name="Evening group",
        facilitator="F. Example",
        schedule="Tuesdays",
        start_date=clock().date(),
    )
    offer = make_offer(cohort, application, now=clock())
    db.session.commit()
    accept(offer, now=clock())
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 1)

    actor = Coordinator(
        email="c@example.org",
        name="C",
        password_hash="x",
        role="coordinator",
        session_token="t",
        created_at=clock(),
    )
    db.session.add(actor)
    db.session.flush()
    withdraw(application, actor=actor, reason="Moved away.", now=clock())
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 0)
    assert db.session.get(Offer, offer.id).status == "withdrawn"
    assert application.status == "withdrawn"
