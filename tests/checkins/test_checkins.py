"""Check-ins walked end to end, and the tick that drives them (and the offers' clock),
also when two machines run it at the same moment."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.checkins import services as checkins
from intake.cli import tick_once
from intake.extensions import db
from intake.models import Application, OutboxMessage, StatusEvent
from tests.conftest import RACE_ROUNDS
from tests.factories import add_cohort, program
from tests.respond.support import (
    action_paths,
    apply,
    checked_in,
    deliver,
    offer,
    only,
    press,
    snapshot,
    spaces,
    templates_queued,
    text,
)


def fresh(application) -> Application:
    db.session.commit()
    return db.session.get(Application, application.id)


def test_no_answer_pauses_the_place_and_the_link_brings_it_back(smtp, app, ctx, client, clock):
    rosa = apply(app)
    joined = rosa.joined_at
    deliver(smtp, clock())

    # Not before the program's interval (90 days by default)…
    clock.advance(days=90, minutes=-1)
    assert tick_once(clock())["check-ins sent"] == 0
    # …then once, however often the clock ticks.
    clock.advance(minutes=1)
    asked_at = clock()
    assert tick_once(clock())["check-ins sent"] == 1
    assert tick_once(clock())["check-ins sent"] == 0
    assert fresh(rosa).checkin_sent_at == asked_at

    checkin = only(deliver(smtp, clock()), "Are you still interested in a place?")
    assert rosa.reference in checkin["Subject"]
    assert rosa.reference in text(checkin)
    body = text(checkin)
    assert "since Monday, March 2, 2026" in body
    # The window is 14 days: the links stop working when it closes.
    assert "Please answer by Sunday, June 14, 2026 at 10:00 AM (Pacific Daylight Time)" in body
    paths = action_paths(checkin)
    assert set(paths) == {"checkin_yes", "checkin_leave"}

    clock.advance(days=14, minutes=-1)
    assert tick_once(clock())["paused (no answer to a check-in)"] == 0
    clock.advance(minutes=1)
    assert tick_once(clock())["paused (no answer to a check-in)"] == 1
    assert fresh(rosa).status == "inactive"
    event = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == rosa.id)
        .order_by(StatusEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.actor) == ("waitlisted", "inactive", "system")

    # The check-in's links are over now.
    assert client.get(paths["checkin_yes"]).status_code == 410

    paused = only(deliver(smtp, clock()), "Your place on the waitlist is paused")
    assert rosa.reference in paused["Subject"]
    assert "Your place in line is kept" in text(paused)
    [reactivate] = action_paths(paused).values()

    clock.advance(days=30)
    assert tick_once(clock()) == {
        "expired offers": 0,
        "offer reminders": 0,
        "paused (no answer to a check-in)": 0,
        "check-ins sent": 0,
        "session reminders": 0,
        "groups ended": 0,
        "expired screener answers deleted": 0,
        "survey invitations sent": 0,
        "cohorts with unnamed agency seats reported": 0,
        "opening notices sent": 0,
        "coordinator digests": 0,
    }
    before = snapshot()
    page = client.get(reactivate).get_data(as_text=True)
    assert "Put me back on the waitlist" in page
    assert "you joined on March 2, 2026" in page
    assert snapshot() == before

    assert press(client, reactivate).status_code == 303
    back = fresh(rosa)
    assert back.status == "waitlisted"
    assert back.joined_at == joined  # the same place in line
    assert back.confirmed_at == clock()
    assert back.checkin_sent_at is None
    page = spaces(client.get(reactivate).get_data(as_text=True))
    assert "You are on the waitlist again, in the same place in line" in page

    # The next check-in counts from coming back, not from joining.
    clock.advance(days=89)
    assert tick_once(clock())["check-ins sent"] == 0
    clock.advance(days=1)
    assert tick_once(clock())["check-ins sent"] == 1


def test_still_interested_keeps_the_place_and_restarts_the_interval(smtp, app, ctx, client, clock):
    rosa, paths = checked_in(app, smtp, clock)
    joined = rosa.joined_at
    clock.advance(days=3)
    assert press(client, paths["checkin_yes"]).status_code == 303
    answered = fresh(rosa)
    assert answered.status == "waitlisted"
    assert answered.joined_at == joined
    assert (answered.confirmed_at, answered.checkin_sent_at) == (clock(), None)
    assert "that you are still interested" in client.get(paths["checkin_yes"]).get_data(
        as_text=True
    )

    # The window passes without a pause: the check-in was answered.
    clock.advance(days=20)
    assert tick_once(clock())["paused (no answer to a check-in)"] == 0
    assert fresh(rosa).status == "waitlisted"
    clock.advance(days=70)  # 90 days after the answer
    assert tick_once(clock())["check-ins sent"] == 1
    assert templates_queued().count("checkin") == 2


def test_leaving_the_list_from_the_check_in(smtp, app, ctx, client, clock):
    rosa, paths = checked_in(app, smtp, clock)
    page = client.get(paths["checkin_leave"]).get_data(as_text=True)
    assert "Take me off the waitlist" in page

    assert press(client, paths["checkin_leave"]).status_code == 303
    left = fresh(rosa)
    assert (left.status, left.checkin_sent_at) == ("withdrawn", None)
    event = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == rosa.id)
        .order_by(StatusEvent.id.desc())
    ).first()
    assert (event.to_status, event.actor) == ("withdrawn", "applicant")

    withdrawn = only(deliver(smtp, clock()), "You have left the waitlist")
    assert rosa.reference in withdrawn["Subject"]
    assert "you have left the waitlist for Introductory reflective practice" in text(withdrawn)

    # The "yes" link of the same e-mail now only says where things stand.
    before = snapshot()
    page = client.get(paths["checkin_yes"]).get_data(as_text=True)
    assert "You left the waitlist on" in page
    assert 'method="post"' not in page
    assert snapshot() == before
    # Nobody who left is asked again, or paused.
    clock.advance(days=400)
    assert tick_once(clock())["check-ins sent"] == 0
    assert fresh(rosa).status == "withdrawn"


def test_interval_and_window_are_per_program(smtp, app, ctx, client, clock):
    intro = program()
    intro.checkin_interval_days, intro.checkin_window_days = 30, 3
    db.session.commit()
    rosa, paths = checked_in(app, smtp, clock)  # asked after 30 days
    assert fresh(rosa).checkin_sent_at == clock()
    assert checkins.checkin_expires_at(fresh(rosa)) == clock() + timedelta(days=3)
    clock.advance(days=3, minutes=-1)
    assert client.get(paths["checkin_yes"]).status_code == 200
    assert tick_once(clock())["paused (no answer to a check-in)"] == 0
    clock.advance(minutes=1)
    assert client.get(paths["checkin_yes"]).status_code == 410
    assert tick_once(clock())["paused (no answer to a check-in)"] == 1


def test_only_people_waiting_are_asked(smtp, app, ctx, client, clock):
    rosa = apply(app)
    ana = apply(app, name="Ana Example")
    cohort = add_cohort(clock())
    offer(cohort, rosa, clock())
    clock.advance(days=91)
    # Rosa holds an open offer (it expired today, so the tick first puts her back on
    # the waitlist, keeping her joined_at: she is then due, like Ana).
    done = tick_once(clock())
    assert done["expired offers"] == 1
    assert done["check-ins sent"] == 2
    assert {fresh(rosa).status, fresh(ana).status} == {"waitlisted"}

    # Someone holding a seat offer, or in review, is not asked.
    bea = apply(app, name="Bea Example")
    offer(cohort, bea, clock())
    clock.advance(days=91)
    assert checkins.send_due(clock()) == 0
    db.session.commit()
    assert fresh(bea).checkin_sent_at is None


def tick_together(app, now) -> dict[str, int]:
    """Two ticks at the same moment, as two machines would run them (two threads,
    two app contexts, two database connections); their counts added up."""
    barrier = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            barrier.wait()
            results.append(tick_once(now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # No step failed: the second machine waits for the first, never errs.
    assert len(results) == 2
    assert all(count is not None for result in results for count in result.values()), results
    return {step: sum(result[step] for result in results) for step in results[0]}


@pytest.mark.parametrize("attempt", range(RACE_ROUNDS))
def test_two_ticks_at_once_send_one_email_per_event(smtp, app, ctx, clock, attempt):
    intro = program()
    intro.checkin_interval_days, intro.checkin_window_days = 7, 3
    db.session.commit()
    people = [apply(app, name=f"Person{n} Example") for n in range(5)]
    cohort = add_cohort(clock(), seats=4)
    offer(cohort, people[0], clock())
    clock.advance(days=2)
    offer(cohort, people[1], clock())
    deliver(smtp, clock())
    arrived_before = len(smtp.messages)

    # 7 days on: offer 0 ends, offer 1 is due its reminder, and everyone waiting
    # (people 0, 2, 3 and 4) is due a check-in.
    clock.advance(days=5, minutes=1)
    assert tick_together(app, clock()) == {
        "expired offers": 1,
        "offer reminders": 1,
        "paused (no answer to a check-in)": 0,
        "check-ins sent": 4,
        "session reminders": 0,
        "groups ended": 0,
        "expired screener answers deleted": 0,
        "survey invitations sent": 0,
        "cohorts with unnamed agency seats reported": 0,
        "opening notices sent": 0,
        "coordinator digests": 0,
    }
    # 3 days on: nobody answered, so those four pause; offer 1 ends and its person,
    # back on the waitlist, is asked in turn.
    clock.advance(days=3)
    assert tick_together(app, clock()) == {
        "expired offers": 1,
        "offer reminders": 0,
        "paused (no answer to a check-in)": 4,
        "check-ins sent": 1,
        "session reminders": 0,
        "groups ended": 0,
        "expired screener answers deleted": 0,
        "survey invitations sent": 0,
        "cohorts with unnamed agency seats reported": 0,
        "opening notices sent": 0,
        "coordinator digests": 0,
    }

    queued = dict(
        db.session.execute(
            select(OutboxMessage.template, func.count())
            .where(OutboxMessage.template != "application_received")
            .where(OutboxMessage.template != "offer_made")
            .group_by(OutboxMessage.template)
        ).all()
    )
    assert queued == {
        "offer_expired": 2,
        "offer_reminder": 1,
        "coordinator_seats_freed": 2,
        "checkin": 5,
        "marked_inactive": 4,
    }
    arrived = deliver(smtp, clock())
    assert len(arrived) == 14 == len(smtp.messages) - arrived_before
    pairs = [(message["To"], message["Subject"]) for message in arrived]
    assert len(pairs) == len(set(pairs))
    statuses = [fresh(person).status for person in people]
    assert statuses == ["inactive", "waitlisted", "inactive", "inactive", "inactive"]


def test_tick_command(runner, ctx, app, clock):
    apply(app)
    clock.advance(days=91)
    result = runner.invoke(args=["waitlist", "tick"])
    assert result.exit_code == 0, result.output
    assert "check-ins sent: 1" in result.output
    assert "expired offers: 0" in result.output
    result = runner.invoke(args=["waitlist", "tick"])
    assert "check-ins sent: 0" in result.output
    assert templates_queued().count("checkin") == 1
