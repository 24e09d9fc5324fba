""" "E-mail me when it opens": when a window opens, the tick sends one e-mail per
address, in that person's language, and forgets the address."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from intake.cli import tick_once
from intake.cycles.services import ask_when_open, send_opening_notices
from intake.extensions import db
from intake.models import ApplicationWindow, OpeningNotice, OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import FORGOTTEN_RECIPIENT
from tests.cohorts.test_races import race
from tests.conftest import RACE_ROUNDS
from tests.factories import add_window, program

CLOSES = datetime(2026, 3, 31, 0, 30, tzinfo=UTC)  # 30 March, 17:30 Pacific


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _asked(clock, *people, opens_in=timedelta(days=3)):
    window = add_window(
        "introductory", clock() + opens_in, CLOSES, translations={"es": "Ciclo 2027"}
    )
    for email, locale in people:
        ask_when_open(program("introductory"), email=email, locale=locale, now=clock())
    db.session.commit()
    return window


def test_the_tick_sends_one_email_per_address_and_forgets_it(smtp, ctx, clock):
    window = _asked(clock, ("ana@example.org", "es"), ("bo@example.org", "en"))
    assert send_opening_notices(clock()) == 0  # not open yet: nothing, and kept
    assert count(OpeningNotice) == 2

    clock.advance(days=3)
    assert tick_once(clock())["opening notices sent"] == 2
    assert count(OpeningNotice) == 0
    db.session.expire_all()
    assert db.session.get(ApplicationWindow, window.id).notices_sent_at == clock()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [row.template for row in rows] == ["program_open", "program_open"]
    for row in rows:
        assert "@" not in row.dedup_key
        assert row.dedup_key.startswith(f"opening:{window.id}:")

    assert deliver_due(clock()).sent == 2
    by_address = {message["To"]: message for message in smtp.messages}
    assert set(by_address) == {"ana@example.org", "bo@example.org"}
    english = by_address["bo@example.org"].get_body(("plain",)).get_content()
    assert "It takes them now, for this cycle: 2027 cycle — groups begin after January 2027." in (
        english
    )
    assert "Monday, March 30, 2026" in english
    assert "https://intake.example.org/screener?program=introductory" in english
    assert by_address["bo@example.org"]["Subject"].startswith("Applications are open:")
    spanish = by_address["ana@example.org"].get_body(("plain",)).get_content()
    assert "Ciclo 2027" in spanish
    assert "lunes, 30 de marzo de 2026" in spanish

    for row in rows:
        db.session.refresh(row)
        assert row.to_addr == FORGOTTEN_RECIPIENT
        assert "example.org" not in (row.to_addr + row.dedup_key + row.text_body).replace(
            "intake.example.org", ""
        )

    # The next tick, and the one after: nothing more.
    assert tick_once(clock())["opening notices sent"] == 0
    clock.advance(days=1)
    assert tick_once(clock())["opening notices sent"] == 0
    assert count(OutboxMessage) == 2


def test_an_address_asked_twice_gets_one_email(smtp, ctx, clock):
    _asked(clock, ("ana@example.org", "en"), ("ANA@example.org", "es"))
    assert count(OpeningNotice) == 1
    clock.advance(days=3)
    assert send_opening_notices(clock()) == 1


def test_a_program_an_admin_closed_sends_nothing_until_it_is_open_again(ctx, clock):
    _asked(clock, ("ana@example.org", "en"))
    program("introductory").is_open = False
    db.session.commit()
    clock.advance(days=3)
    assert send_opening_notices(clock()) == 0
    assert count(OpeningNotice) == 1
    program("introductory").is_open = True
    db.session.commit()
    assert send_opening_notices(clock()) == 1


def test_a_window_that_closed_before_the_tick_sends_nothing(ctx, clock):
    add_window("introductory", clock() - timedelta(days=2), clock() - timedelta(days=1))
    ask_when_open(program("introductory"), email="ana@example.org", locale="en", now=clock())
    db.session.commit()
    assert send_opening_notices(clock()) == 0
    assert count(OpeningNotice) == 1  # kept for the next window


def test_two_ticks_at_once_send_each_email_once(app, ctx, clock):
    for round_ in range(RACE_ROUNDS):
        window = add_window(
            "introductory",
            clock() + timedelta(days=1),
            clock() + timedelta(days=2),
            name=f"Round {round_}",
        )
        for n in range(3):
            ask_when_open(
                program("introductory"), email=f"p{n}@example.org", locale="en", now=clock()
            )
        db.session.commit()
        clock.advance(days=1)
        now = clock()

        def tick(go, now=now):
            go()
            return send_opening_notices(now)

        results = race(app, tick, tick)
        db.session.expire_all()
        assert sorted(results) == [0, 3]
        assert count(OpeningNotice) == 0
        sent = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedup_key.like(f"opening:{window.id}:%"))
        )
        assert sent == 3
        clock.advance(days=1)


def test_the_tick_command_reports_the_step(runner, ctx, clock):
    _asked(clock, ("ana@example.org", "en"))
    clock.advance(days=3)
    result = runner.invoke(args=["waitlist", "tick"])
    assert result.exit_code == 0, result.output
    assert "opening notices sent: 1" in result.output
