"""The last seat is never given twice: coordinators and applicants racing in separate
threads, each with its own app context and so its own session and database
connection, started together at a barrier, many times on PostgreSQL and a few on SQLite
(RACE_ROUNDS).

After every round the cohort's counters must equal what its offers say: seats offered
= the seats of its open offers, seats enrolled = the seats of its accepted ones, and
together never more than its seats.

Each round gets its own cohort and people, matched by a time slot of their own, so
one round's people are never offered another round's seats.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from sqlalchemy import case, func, select

from intake.extensions import db
from intake.models import (
    Application,
    Cohort,
    Coordinator,
    Offer,
    OutboxMessage,
    Program,
    StatusEvent,
)
from intake.offers import services as offers
from intake.status.states import TransitionNotAllowed
from tests.conftest import RACE_ROUNDS
from tests.factories import add_cohort
from tests.helpers import csrf_token
from tests.review.support import reload

# What a loser of a race may be told; anything else (a lock error, a deadlock) fails.
EXPECTED = (
    offers.SeatsTaken,
    offers.OfferClosed,
    offers.NotOfferable,
    TransitionNotAllowed,
)


def race(app, *jobs, expected: tuple[type[BaseException], ...] = EXPECTED):
    """Run each job in its own thread and app context, all acting at the same moment.

    A job gets ``go``: it loads what it needs, calls ``go()`` (a barrier), then acts
    and commits. Returns each job's result, or the ``expected`` error it raised.
    Unexpected errors fail the test with the error.
    """
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            try:
                results[index] = job(barrier.wait)
                db.session.commit()
            except BaseException as exc:  # reported below, in the test's thread
                db.session.rollback()
                barrier.abort()
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    unexpected = [
        result
        for result in results
        if isinstance(result, BaseException) and not isinstance(result, expected)
    ]
    # A job that failed breaks the barrier for the others: report its error, not theirs.
    unexpected.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
    if unexpected:
        raise unexpected[0]
    return results


def assert_counters_match_offers() -> None:
    """Every cohort's counters equal the sum of its offers' seats by status."""
    db.session.rollback()
    sums = {
        row.cohort_id: (row.open, row.accepted)
        for row in db.session.execute(
            select(
                Offer.cohort_id,
                func.sum(case((Offer.status == offers.OPEN, Offer.seats), else_=0)).label("open"),
                func.sum(case((Offer.status == offers.ACCEPTED, Offer.seats), else_=0)).label(
                    "accepted"
                ),
            ).group_by(Offer.cohort_id)
        )
    }
    for cohort in db.session.scalars(select(Cohort)):
        held, enrolled = sums.get(cohort.id, (0, 0))
        assert (cohort.seats_offered, cohort.seats_enrolled) == (held, enrolled), cohort.name
        assert cohort.seats_offered + cohort.seats_enrolled <= cohort.seats
    # And the applications agree with their offers.
    for offer in db.session.scalars(select(Offer).where(Offer.status == offers.OPEN)):
        assert offer.application.status == "offered"
    for offer in db.session.scalars(select(Offer).where(Offer.status == offers.ACCEPTED)):
        assert offer.application.status == "enrolled"


def statuses(*applications) -> list[str]:
    db.session.rollback()
    return [db.session.get(Application, a.id).status for a in applications]


@pytest.fixture
def round_cohort(ctx, clock, waiting):
    """A fresh cohort for one round, and a way to add people who fit only it."""
    numbers = itertools.count(1)

    def make(seats: int, program: str = "introductory"):
        slot = f"race-{next(numbers)}"
        cohort = add_cohort(clock(), program=program, seats=seats, time_slot=slot)

        def person(minutes_ago: float = 0, **kwargs):
            return waiting(
                availability=(slot,), program=program, joined_minutes_ago=minutes_ago, **kwargs
            )

        return cohort, person

    return make


def offer_now(cohort, application, clock):
    offer = offers.offer_to(
        db.session.get(Cohort, cohort.id),
        db.session.get(Application, application.id),
        now=clock(),
        actor=None,
        reason="Set up for a race.",
    )
    db.session.commit()
    return offer.id


# Two coordinators, the last seat ------------------------------------------------------


def offer_job(cohort_id: int, application_id: int, coordinator_id: int, how: str, clock):
    """A coordinator offering one person a seat: with offer_to (the service) or
    offer_one (what the cohort page calls: the cohort first, then offer_to)."""

    def job(go):
        cohort = db.session.get(Cohort, cohort_id)
        application = db.session.get(Application, application_id)
        actor = db.session.get(Coordinator, coordinator_id)
        go()
        offer = (offers.offer_to if how == "offer_to" else offers.offer_one)(
            cohort, application, now=clock(), actor=actor, reason="Both are urgent."
        )
        return offer.id

    return job


def test_two_coordinators_offering_the_last_seat_give_it_once(
    app, ctx, clock, make_coordinator, round_cohort
):
    coordinators = [make_coordinator(f"c{n}@example.org").id for n in (1, 2)]
    ways = [("offer_to", "offer_to"), ("offer_one", "offer_one"), ("offer_to", "offer_one")]
    for n in range(RACE_ROUNDS):
        cohort, person = round_cohort(seats=2)
        offer_now(cohort, person(minutes_ago=30), clock)  # one of the two seats is held
        first, second = person(minutes_ago=20), person(minutes_ago=10)
        way = ways[n % len(ways)]
        results = race(
            app,
            offer_job(cohort.id, first.id, coordinators[0], way[0], clock),
            offer_job(cohort.id, second.id, coordinators[1], way[1], clock),
        )
        won = [r for r in results if isinstance(r, int)]
        assert len(won) == 1, (n, way, results)
        assert sum(isinstance(r, offers.SeatsTaken) for r in results) == 1, (n, way, results)

        cohort = reload(cohort)
        assert (cohort.seats_offered, cohort.seats_free) == (cohort.seats, 0)
        held = db.session.scalars(select(Offer).where(Offer.cohort_id == cohort.id)).all()
        assert len(held) == 2
        assert won[0] in {offer.id for offer in held}
        winner, loser = (first, second) if results[0] == won[0] else (second, first)
        assert statuses(winner, loser) == ["offered", "waitlisted"]
        # The losing attempt left nothing behind: no event, no e-mail.
        assert not db.session.scalars(
            select(StatusEvent).where(
                StatusEvent.application_id == loser.id, StatusEvent.to_status == "offered"
            )
        ).all()
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_addr == loser.applicant.email)
        ).all()
        assert_counters_match_offers()


def test_two_coordinators_offering_all_free_seats_at_once_never_overbook(
    app, ctx, clock, make_coordinator, round_cohort
):
    coordinators = [make_coordinator(f"c{n}@example.org").id for n in (1, 2)]
    for n in range(RACE_ROUNDS):
        cohort, person = round_cohort(seats=3)
        people = [person(minutes_ago=50 - m) for m in range(5)]
        cohort_id = cohort.id

        def offer_free_seats(coordinator_id, cohort_id=cohort_id):
            def job(go):
                cohort = db.session.get(Cohort, cohort_id)
                actor = db.session.get(Coordinator, coordinator_id)
                go()
                made = offers.offer_next(cohort, now=clock(), actor=actor)
                return [offer.application_id for offer in made]

            return job

        if n % 2:
            # The other coordinator chooses the fourth in line at the same moment.
            other = offer_job(cohort_id, people[3].id, coordinators[1], "offer_one", clock)
        else:
            other = offer_free_seats(coordinators[1])
        results = race(app, offer_free_seats(coordinators[0]), other)

        cohort = reload(cohort)
        held = db.session.scalars(select(Offer).where(Offer.cohort_id == cohort_id)).all()
        assert cohort.seats_offered == len(held) == cohort.seats == 3, (n, results)
        # Nobody was offered twice, and nobody beyond the seats.
        assert len({offer.application_id for offer in held}) == 3
        offered = Counter(statuses(*people))
        assert offered == {"offered": 3, "waitlisted": 2}
        if not n % 2:
            # One batch took the seats, the other found none left to offer.
            assert sorted(len(r) for r in results) == [0, 3], results
            assert {offer.application_id for offer in held} == {p.id for p in people[:3]}
        assert_counters_match_offers()


# Applicants answering while a coordinator or the clock acts ------------------------------


def accept_job(offer_id: int, clock):
    def job(go):
        offer = db.session.get(Offer, offer_id)
        go()
        return offers.accept(offer, now=clock()).id

    return job


def test_accepting_while_offers_are_taken_back_or_expire_keeps_counters_true(
    app, ctx, clock, make_coordinator, round_cohort
):
    coordinator_id = make_coordinator().id
    program = db.session.scalars(select(Program).where(Program.slug == "introductory")).one()
    kinds = ["rescind_other", "rescind_same", "expire", "expire_and_auto_offer"]
    for n in range(RACE_ROUNDS):
        kind = kinds[n % len(kinds)]
        program.auto_offer = kind == "expire_and_auto_offer"
        db.session.commit()
        cohort, person = round_cohort(seats=4)
        x, y, z, w = (person(minutes_ago=40 - 10 * m) for m in range(4))
        # z's offer is a day older than x's and y's: it is due first.
        third = offer_now(cohort, z, clock)
        clock.advance(days=1)
        first, second = offer_now(cohort, x, clock), offer_now(cohort, y, clock)
        if kind.startswith("expire"):
            clock.advance(days=6)  # z's offer is due now; x's and y's tomorrow

        def third_job(go, kind=kind, first=first, second=second, third=third):
            if kind.startswith("expire"):
                go()
                return [offer.id for offer in offers.expire_due(clock())]
            offer = db.session.get(Offer, second if kind == "rescind_same" else third)
            actor = db.session.get(Coordinator, coordinator_id)
            go()
            return offers.rescind(offer, now=clock(), actor=actor, reason="Cohort moved.").id

        results = race(app, accept_job(first, clock), accept_job(second, clock), third_job)
        assert_counters_match_offers()

        def status_of(offer_id):
            return db.session.get(Offer, offer_id).status

        assert status_of(first) == "accepted", (n, kind, results)
        if kind == "rescind_same":
            # The person and the coordinator acted on the same offer: one of them won.
            answered = [r for r in results[1:] if not isinstance(r, BaseException)]
            assert len(answered) == 1
            assert sum(isinstance(r, offers.OfferClosed) for r in results) == 1
            assert status_of(second) in ("accepted", "rescinded")
            assert status_of(third) == "open"
            expected = {
                "accepted": ["enrolled", "enrolled"],
                "rescinded": ["enrolled", "waitlisted"],
            }
            assert statuses(x, y) == expected[status_of(second)]
        else:
            assert status_of(second) == "accepted"
            assert statuses(x, y) == ["enrolled", "enrolled"]
        if kind == "rescind_other":
            assert (status_of(third), statuses(z)) == ("rescinded", ["waitlisted"])
        if kind.startswith("expire"):
            assert third in results[2]
            assert (status_of(third), statuses(z)) == ("expired", ["waitlisted"])
            # z let this cohort's offer lapse: the next seat goes to w, where the
            # program offers freed seats by itself.
            auto = kind == "expire_and_auto_offer"
            assert statuses(w) == ["offered" if auto else "waitlisted"]
        cohort = reload(cohort)
        assert cohort.seats_enrolled == sum(
            status_of(o) == "accepted" for o in (first, second, third)
        )
        clock.advance(days=8)  # every offer left open in this round is past its time
    program.auto_offer = False
    db.session.commit()


def test_the_same_offer_accepted_twice_at_once_enrols_once(app, ctx, clock, round_cohort):
    for _ in range(RACE_ROUNDS):
        cohort, person = round_cohort(seats=2)
        applicant = person()
        offer_id = offer_now(cohort, applicant, clock)
        # Two tabs, one click each.
        results = race(app, accept_job(offer_id, clock), accept_job(offer_id, clock))
        assert sorted(type(r).__name__ for r in results) == ["OfferClosed", "int"], results

        assert reload(db.session.get(Offer, offer_id)).status == "accepted"
        assert statuses(applicant) == ["enrolled"]
        enrolled_events = db.session.scalars(
            select(StatusEvent).where(
                StatusEvent.application_id == applicant.id, StatusEvent.to_status == "enrolled"
            )
        ).all()
        assert len(enrolled_events) == 1
        enrolled_mail = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.template == "enrolled",
                OutboxMessage.to_addr == applicant.applicant.email,
            )
        ).all()
        assert len(enrolled_mail) == 1
        cohort = reload(cohort)
        assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 1)
        assert_counters_match_offers()


# Through the pages: two coordinators' browsers ------------------------------------------------


def test_two_coordinators_clicking_offer_at_once_get_one_seat_and_a_clear_answer(
    app, ctx, clock, make_coordinator, login, round_cohort
):
    browsers = []
    for n in (1, 2):
        client = app.test_client()
        login(client, make_coordinator(f"page{n}@example.org"))
        browsers.append(client)
    for _ in range(RACE_ROUNDS):
        cohort, person = round_cohort(seats=2)
        offer_now(cohort, person(minutes_ago=30), clock)
        chosen = [person(minutes_ago=20), person(minutes_ago=10)]
        url = f"/coord/cohorts/{cohort.id}"
        tokens = [csrf_token(b.get(url).get_data(as_text=True)) for b in browsers]

        def click(browser, token, application, url=url):
            data = {"application": application.id, "reason": "Urgent.", "csrf_token": token}

            def job(go):
                go()
                return browser.post(f"{url}/offer-one", data=data).status_code

            return job

        results = race(
            app,
            *(click(b, t, a) for b, t, a in zip(browsers, tokens, chosen, strict=True)),
        )
        assert results == [303, 303]
        answers = [
            browser.get(url).get_data(as_text=True).split('<div class="notice" role="status">')[1]
            for browser in browsers
        ]
        told = sorted(
            "offered" if "Seat offered to" in a else "full" if "Not enough seats" in a else a
            for a in answers
        )
        assert told == ["full", "offered"]
        assert reload(cohort).seats_free == 0
        assert sorted(statuses(*chosen)) == ["offered", "waitlisted"]
        assert_counters_match_offers()
