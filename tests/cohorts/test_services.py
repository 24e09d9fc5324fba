from datetime import date

import pytest

from intake.cohorts import services
from intake.extensions import db
from tests.factories import add_cohort, program


def edit(cohort, **changes):
    values = {
        "program": cohort.program,
        "name": cohort.name,
        "language": cohort.language,
        "facilitator": cohort.facilitator,
        "schedule": cohort.schedule,
        "time_slot": cohort.time_slot,
        "start_date": cohort.start_date,
        "seats": cohort.seats,
        "today": date(2026, 3, 2),
    }
    return services.update_cohort(cohort, **{**values, **changes})


def test_create_refuses_a_start_in_the_past(ctx, clock):
    with pytest.raises(services.StartDateInPast):
        services.create_cohort(
            program=program("introductory"),
            name="Late",
            language="en",
            facilitator="F",
            schedule="S",
            time_slot="weekend",
            start_date=date(2026, 3, 1),
            today=date(2026, 3, 2),
            now=clock(),
        )
    cohort = services.create_cohort(
        program=program("introductory"),
        name="Today",
        language="en",
        facilitator="F",
        schedule="S",
        time_slot="weekend",
        start_date=date(2026, 3, 2),
        today=date(2026, 3, 2),
        now=clock(),
    )
    assert (cohort.seats, cohort.seats_free) == (8, 8)


def test_seats_below_taken_raise_and_change_nothing(ctx, clock):
    cohort = add_cohort(clock(), seats=10, offered=4, enrolled=3)
    with pytest.raises(services.SeatsBelowTaken) as caught:
        edit(cohort, seats=6, name="Changed")
    assert caught.value.taken == 7
    db.session.rollback()
    db.session.refresh(cohort)
    assert (cohort.seats, cohort.name) == (10, "Spring evening group")


def test_the_database_decides_with_counters_changed_behind_our_back(ctx, clock):
    """An offer made after the page was read still counts: the UPDATE's condition
    reads the counters in the database, not the stale ones in memory."""
    cohort = add_cohort(clock(), seats=8)
    db.session.execute(
        services.update(services.Cohort)
        .where(services.Cohort.id == cohort.id)
        .values(seats_offered=6)
        .execution_options(synchronize_session=False)
    )
    assert cohort.seats_offered == 0  # what this session still believes
    with pytest.raises(services.SeatsBelowTaken) as caught:
        edit(cohort, seats=5)
    assert caught.value.taken == 6


def test_seats_updated_and_counters_reread(ctx, clock):
    cohort = add_cohort(clock(), seats=8, enrolled=2)
    edit(cohort, seats=3)
    db.session.commit()
    assert (cohort.seats, cohort.seats_free) == (3, 1)


def test_seat_holders_are_empty_until_offers_exist(ctx, clock):
    holders = services.seat_holders(add_cohort(clock(), offered=1))
    assert (holders.enrolled, holders.offered) == ([], [])
