"""Splitting an agency's request across groups: the service, the casefile page, the
offers and staff naming each part goes through, and two coordinators at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from intake.casefile import split as splitting
from intake.cohorts.services import SEATS_MAX
from intake.extensions import db
from intake.models import (
    Application,
    AuditEvent,
    Cohort,
    Coordinator,
    Offer,
    OutboxMessage,
    StatusEvent,
)
from intake.offers import services as offers
from intake.outbox.delivery import deliver_due
from intake.participants import services as participants
from intake.programs.seats import GROUP_SEATS_MAX
from intake.status.services import ReasonRequired
from intake.status.states import TransitionNotAllowed
from tests.cohorts.test_races import EXPECTED, assert_counters_match_offers, race
from tests.conftest import RACE_ROUNDS
from tests.factories import AGENCY_PROGRAM, add_agency_request, add_application, add_cohort
from tests.helpers import csrf_token
from tests.review.support import reload


def _parts(application: Application) -> list[Application]:
    """Every application of the same agency request, the original first."""
    db.session.rollback()
    root = db.session.get(Application, application.id)
    root_id = root.split_from_id or root.id
    return list(
        db.session.scalars(
            select(Application)
            .where((Application.id == root_id) | (Application.split_from_id == root_id))
            .order_by(Application.id)
        )
    )


def _split(application, coordinator, parts, clock, seen=None, reason="Three groups fit"):
    everyone = splitting.split_request(
        db.session.get(Application, application.id),
        actor=db.session.get(Coordinator, coordinator.id),
        parts=parts,
        seen_seats=seen if seen is not None else sum(parts),
        reason=reason,
        now=clock(),
    )
    db.session.commit()
    return everyone


def _url(application, part=""):
    return f"/coord/applications/{application.id}{part}"


def _post(client, application, headers=None, **data):
    token = csrf_token(client.get(_url(application)).get_data(as_text=True))
    return client.post(
        _url(application, "/split"), data={**data, "csrf_token": token}, headers=headers or {}
    )


def test_a_group_holds_what_the_cohorts_check_allows():
    assert GROUP_SEATS_MAX == SEATS_MAX == 12


# The service -------------------------------------------------------------------------


def test_parts_keep_the_requests_place_and_add_up_to_it(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    application = add_agency_request(clock(), 1, 30, priority=2)
    clock.advance(hours=1)
    _split(application, coordinator, [12, 12, 6], clock)

    parts = _parts(application)
    original = parts[0]
    assert original.id == application.id
    assert [p.seats_requested for p in parts] == [12, 12, 6]
    assert sum(p.seats_requested for p in parts) == 30
    assert {p.status for p in parts} == {"waitlisted"}
    assert {p.priority for p in parts} == {2}
    assert {p.joined_at for p in parts} == {original.joined_at}
    assert {p.created_at for p in parts} == {original.created_at}
    assert {p.applicant_id for p in parts} == {original.applicant_id}
    assert {p.program_id for p in parts} == {original.program_id}
    assert [p.split_from_id for p in parts] == [None, original.id, original.id]
    assert len({p.reference for p in parts}) == 3
    # A part is the same agency's request, not a possible duplicate of it.
    assert {p.duplicate_of_id for p in parts} == {None}

    references = [{"reference": p.reference, "seats": p.seats_requested} for p in parts]
    for part in parts:
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.application_id == part.id)
        ).all()
        assert (event.kind, event.actor_id, event.reason) == (
            "split",
            coordinator.id,
            "Three groups fit",
        )
        assert event.detail == {
            "from_reference": original.reference,
            "seats": 30,
            "parts": references,
        }
    for part in parts[1:]:
        [joined] = db.session.scalars(
            select(StatusEvent).where(StatusEvent.application_id == part.id)
        ).all()
        assert (joined.from_status, joined.to_status) == (None, "waitlisted")
        assert joined.reason == f"Split from {original.reference}: Three groups fit"

    [message] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "seats_split")
    ).all()
    assert message.to_addr == original.applicant.email
    assert message.applicant_id == original.applicant_id
    for part in parts:
        assert part.reference in message.text_body
    assert "30 staff seats" in message.text_body
    assert "6 staff seats" in message.text_body


def test_a_part_split_again_points_at_the_first_application(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    application = add_agency_request(clock(), 1, 30)
    _, second, _ = _split(application, coordinator, [12, 12, 6], clock)
    _split(second, coordinator, [6, 6], clock)
    parts = _parts(application)
    assert [p.seats_requested for p in parts] == [12, 6, 6, 6]
    assert {p.split_from_id for p in parts[1:]} == {application.id}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the parts"),
        ("12 12 x", "whole numbers"),
        ("12, -6, 24", "whole numbers"),
        ("12, 12, 6\x00", "whole numbers"),
        ("12, ²", "whole numbers"),
        ("1.5, 28.5", "whole numbers"),
        ("13, 12, 5", "between 1 and 12"),
        ("0, 12, 12, 6", "between 1 and 12"),
        ("99999999999999999999999999, 1", "between 1 and 12"),
        ("0012, 12, 6", "between 1 and 12"),
        ("12, 12, 5", "add up to 29 seats; they must add up to the 30"),
        ("12, 12, 12", "add up to 36 seats"),
    ],
)
def test_parts_that_do_not_split_the_request_are_refused(text, message):
    with pytest.raises(splitting.InvalidParts, match=message):
        splitting.parse_parts(text, 30)


def test_parts_may_be_written_several_ways():
    for text in ("12, 12, 6", "12 12 6", "12+12+6", " 12 ,12;6 "):
        assert splitting.parse_parts(text, 30) == [12, 12, 6]
    with pytest.raises(splitting.InvalidParts, match="at least two"):
        splitting.parse_parts("12", 12)


def test_only_a_waiting_agency_request_for_several_seats_splits(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    person = add_application(clock(), 1)
    one_seat = add_agency_request(clock(), 2, 1)
    in_review = add_agency_request(clock(), 3, 20, status="needs_review", joined_days_ago=None)
    first = add_agency_request(clock(), 4, 20, email="same@example.org")
    flagged = add_agency_request(clock(), 5, 20, email="same@example.org", duplicate_of=first)
    for application, why in (
        (person, "Only an agency"),
        (one_seat, "one seat"),
        (in_review, "waiting on the waitlist"),
        (flagged, "duplicate"),
    ):
        with pytest.raises(splitting.NotSplittable, match=why):
            _split(application, coordinator, [1, 1], clock, seen=application.seats_requested)
        db.session.rollback()
    with pytest.raises(ReasonRequired):
        _split(first, coordinator, [12, 8], clock, reason="  ")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 5


def test_a_split_from_a_stale_number_changes_nothing(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    application = add_agency_request(clock(), 1, 30)
    _split(application, coordinator, [12, 12, 6], clock)
    with pytest.raises(splitting.ChangedMeanwhile):
        _split(application, coordinator, [10, 10, 10], clock)
    db.session.rollback()
    assert [p.seats_requested for p in _parts(application)] == [12, 12, 6]


# Offers and staff, per part ------------------------------------------------------------


def test_each_part_is_offered_whole_in_one_group(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    application = add_agency_request(clock(), 1, 30)
    full = add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    six_free = add_cohort(
        clock(),
        program=AGENCY_PROGRAM,
        name="Six free",
        seats=8,
        enrolled=2,
        start_date=date(2026, 5, 5),
    )
    # As one request of 30, no group can ever be offered it.
    assert offers.next_in_line(full, 12) == []

    original, _second, third = _split(application, coordinator, [12, 12, 6], clock)
    [offer] = offers.offer_next(db.session.get(Cohort, full.id), now=clock(), actor=coordinator)
    db.session.commit()
    assert (offer.application_id, offer.seats) == (original.id, 12)
    assert reload(full).seats_free == 0

    # The 12-seat part does not fit 6 free seats and keeps its place; the 6 does.
    [offer] = offers.offer_next(db.session.get(Cohort, six_free.id), now=clock())
    db.session.commit()
    assert (offer.application_id, offer.seats) == (third.id, 6)
    assert reload(six_free).seats_free == 0
    assert [p.status for p in _parts(application)] == ["offered", "waitlisted", "offered"]


def test_staff_are_named_per_part_up_to_its_seats(ctx, clock, make_coordinator):
    coordinator = make_coordinator()
    application = add_agency_request(clock(), 1, 8)
    cohort = add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    big, small = _split(application, coordinator, [6, 2], clock)
    offer = offers.make_offer(
        db.session.get(Cohort, cohort.id), db.session.get(Application, small.id), now=clock()
    )
    offers.accept(offer, now=clock())
    db.session.commit()
    small = reload(small)
    for n in range(2):
        participants.name_staff(
            small,
            participants.StaffDetails(
                name=f"Staff {n}",
                email=f"staff{n}@example.org",
                role="home_visitor",
                locale="en",
                access_needs=[],
                access_needs_other=None,
            ),
            clock(),
        )
    db.session.commit()
    with pytest.raises(participants.TooManyNamed):
        participants.name_staff(
            small,
            participants.StaffDetails("One more", "more@example.org", None, "en", [], None),
            clock(),
        )
    db.session.rollback()
    # The other part has no accepted seats: nobody can be named for it yet.
    with pytest.raises(participants.NotNaming):
        participants.name_staff(
            reload(big),
            participants.StaffDetails("Early", "early@example.org", None, "en", [], None),
            clock(),
        )


# The casefile page -----------------------------------------------------------------------


def test_a_coordinator_splits_from_the_casefile_page(smtp, coordinator_client, ctx, clock):
    application = add_agency_request(clock(), 1, 30)
    application.applicant.locale = "es"
    db.session.commit()
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    page = coordinator_client.get(_url(application)).get_data(as_text=True)
    assert "Split the request for 30 seats" in page
    assert "No planned group holds 30 seats" in page

    response = _post(
        coordinator_client, application, parts="12, 12, 6", seats="30", reason="Three groups"
    )
    assert response.status_code == 303
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    parts = _parts(application)
    assert "Split into 3 parts" in page
    for part in parts:
        assert part.reference in page
    assert "Request for 30 seats split" in page  # the timeline
    assert "Split the request for 12 seats" in page  # it can be split again
    assert "No planned group holds" not in page

    # The agency's leader is told, in their language.
    assert deliver_due(clock()).sent == 1
    [message] = smtp.messages
    assert message["Subject"] == f"Su solicitud se ofrecerá en partes – {parts[0].reference}"
    body = message.get_body(("plain",)).get_content()
    assert "dividió su solicitud en partes" in body
    assert all(part.reference in body for part in parts)


def test_the_split_answers_htmx_with_its_part_of_the_page(coordinator_client, ctx, clock):
    application = add_agency_request(clock(), 1, 20)
    response = _post(
        coordinator_client,
        application,
        headers={"HX-Request": "true"},
        parts="12, 8",
        seats="20",
        reason="Two groups",
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'id="split"' in text
    assert 'id="summary"' in text
    assert 'hx-swap-oob="true"' in text
    assert "Split into 2 parts" in text
    assert [p.seats_requested for p in _parts(application)] == [12, 8]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ("12, 12, 5", "they must add up to the 30 seats requested"),
        ("13, 12, 5", "Each part is between 1 and 12 seats"),
        ("0, 12, 12, 6", "Each part is between 1 and 12 seats"),
        ("99999999999999999999, 12", "Each part is between 1 and 12 seats"),
        ("12, 12,\x00 6", "invisible control characters"),
        ("", "Enter the parts"),
        ("x" * 201, "longer than 200 characters"),
    ],
)
def test_bad_parts_are_refused_and_kept(coordinator_client, ctx, clock, parts, message):
    application = add_agency_request(clock(), 1, 30)
    for headers in ({}, {"HX-Request": "true"}):
        response = _post(
            coordinator_client,
            application,
            headers=headers,
            parts=parts,
            seats="30",
            reason="Kept reason",
        )
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert message in text
        assert "Kept reason" in text
        if parts and "\x00" not in parts:
            assert f'value="{parts}"' in text
    assert [p.seats_requested for p in _parts(application)] == [30]
    assert not db.session.scalars(select(AuditEvent)).all()


def test_a_split_needs_a_reason(coordinator_client, ctx, clock):
    application = add_agency_request(clock(), 1, 30)
    response = _post(coordinator_client, application, parts="12, 12, 6", seats="30", reason="")
    assert response.status_code == 422
    assert 'value="12, 12, 6"' in response.get_data(as_text=True)
    assert [p.seats_requested for p in _parts(application)] == [30]


@pytest.mark.parametrize("seats", ["", "abc", "99999999999999999999", "\x0030"])
def test_a_tampered_seat_count_changes_nothing(coordinator_client, ctx, clock, seats):
    application = add_agency_request(clock(), 1, 30)
    response = _post(coordinator_client, application, parts="12, 12, 6", seats=seats, reason="R")
    assert response.status_code in (303, 422)
    assert [p.seats_requested for p in _parts(application)] == [30]


def test_a_second_split_from_the_same_page_is_told_it_changed(coordinator_client, ctx, clock):
    application = add_agency_request(clock(), 1, 30)
    first = _post(coordinator_client, application, parts="12, 12, 6", seats="30", reason="A")
    assert first.status_code == 303
    # The second coordinator's page still said 30 seats.
    for headers in ({}, {"HX-Request": "true"}):
        again = _post(
            coordinator_client,
            application,
            headers=headers,
            parts="10, 10, 10",
            seats="30",
            reason="B",
        )
        if headers:
            text = again.get_data(as_text=True)
        else:
            assert again.status_code == 303
            text = coordinator_client.get(again.headers["Location"]).get_data(as_text=True)
        assert "This request changed since the page was shown: it is now 12 seats" in text
    assert [p.seats_requested for p in _parts(application)] == [12, 12, 6]
    assert len(db.session.scalars(select(AuditEvent)).all()) == 3


def test_no_split_where_it_cannot_be(coordinator_client, ctx, clock):
    person = add_application(clock(), 1)
    offered = add_agency_request(clock(), 2, 6)
    cohort = add_cohort(clock(), program=AGENCY_PROGRAM, seats=12)
    offers.make_offer(cohort, offered, now=clock())
    db.session.commit()
    for application, why in ((person, "Only an agency"), (offered, "waiting on the waitlist")):
        page = coordinator_client.get(_url(application)).get_data(as_text=True)
        assert "Split the request" not in page
        response = _post(coordinator_client, application, parts="3, 3", seats="6", reason="R")
        assert response.status_code == 303
        page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"{why}" in page
        assert "Nothing was changed." in page
    assert db.session.scalar(select(func.count()).select_from(Application)) == 2


def test_a_coordinator_of_another_program_cannot_split(app, make_coordinator, login, ctx, clock):
    application = add_agency_request(clock(), 1, 30)
    client = login(
        app.test_client(), make_coordinator("other@example.org", programs=["introductory"])
    )
    token = csrf_token(client.get("/coord/waitlist").get_data(as_text=True))
    response = client.post(
        _url(application, "/split"),
        data={"parts": "12, 12, 6", "seats": "30", "reason": "R", "csrf_token": token},
    )
    assert response.status_code == 404
    assert [p.seats_requested for p in _parts(application)] == [30]


# Two at once -------------------------------------------------------------------------------


def _split_job(application_id: int, coordinator_id: int, parts: list[int], clock):
    def job(go):
        application = db.session.get(Application, application_id)
        actor = db.session.get(Coordinator, coordinator_id)
        seen = application.seats_requested
        assert application.applicant  # loaded before the race, as the page has it
        go()
        return splitting.split_request(
            application, actor=actor, parts=parts, seen_seats=seen, reason="Race", now=clock()
        )

    return job


SPLIT_EXPECTED = (*EXPECTED, splitting.ChangedMeanwhile, splitting.NotSplittable)


def test_two_coordinators_splitting_at_once_split_once(app, ctx, clock, make_coordinator):
    coordinators = [make_coordinator(f"c{n}@example.org").id for n in (1, 2)]
    for n in range(RACE_ROUNDS):
        application = add_agency_request(clock(), 100 + n, 30)
        results = race(
            app,
            _split_job(application.id, coordinators[0], [12, 12, 6], clock),
            _split_job(application.id, coordinators[1], [10, 10, 10], clock),
            expected=SPLIT_EXPECTED,
        )
        won = [r for r in results if isinstance(r, list)]
        assert len(won) == 1, (n, results)
        assert sum(isinstance(r, splitting.ChangedMeanwhile) for r in results) == 1, results
        parts = _parts(application)
        assert sum(p.seats_requested for p in parts) == 30
        assert [p.seats_requested for p in parts] in ([12, 12, 6], [10, 10, 10])
        assert (
            len(
                db.session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.applicant_id == application.applicant_id
                    )
                ).all()
            )
            == 1
        )


def test_a_split_and_an_offer_at_once_never_offer_a_stale_request(
    app, ctx, clock, make_coordinator
):
    coordinator = make_coordinator().id
    for n in range(RACE_ROUNDS):
        slot = f"split-race-{n}"
        cohort = add_cohort(
            clock(), program=AGENCY_PROGRAM, name=f"Race {n}", seats=12, time_slot=slot
        )
        application = add_agency_request(clock(), 200 + n, 10, availability=(slot,))

        def offer_job(go, cohort_id=cohort.id, application_id=application.id):
            cohort = db.session.get(Cohort, cohort_id)
            target = db.session.get(Application, application_id)
            actor = db.session.get(Coordinator, coordinator)
            go()
            return offers.offer_one(cohort, target, now=clock(), actor=actor, reason="Race").id

        results = race(
            app,
            offer_job,
            _split_job(application.id, coordinator, [5, 5], clock),
            expected=SPLIT_EXPECTED,
        )
        parts = _parts(application)
        offered = db.session.scalars(select(Offer).where(Offer.cohort_id == cohort.id)).all()
        if isinstance(results[0], int):  # the offer won: the whole request, unsplit
            assert isinstance(results[1], splitting.ChangedMeanwhile | splitting.NotSplittable)
            assert [(p.seats_requested, p.status) for p in parts] == [(10, "offered")]
            assert [o.seats for o in offered] == [10]
        else:  # the split won: no offer of the old 10 seats
            assert isinstance(results[0], offers.NotOfferable | TransitionNotAllowed), results
            assert [(p.seats_requested, p.status) for p in parts] == [
                (5, "waitlisted"),
                (5, "waitlisted"),
            ]
            assert offered == []
        assert_counters_match_offers()
