"""Sessions from a pattern, in the programs' time zone; programs' group shape seeded."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import CohortSession, Program
from intake.programs.defaults import SESSION_DEFAULTS
from intake.programs.services import seed_default_programs
from intake.sessions import services
from intake.sessions.services import Where, session_dates
from tests.factories import add_cohort, add_sessions

ONLINE = Where("online", "https://meet.example.org/rp")


def test_weekly_and_every_two_weeks():
    assert session_dates(date(2026, 4, 7), "weekly", 3) == [
        date(2026, 4, 7),
        date(2026, 4, 14),
        date(2026, 4, 21),
    ]
    assert session_dates(date(2026, 4, 7), "biweekly", 3) == [
        date(2026, 4, 7),
        date(2026, 4, 21),
        date(2026, 5, 5),
    ]


def test_monthly_keeps_the_day_and_falls_back_to_the_month_end():
    assert session_dates(date(2026, 1, 31), "monthly", 5) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    # Over the year's end, and a leap February.
    assert session_dates(date(2027, 11, 30), "monthly", 4) == [
        date(2027, 11, 30),
        date(2027, 12, 30),
        date(2028, 1, 30),
        date(2028, 2, 29),
    ]
    assert len(session_dates(date(2026, 5, 15), "monthly", 12)) == 12


def test_generated_sessions_keep_the_wall_clock_time_across_daylight_saving(ctx, clock):
    cohort = add_cohort(clock())
    # US daylight time starts on 8 March 2026 and ends on 1 November 2026.
    made = services.generate(
        cohort,
        first=date(2026, 3, 1),
        pattern="weekly",
        count=2,
        start=time(18, 0),
        minutes=120,
        where=ONLINE,
        now=clock(),
    )
    autumn = services.generate(
        cohort,
        first=date(2026, 10, 25),
        pattern="weekly",
        count=2,
        start=time(18, 0),
        minutes=120,
        where=Where("in_person", place="Community room, 1 Example St"),
        now=clock(),
    )
    db.session.commit()
    assert [s.starts_at for s in made] == [
        datetime(2026, 3, 2, 2, 0, tzinfo=UTC),  # 6 pm PST = UTC-8
        datetime(2026, 3, 9, 1, 0, tzinfo=UTC),  # 6 pm PDT = UTC-7
    ]
    assert [s.starts_at for s in autumn] == [
        datetime(2026, 10, 26, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
    ]
    assert {services.local(s.starts_at).time() for s in made + autumn} == {time(18, 0)}
    rows = db.session.scalars(select(CohortSession).order_by(CohortSession.starts_at)).all()
    assert len(rows) == 4
    assert rows[0].meeting_url == "https://meet.example.org/rp"
    assert rows[0].place is None
    assert rows[-1].location_kind == "in_person"
    assert rows[-1].meeting_url is None
    assert {(r.status, r.sequence, r.minutes) for r in rows} == {("scheduled", 0, 120)}


def test_move_and_cancel_raise_the_sequence_and_refuse_a_stale_form(ctx, clock):
    # Tuesday 7 April 2026, 6 pm Pacific daylight time.
    [session] = add_sessions(
        add_cohort(clock()),
        datetime(2026, 4, 8, 1, 0, tzinfo=UTC),
        count=1,
        meeting_url=ONLINE.meeting_url,
    )
    same = {"starts_at": session.starts_at, "minutes": 90, "where": ONLINE, "now": clock()}
    assert services.change(session, seen_sequence=0, **same) is False
    assert session.sequence == 0

    moved = services.to_utc(date(2026, 4, 8), time(17, 30))
    assert services.change(session, **{**same, "starts_at": moved}, seen_sequence=0)
    db.session.commit()
    assert (session.starts_at, session.sequence) == (moved, 1)

    with pytest.raises(services.StaleSession):
        services.change(session, **{**same, "minutes": 60}, seen_sequence=0)
    with pytest.raises(services.StaleSession):
        services.cancel(session, seen_sequence=0, now=clock())
    db.session.rollback()

    services.cancel(session, seen_sequence=1, now=clock())
    db.session.commit()
    assert (session.status, session.sequence) == ("cancelled", 2)
    with pytest.raises(services.SessionCancelled):
        services.cancel(session, seen_sequence=2, now=clock())
    with pytest.raises(services.SessionCancelled):
        services.change(session, **same, seen_sequence=2)


SHAPES = {
    "introductory": (6, "weekly", None, False),
    "reflective-practice-group": (10, "monthly", 720, False),
    "king-county-consultation": (12, "monthly", None, False),
    "bipoc-intensive": (8, "biweekly", None, True),
}


def _shapes():
    return {
        p.slug: (p.session_count, p.session_pattern, p.credit_cap_minutes, p.has_in_person_part)
        for p in db.session.scalars(select(Program))
    }


def test_seeding_gives_programs_their_shape_once_and_keeps_an_admins_change(ctx, clock):
    assert _shapes() == SHAPES  # a fresh install (conftest seeds)

    # Programs from before the shape existed hold the migration's defaults.
    for program in db.session.scalars(select(Program)):
        for name, value in SESSION_DEFAULTS.items():
            setattr(program, name, value)
    king_county = db.session.scalar(
        select(Program).where(Program.slug == "king-county-consultation")
    )
    king_county.session_count = 11  # an admin's change
    db.session.commit()

    assert seed_default_programs(clock()) == []
    db.session.commit()
    assert seed_default_programs(clock()) == []  # twice: nothing more
    db.session.commit()
    assert db.session.scalar(select(Program.id).where(Program.slug == "nope")) is None
    assert _shapes() == {**SHAPES, "king-county-consultation": (11, "weekly", None, False)}
    assert len(_shapes()) == 4
