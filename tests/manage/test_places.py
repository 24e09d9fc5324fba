"""The place in line, counted for every fitting cohort in one statement
(``places_in_line``), against the queue itself (``matching_applications``, the order
offers are made in)."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.manage import services
from intake.manage.tokens import mint_manage_token
from intake.models import ApplicantAvailability, ApplicantLanguage, Application, Offer
from intake.offers.services import DECLINED, EXPIRED, RESCINDED, matching_applications
from intake.status import states
from tests.factories import add_application, add_cohort, new_reference

TODAY = date(2026, 3, 2)


def queue_place(application: Application, cohort) -> int | None:
    """The place the slow, obvious way: walk the cohort's queue, leaving out requests
    larger than the cohort, and (as the count always has) any that never joined the
    waitlist: where such a row sorts differs between the databases (NULLs first on
    SQLite, last on PostgreSQL), and it has no place of its own.

    The queue is walked twice: as ``matching_applications`` gives it (the order
    offers are made in), and from the program's waiting list checked here against
    the applicant's language and slot rows themselves (not the mask both the count
    and ``matching_applications`` test), which must agree."""
    if application.joined_at is None or application.seats_requested > cohort.seats:
        return None
    ids = [
        a.id
        for a in db.session.scalars(matching_applications(cohort))
        if a.seats_requested <= cohort.seats and a.joined_at is not None
    ]
    assert ids == _walk_by_rows(cohort)
    return ids.index(application.id) + 1 if application.id in ids else None


def _walk_by_rows(cohort) -> list[int]:
    languages, slots = defaultdict(set), defaultdict(set)
    for applicant_id, code in db.session.execute(
        select(ApplicantLanguage.applicant_id, ApplicantLanguage.code)
    ):
        languages[applicant_id].add(code)
    for applicant_id, slot in db.session.execute(
        select(ApplicantAvailability.applicant_id, ApplicantAvailability.slot)
    ):
        slots[applicant_id].add(slot)
    deferred = set(
        db.session.scalars(
            select(Offer.application_id).where(
                Offer.cohort_id == cohort.id, Offer.status.in_((DECLINED, EXPIRED))
            )
        )
    )
    waiting = db.session.scalars(
        select(Application)
        .where(
            Application.program_id == cohort.program_id,
            Application.status == states.WAITLISTED,
            Application.joined_at.is_not(None),
        )
        .order_by(Application.priority.desc(), Application.joined_at, Application.id)
    )
    return [
        a.id
        for a in waiting
        if a.seats_requested <= cohort.seats
        and a.id not in deferred
        and cohort.language in languages[a.applicant_id]
        and (cohort.time_slot is None or cohort.time_slot in slots[a.applicant_id])
    ]


def _offer(application, cohort, status, now):
    db.session.add(
        Offer(
            application=application,
            cohort=cohort,
            seats=application.seats_requested,
            status=status,
            created_at=now - timedelta(days=9),
            expires_at=now - timedelta(days=2),
            answered_at=now - timedelta(days=3),
        )
    )


@pytest.fixture
def crowded(ctx, clock):
    """A queue with everything the count could get wrong: ties on the moment joined,
    three priorities, requests bigger than some cohorts, people in other languages
    and time slots, two cohorts they deferred from, other programs and statuses."""
    now = clock()
    cohorts = [
        add_cohort(now, name="Evening English", language="en", seats=8),
        add_cohort(
            now, name="Morning English", language="en", seats=3, time_slot="weekday_morning"
        ),
        add_cohort(now, name="Weekend Spanish", language="es", seats=6, time_slot="weekend"),
        add_cohort(now, name="English, any time", language="en", seats=4, time_slot=None),
        add_cohort(now, name="Later evening English", start_date=date(2026, 9, 1), seats=12),
    ]
    rng = random.Random(13)  # noqa: S311 (test data, not a secret)
    languages = [("en",), ("es",), ("en", "es"), ("asl",)]
    slots = [
        ("weekday_evening",),
        ("weekday_morning", "weekend"),
        ("weekend",),
        ("weekday_evening", "weekday_morning"),
    ]
    applications = []
    for number in range(1, 61):
        applications.append(
            add_application(
                now,
                number,
                languages=rng.choice(languages),
                availability=rng.choice(slots),
                priority=rng.choice((0, 0, 0, 1, 2)),
                # Many share the very same moment: the id breaks the tie.
                joined_days_ago=rng.choice((1, 1, 2, 3)),
                joined_minutes_ago=rng.choice((0, 0, 30)),
                seats=rng.choice((1, 1, 1, 2, 4, 5, 7)),
                agency_name=None,
                status=rng.choice([states.WAITLISTED] * 6 + [states.WITHDRAWN, states.OFFERED]),
                commit=False,
            )
        )
    # Waiting, but never joined (no place), and waiting in another program.
    applications.append(add_application(now, 61, joined_days_ago=None, commit=False))
    add_application(now, 62, program="bipoc-intensive", joined_days_ago=9, commit=False)
    db.session.flush()
    waiting = [a for a in applications if a.status == states.WAITLISTED]
    # Deferrals: declined, and let lapse; a rescinded offer is no deferral.
    _offer(waiting[3], cohorts[0], DECLINED, now)
    _offer(waiting[5], cohorts[0], EXPIRED, now)
    _offer(waiting[7], cohorts[3], DECLINED, now)
    _offer(waiting[9], cohorts[0], RESCINDED, now)
    db.session.commit()
    return cohorts, applications


def _assert_places_match_the_queue(applications, cohorts) -> int:
    found = services.places_in_line([(application, cohorts) for application in applications])
    checked = 0
    for application in applications:
        for cohort in cohorts:
            expected = queue_place(application, cohort)
            assert found.get((application.id, cohort.id)) == expected, (
                application.id,
                cohort.name,
            )
            checked += expected is not None
    return checked


def test_every_place_matches_the_queue(crowded):
    cohorts, applications = crowded
    checked = _assert_places_match_the_queue(applications, cohorts)
    assert checked > 40  # the fixture's queue is not empty by mistake


def test_all_applications_at_once_give_the_same_places(crowded):
    cohorts, applications = crowded
    one_by_one = {}
    for application in applications:
        one_by_one |= services.places_in_line([(application, cohorts)])
    at_once = services.places_in_line([(application, cohorts) for application in applications])
    assert at_once == one_by_one


def test_the_statement_is_built_once_for_alike_cohorts_and_run_for_each_application(ctx, clock):
    """The statement is kept per shape of cohorts; each application's own values are
    its parameters, so a kept statement counts for whoever asks, and a cohort that
    changed (its seats) gets a statement of its own."""
    now = clock()
    evening = add_cohort(now, name="Evening English")
    asks_three = add_application(now, 4, seats=3, joined_days_ago=5)  # ahead of the others
    first, second, third = (add_application(now, n, joined_days_ago=3 - n) for n in (1, 2, 3))
    services._places_statement.cache_clear()
    found = [services.places_in_line([(a, [evening])]) for a in (third, first, second)]
    assert found == [
        {(third.id, evening.id): 4},
        {(first.id, evening.id): 2},
        {(second.id, evening.id): 3},
    ]
    assert services._places_statement.cache_info().misses == 1
    assert services._places_statement.cache_info().hits == 2

    evening.seats = 2  # three seats no longer fit the group, nor count ahead
    db.session.commit()
    assert services.places_in_line([(third, [evening])]) == {(third.id, evening.id): 3}
    assert services.places_in_line([(asks_three, [evening])]) == {}
    assert services._places_statement.cache_info().misses == 2


def test_a_deferral_and_a_tie_are_counted_as_the_queue_does(ctx, clock):
    now = clock()
    evening = add_cohort(now, name="Evening English")
    autumn = add_cohort(now, name="Autumn", start_date=date(2026, 9, 1))
    same_moment = [add_application(now, n, joined_days_ago=1) for n in (1, 2, 3)]
    _offer(same_moment[0], evening, DECLINED, now)
    db.session.commit()
    first, second, third = same_moment
    assert services.places_in_line([(a, [evening, autumn]) for a in same_moment]) == {
        # The one who deferred from the evening group is in no place in it, and not ahead.
        (first.id, autumn.id): 1,
        (second.id, evening.id): 1,
        (second.id, autumn.id): 2,
        (third.id, evening.id): 2,
        (third.id, autumn.id): 3,
    }


def _people_ahead(now, count: int, start: int) -> None:
    for n in range(count):
        add_application(
            now,
            start + n,
            languages=("en", "es"),
            availability=("weekday_evening", "weekend"),
            joined_days_ago=5,
            commit=False,
        )


def _groups(now, count: int, start: int) -> None:
    for n in range(count):
        add_cohort(
            now,
            name=f"Group {start + n}",
            language=("en", "es")[n % 2],
            time_slot=("weekday_evening", "weekend", None)[n % 3],
            commit=False,
        )


def test_one_statement_counts_every_place_whatever_the_queue_and_cohorts(ctx, clock, statements):
    now = clock()
    _people_ahead(now, 1, start=1)
    _groups(now, 1, start=1)
    me = add_application(
        now, 99, languages=("en", "es"), availability=("weekday_evening", "weekend")
    )
    statements.clear()
    items = services.overview(me.applicant, TODAY)
    few = list(statements)
    assert [p.position for p in items[0].places] == [2]

    # 30 more ahead, and four more cohorts that fit.
    _people_ahead(now, 30, start=100)
    _groups(now, 4, start=2)
    db.session.commit()
    statements.clear()
    items = services.overview(me.applicant, TODAY)
    many = list(statements)
    assert [p.position for p in items[0].places] == [32] * 5
    assert len(many) == len(few)
    assert sum("sum(CASE" in s for s in many) == 1


def test_an_applicants_several_waiting_applications_take_one_statement(ctx, clock, statements):
    now = clock()
    add_cohort(now, name="Evening English")
    add_cohort(now, name="Weekend Spanish", language="es", time_slot="weekend")
    add_cohort(now, name="BIPOC evening", program="bipoc-intensive")
    add_application(now, 1, joined_days_ago=3)
    first = add_application(
        now, 2, languages=("en", "es"), availability=("weekday_evening", "weekend")
    )
    # The same person waits with a part split off (same program), and in another one.
    db.session.add(
        Application(
            applicant=first.applicant,
            program=first.program,
            reference=new_reference(),
            status=states.WAITLISTED,
            decision={"outcome": "pass", "rules": []},
            priority=0,
            seats_requested=1,
            split_from=first,
            joined_at=first.joined_at,
            created_at=first.created_at,
            updated_at=now,
        )
    )
    bipoc = add_application(now, 3, program="bipoc-intensive", joined_days_ago=1, commit=False)
    bipoc.applicant = first.applicant
    db.session.commit()
    db.session.refresh(first.applicant)

    statements.clear()
    items = services.overview(first.applicant, TODAY)
    assert sum("sum(CASE" in s for s in statements) == 1
    got = {
        (item.application.id, place.cohort.name): place.position
        for item in items
        for place in item.places
    }
    expected = {
        (item.application.id, place.cohort.name): queue_place(item.application, place.cohort)
        for item in items
        for place in item.places
    }
    assert got == expected
    assert len(got) >= 5


def test_the_status_page_runs_as_many_statements_for_one_part_as_for_several(
    client, ctx, clock, statements
):
    """An agency's request split into parts: each part shows the request it came from
    (already loaded with the applicant's applications, so no statement per part), and
    the places of all parts are one statement."""
    now = clock()
    add_cohort(now, name="Evening English", seats=12)
    request = add_application(now, 1, agency_name="Agency One", seats=6, joined_days_ago=2)
    token = mint_manage_token(request.applicant_id, now)
    db.session.commit()

    def page_statements() -> list[str]:
        statements.clear()
        response = client.get(f"/manage/{token}")
        assert response.status_code == 200
        return list(statements)

    add_part(request, 1, now)
    one = page_statements()
    for _ in range(3):
        add_part(request, 1, now)
    several = page_statements()
    assert len(several) == len(one)


def add_part(request: Application, seats: int, now) -> Application:
    part = Application(
        applicant=request.applicant,
        program=request.program,
        reference=new_reference(),
        status=states.WAITLISTED,
        decision={"outcome": "pass", "rules": []},
        priority=request.priority,
        seats_requested=seats,
        split_from=request,
        joined_at=request.joined_at,
        created_at=request.created_at,
        updated_at=now,
    )
    db.session.add(part)
    db.session.commit()
    return part


# The count tests the bits of applications.match_mask (intake.manage.queue_bits),
# which the database's triggers keep: every way the languages, slots or applications
# change must leave the places those of the queue's plain walk.


def _mixed_cohorts(now):
    return [
        add_cohort(now, name="Evening English", language="en", seats=8),
        add_cohort(now, name="Weekend Spanish", language="es", seats=8, time_slot="weekend"),
        add_cohort(now, name="Morning ASL", language="asl", seats=8, time_slot="weekday_morning"),
        add_cohort(now, name="Mandarin, any time", language="cmn", seats=8, time_slot=None),
    ]


def test_languages_and_slots_changed_after_applying_move_the_places(ctx, clock):
    """The manage page's details edit deletes and adds language and slot rows."""
    now = clock()
    cohorts = _mixed_cohorts(now)
    applications = [
        add_application(now, n, joined_days_ago=10 - n, commit=False) for n in range(1, 8)
    ]
    db.session.commit()
    assert _assert_places_match_the_queue(applications, cohorts) == 7

    for application, (languages, slots) in zip(
        applications[:4],
        [
            (["es"], ["weekend"]),
            (["en", "es", "asl"], ["weekend", "weekday_morning", "weekday_evening"]),
            (["cmn"], []),
            (["asl"], ["weekday_morning"]),
        ],
        strict=True,
    ):
        services.update_details(
            application.applicant,
            name=application.applicant.name,
            phone=None,
            languages=languages,
            availability=slots,
            now=now,
        )
    db.session.commit()
    # Spanish at weekends; three languages and slots; Mandarin with no slot at all;
    # ASL in the morning; the last three still English in the evening.
    assert _assert_places_match_the_queue(applications, cohorts) == 1 + 3 + 1 + 1 + 3
    evening, weekend, morning, mandarin = cohorts
    assert services.places_in_line([(applications[4], cohorts)]) == {
        (applications[4].id, evening.id): 2
    }
    assert services.places_in_line([(applications[1], cohorts)]) == {
        (applications[1].id, evening.id): 1,
        (applications[1].id, weekend.id): 2,
        (applications[1].id, morning.id): 1,
    }
    assert services.places_in_line([(applications[2], cohorts)]) == {
        (applications[2].id, mandarin.id): 1
    }


def test_the_groups_that_fit_are_by_language_slot_program_and_start(ctx, clock):
    """``fitting_cohorts`` (one statement, built once): a group in a language the
    applicant takes part in, at a slot they chose or at no set time, in the programs
    asked about, not started yet; someone who chose no slot fits only groups with
    none."""
    now = clock()
    _mixed_cohorts(now)  # English, Spanish at weekends, ASL mornings, Mandarin any time
    add_cohort(now, name="Started", language="cmn", time_slot=None, start_date=date(2026, 1, 5))
    add_cohort(now, name="Elsewhere", program="bipoc-intensive", language="cmn", time_slot=None)
    both = add_application(now, 1, languages=("es", "cmn"), availability=("weekend",))
    no_slot = add_application(now, 2, languages=("cmn", "en"), availability=())
    english = add_application(now, 3)
    program = both.program_id
    today = now.date()

    def names(application, programs=(program,)):
        found = services.fitting_cohorts(application.applicant, programs, today)
        return {k: [c.name for c in v] for k, v in found.items()}

    assert names(both) == {program: ["Mandarin, any time", "Weekend Spanish"]}  # by start, name
    assert names(no_slot) == {program: ["Mandarin, any time"]}
    assert names(english) == {program: ["Evening English"]}
    assert names(english, ()) == {}  # no program asked about: no group


def test_an_applicant_with_two_languages_is_in_both_queues(ctx, clock):
    now = clock()
    cohorts = _mixed_cohorts(now)
    both = add_application(
        now, 1, languages=("es", "cmn"), availability=("weekend",), joined_days_ago=5
    )
    spanish = add_application(now, 2, languages=("es",), availability=("weekend",))
    mandarin = add_application(now, 3, languages=("cmn",), availability=())
    english = add_application(now, 4)
    _, weekend, _, any_time = cohorts
    assert services.places_in_line([(a, cohorts) for a in (both, spanish, mandarin)]) == {
        (both.id, weekend.id): 1,
        (both.id, any_time.id): 1,
        (spanish.id, weekend.id): 2,
        (mandarin.id, any_time.id): 2,
    }
    _assert_places_match_the_queue([both, spanish, mandarin, english], cohorts)


def test_retention_anonymising_someone_ahead_takes_them_out_of_line(ctx, clock):
    """Deleting an applicant's data (what retention does to each applicant) deletes
    their languages and slots: whatever becomes of the application, the count and the
    queue agree, and the people behind see the same place as the queue gives them."""
    now = clock()
    cohorts = _mixed_cohorts(now)
    ahead = add_application(now, 1, joined_days_ago=3)
    me = add_application(now, 2, joined_days_ago=1)
    assert services.places_in_line([(me, cohorts)]) == {(me.id, cohorts[0].id): 2}
    services.delete_personal_data(ahead.applicant, now)
    db.session.commit()
    _assert_places_match_the_queue([ahead, me], cohorts)
    assert services.places_in_line([(me, cohorts)]) == {
        (me.id, cohorts[0].id): queue_place(me, cohorts[0])
    }


def test_a_split_agency_request_gives_each_part_the_requests_place(ctx, clock, make_coordinator):
    from intake.casefile import split as splitting
    from tests.factories import AGENCY_PROGRAM, add_agency_request

    now = clock()
    big = add_agency_request(now, 1, 20, joined_days_ago=3)
    later = add_agency_request(now, 2, 4, joined_days_ago=1)
    cohorts = [
        add_cohort(now, program=AGENCY_PROGRAM, name="Twelve", seats=12),
        add_cohort(now, program=AGENCY_PROGRAM, name="Weekend Spanish", language="es", seats=12),
    ]
    parts = splitting.split_request(
        big, actor=make_coordinator(), parts=[12, 8], seen_seats=20, reason="R", now=now
    )
    db.session.commit()
    assert {part.match_mask for part in parts} == {big.match_mask}
    assert _assert_places_match_the_queue([*parts, later], cohorts) == 3
    twelve = cohorts[0]
    assert services.places_in_line([(p, cohorts) for p in (*parts, later)]) == {
        (parts[0].id, twelve.id): 1,
        (parts[1].id, twelve.id): 2,
        (later.id, twelve.id): 3,
    }


def test_a_cohort_whose_language_has_no_bit_is_counted_by_the_joins(ctx, clock):
    """A language or slot queue_bits does not know (one added to the choices without
    its bit yet) falls back to joining the rows: the same places."""
    now = clock()
    cohorts = [
        add_cohort(now, name="Evening English"),
        add_cohort(now, name="French", language="fr", time_slot="weekday_evening"),
        add_cohort(now, name="Night English", time_slot="night"),
    ]
    applications = [
        add_application(
            now,
            n,
            languages=(("fr",), ("en", "fr"), ("en",))[n % 3],
            availability=(("weekday_evening",), ("night", "weekday_evening"))[n % 2],
            joined_days_ago=20 - n,
        )
        for n in range(1, 9)
    ]
    assert _assert_places_match_the_queue(applications, cohorts) == 6 + 5 + 3


def test_the_status_page_reads_languages_and_times_with_the_applicant(
    client, ctx, clock, statements
):
    """Languages and time slots come joined to the applicant's own row: no statement of
    their own, and each still shown once (a row per pair is read)."""
    now = clock()
    application = add_application(
        now,
        1,
        languages=("en", "es", "cmn"),
        availability=("weekday_morning", "weekday_evening", "weekend"),
    )
    token = mint_manage_token(application.applicant_id, now)
    db.session.commit()

    statements.clear()
    page = client.get(f"/manage/{token}").get_data(as_text=True)

    assert not [s for s in statements if "FROM applicant_languages" in s]
    assert not [s for s in statements if "FROM applicant_availability" in s]
    assert "<dd>中文（普通话 Mandarin）; English; Español</dd>" in page
    assert "<dd>Weekday evenings; Weekday mornings; Weekends</dd>" in page
