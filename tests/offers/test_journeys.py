"""Offers walked end to end: real e-mail over SMTP on loopback, links opened from the
received messages, time moved by the app's clock."""

from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import Application, Cohort, Offer, OutboxMessage, StatusEvent
from intake.offers.ics import enrollment_invite, session_time
from intake.offers.services import offer_next
from tests.factories import SCHEDULE, add_cohort, program
from tests.respond.support import (
    action_paths,
    apply,
    apply_agency,
    deliver,
    html,
    offer,
    only,
    press,
    snapshot,
    templates_queued,
    text,
)


def test_offer_reminder_then_accept(smtp, app, ctx, client, clock):
    rosa = apply(app)
    cohort = add_cohort(clock())
    deliver(smtp, clock())  # the "application received" e-mail
    made = offer(cohort, rosa, clock())

    message = only(deliver(smtp, clock()), "A seat is waiting for you")
    assert message["To"] == "rosa@example.org"
    assert rosa.reference in message["Subject"]
    body = text(message)
    for expected in (
        "Spring evening group",
        SCHEDULE,
        "Tuesday, April 7, 2026",
        "Mai Facilitator",
        "English",
        rosa.reference,
        # 7 days after 2 March 17:00 UTC, said in the programs' time zone.
        "Please answer by Monday, March 9, 2026 at 10:00 AM (Pacific Daylight Time)",
        "Nothing happens until you press the button",
    ):
        assert expected in body, expected
    links = action_paths(message)
    assert set(links) == {"offer_accept", "offer_decline"}

    # 48 hours before the offer ends, one reminder, however often the clock ticks.
    clock.advance(days=5, minutes=-1)
    assert tick_once(clock())["offer reminders"] == 0
    clock.advance(minutes=1)
    assert tick_once(clock())["offer reminders"] == 1
    assert tick_once(clock())["offer reminders"] == 0
    reminder = only(deliver(smtp, clock()), "Reminder: your seat offer ends soon")
    assert rosa.reference in reminder["Subject"]
    assert action_paths(reminder) == links  # the same links, signed again, still good

    # Opening the link shows what will happen; only the button acts.
    before = snapshot()
    page = client.get(links["offer_accept"]).get_data(as_text=True)
    assert "Accept the seat" in page
    assert "Spring evening group" in page
    assert snapshot() == before

    response = press(client, links["offer_accept"])
    assert response.status_code == 303
    assert response.headers["Location"] == links["offer_accept"]
    page = client.get(links["offer_accept"]).get_data(as_text=True)
    assert "You accepted this seat on Saturday, March 7, 2026" in page

    db.session.expire_all()
    assert db.session.get(Application, rosa.id).status == "enrolled"
    assert db.session.get(Offer, made.id).status == "accepted"
    cohort = db.session.get(Cohort, cohort.id)
    assert (cohort.seats_offered, cohort.seats_enrolled, cohort.seats_free) == (0, 1, 7)

    enrolled = only(deliver(smtp, clock()), "You have a seat")
    assert rosa.reference in enrolled["Subject"]
    assert rosa.reference in text(enrolled)
    assert "Spring evening group" in html(enrolled)
    [invite] = [part for part in enrolled.iter_attachments() if part.get_filename() == "invite.ics"]
    assert invite.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(invite.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"enrollment-{rosa.id}-{cohort.id}@intake.example.org"
    # 6 pm in Seattle on the start date (daylight time, UTC-7) is 01:00 UTC next day.
    assert event["DTSTART"].dt == datetime(2026, 4, 8, 1, 0, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2026, 4, 8, 3, 0, tzinfo=UTC)
    assert "Spring evening group" in str(event["SUMMARY"])
    description = str(event["DESCRIPTION"])
    assert SCHEDULE in description
    assert "Mai Facilitator" in description
    assert rosa.reference in description
    assert "mailto:rosa@example.org" in str(event["ATTENDEE"])


def test_offer_declined_with_defer_keeps_the_place(smtp, app, ctx, client, clock, make_coordinator):
    make_coordinator(email="lead@example.org", programs=["introductory"])
    rosa = apply(app)
    clock.advance(hours=1)
    ana = apply(app, name="Ana Example")
    cohort = add_cohort(clock(), seats=2)
    joined = rosa.joined_at
    made = offer(cohort, rosa, clock())
    deliver(smtp, clock())
    links = action_paths(only(smtp.messages, "A seat is waiting for you"))
    clock.advance(days=1)

    page = client.get(links["offer_decline"]).get_data(as_text=True)
    assert "Keep my place on the waitlist for a later group" in page
    assert "Take me off the waitlist" in page

    # No choice made: the page says so, and nothing changes.
    before = snapshot()
    response = press(client, links["offer_decline"])
    assert response.status_code == 422
    assert "Choose whether to keep your place or leave the list." in response.get_data(as_text=True)
    assert snapshot() == before

    response = press(client, links["offer_decline"], choice="defer")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You declined this seat on" in page
    assert "You keep your place" in page

    db.session.expire_all()
    application = db.session.get(Application, rosa.id)
    assert application.status == "waitlisted"
    assert application.joined_at == joined
    assert db.session.get(Offer, made.id).status == "declined"
    assert db.session.get(Cohort, cohort.id).seats_offered == 0
    moves = db.session.execute(
        select(StatusEvent.from_status, StatusEvent.to_status, StatusEvent.actor)
        .where(StatusEvent.application_id == rosa.id)
        .order_by(StatusEvent.id)
    ).all()[-2:]
    assert moves == [("offered", "declined", "applicant"), ("declined", "waitlisted", "applicant")]

    messages = deliver(smtp, clock())
    declined = only(messages, "You kept your place on the waitlist")
    assert rosa.reference in declined["Subject"]
    assert "You keep your place on the waitlist" in text(declined)
    notice = only(messages, "free again in Spring evening group")
    assert notice["To"] == "lead@example.org"
    assert "the applicant declined the offer" in text(notice)
    assert f"https://intake.example.org/coord/cohorts/{cohort.id}" in text(notice)

    # This cohort's seats go to the next person; Rosa waits for a later cohort.
    offers = offer_next(db.session.get(Cohort, cohort.id), now=clock())
    db.session.commit()
    assert [o.application_id for o in offers] == [ana.id]
    later = add_cohort(clock(), name="Summer evening group")
    assert [o.application_id for o in offer_next(later, now=clock())] == [rosa.id]


def test_offer_declined_leaving_the_list(smtp, app, ctx, client, clock):
    rosa = apply(app)
    cohort = add_cohort(clock())
    offer(cohort, rosa, clock())
    deliver(smtp, clock())
    links = action_paths(only(smtp.messages, "A seat is waiting for you"))

    assert press(client, links["offer_decline"], choice="leave").status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, rosa.id).status == "closed"
    declined = only(deliver(smtp, clock()), "You have left the waitlist")
    assert "you have left the waitlist for Introductory reflective practice" in text(declined)


def test_expiry_offers_the_next_person_and_tells_coordinators(
    smtp, app, ctx, client, clock, make_coordinator
):
    make_coordinator(email="lead@example.org", programs=["introductory"])
    program().auto_offer = True
    db.session.commit()
    rosa = apply(app)
    clock.advance(hours=1)
    ana = apply(app, name="Ana Example")
    cohort = add_cohort(clock(), seats=2)
    # One seat held for Rosa; the other is not offered yet.
    made = offer(cohort, rosa, clock())
    joined = rosa.joined_at
    deliver(smtp, clock())
    links = action_paths(only(smtp.messages, "A seat is waiting for you"))

    clock.advance(days=7)
    done = tick_once(clock())
    assert done["expired offers"] == 1

    db.session.expire_all()
    assert db.session.get(Offer, made.id).status == "expired"
    rosa_now = db.session.get(Application, rosa.id)
    assert (rosa_now.status, rosa_now.joined_at) == ("waitlisted", joined)
    # Both free seats go to the next matching person: Ana (Rosa let this cohort's lapse).
    assert db.session.get(Application, ana.id).status == "offered"
    cohort = db.session.get(Cohort, cohort.id)
    assert (cohort.seats_offered, cohort.seats_enrolled) == (1, 0)

    messages = deliver(smtp, clock())
    expired = only(messages, "Your seat offer has ended")
    assert expired["To"] == "rosa@example.org"
    assert rosa.reference in expired["Subject"]
    assert "You keep your place on the waitlist" in text(expired)
    offered = only(messages, "A seat is waiting for you")
    assert offered["To"] == "ana@example.org"
    notice = only(messages, "free again in Spring evening group")
    assert notice["To"] == "lead@example.org"
    assert "the offer expired without an answer" in text(notice)
    assert "offers freed seats to the next matching person automatically" in text(notice)
    assert f"https://intake.example.org/coord/cohorts/{cohort.id}" in text(notice)

    # Rosa's links now show that the offer ended and change nothing.
    before = snapshot()
    response = client.get(links["offer_accept"])
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert snapshot() == before
    # Nothing more to do on the next tick.
    assert tick_once(clock())["expired offers"] == 0
    assert deliver(smtp, clock()) == []


def test_the_last_seat_filled_tells_coordinators(smtp, app, ctx, client, clock, make_coordinator):
    make_coordinator(email="lead@example.org", programs=["introductory"])
    rosa = apply(app)
    ana = apply(app, name="Ana Example")
    cohort = add_cohort(clock(), seats=2)
    offer(cohort, rosa, clock())
    offer(cohort, ana, clock())
    deliver(smtp, clock())
    for person in ("rosa@example.org", "ana@example.org"):
        [message] = [
            m for m in smtp.messages if m["To"] == person and "A seat is waiting" in m["Subject"]
        ]
        assert press(client, action_paths(message)["offer_accept"]).status_code == 303
    full = only(deliver(smtp, clock()), "is full")
    assert full["To"] == "lead@example.org"
    assert "Every seat in Spring evening group" in text(full)
    assert "2 of 2 enrolled" in text(full)
    assert f"https://intake.example.org/coord/cohorts/{cohort.id}" in text(full)


def test_agency_offer_names_the_staff_seats(smtp, app, ctx, client, clock):
    agency = apply_agency(app)
    cohort = add_cohort(
        clock(),
        program="king-county-consultation",
        name="Agency morning group",
        time_slot="weekday_morning",
        schedule="Second Thursday, 9:30–11 am",
        seats=8,
    )
    offer(cohort, agency, clock())
    message = only(deliver(smtp, clock()), "A seat is waiting for you")
    body = text(message)
    assert "6 seats for Little Sprouts Family Center's staff are being held" in body
    assert "Staff seats: 6" in body

    response = press(client, action_paths(message)["offer_accept"])
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).seats_enrolled == 6
    enrolled = only(deliver(smtp, clock()), "You have a seat")
    assert "Please share these details with the staff" in text(enrolled)
    [invite] = list(enrolled.iter_attachments())
    [event] = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")
    # 9:30 in Seattle, daylight time, on 7 April.
    assert event["DTSTART"].dt == datetime(2026, 4, 7, 16, 30, tzinfo=UTC)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=90)


def test_no_email_is_queued_twice_for_one_event(smtp, app, ctx, client, clock):
    rosa = apply(app)
    cohort = add_cohort(clock())
    offer(cohort, rosa, clock())
    clock.advance(days=6)
    for _ in range(3):
        tick_once(clock())
    assert templates_queued().count("offer_reminder") == 1


@pytest.mark.parametrize(
    ("schedule", "slot", "start", "minutes", "from_schedule"),
    [
        ("First Tuesday of the month, 6–8 pm", "weekday_evening", time(18, 0), 120, True),
        ("Tuesdays 6:30 pm - 8 pm", None, time(18, 30), 90, True),
        ("Mondays 18:00–19:30", None, time(18, 0), 90, True),
        ("Thursdays 11–1 pm", "weekday_midday", time(11, 0), 120, True),
        ("Fridays at 9 am", None, time(9, 0), 120, True),
        ("9am-10.30am, twice a month", None, time(9, 0), 90, True),
        # No time named: the slot's usual start, two hours, said to be a placeholder.
        ("Every other Wednesday", "weekday_evening", time(18, 0), 120, False),
        ("Sessions 1-10, dates by e-mail", "weekend", time(10, 0), 120, False),
        ("2026-04-07 to 2026-06-01", "weekday_afternoon", time(14, 0), 120, False),
        ("", None, time(9, 0), 120, False),
    ],
)
def test_the_invitation_takes_its_time_from_the_schedule(
    schedule, slot, start, minutes, from_schedule
):
    when = session_time(schedule, slot)
    assert (when.start, when.length, when.from_schedule) == (
        start,
        timedelta(minutes=minutes),
        from_schedule,
    )


def test_an_invitation_without_a_time_says_so(smtp, app, ctx, client, clock):
    rosa = apply(app)
    cohort = add_cohort(clock(), schedule="Every other Wednesday")
    offer(cohort, rosa, clock())
    deliver(smtp, clock())
    path = action_paths(only(smtp.messages, "A seat is waiting for you"))["offer_accept"]
    assert press(client, path).status_code == 303
    db.session.commit()
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "enrolled")
    ).one()
    [event] = icalendar.Calendar.from_ical(row.ics).walk("VEVENT")
    # Evenings start at 6 pm by default (Seattle daylight time on 7 April: UTC-7).
    assert event["DTSTART"].dt == datetime(2026, 4, 8, 1, 0, tzinfo=UTC)
    assert "placeholder" in str(event["DESCRIPTION"])
    # Built again (say the e-mail is re-queued), it is the same event for calendars.
    accepted = db.session.scalars(select(Offer).where(Offer.application_id == rosa.id)).one()
    invite = enrollment_invite(accepted, now=clock(), locale="es")
    assert str(icalendar.Calendar.from_ical(invite).walk("VEVENT")[0]["UID"]) == str(event["UID"])
