"""What participants hear about sessions, received over real SMTP: the calendar with
every session on enrollment, a change or cancellation with its calendar update, and
reminders sent by the tick, each in the participant's language."""

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
from sqlalchemy import select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import OutboxMessage
from intake.sessions import services
from intake.sessions.services import Where
from tests.factories import add_cohort, add_participant
from tests.respond.support import (
    action_paths,
    apply,
    apply_agency,
    deliver,
    html,
    offer,
    only,
    press,
    text,
)

LINK = "https://meet.example.org/circle"


def _invite(message) -> tuple[str, icalendar.Calendar]:
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert part.get_content_type() == "text/calendar"
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())


def _group(app, clock, count=3, first=date(2026, 4, 7)):
    """A cohort with ``count`` weekly 6 pm sessions; Rosa (Spanish) in it for herself,
    Li (Chinese) named by an agency, and Ana, who withdrew."""
    cohort = add_cohort(clock())
    sessions = services.generate(
        cohort,
        first=first,
        pattern="weekly",
        count=count,
        start=time(18, 0),
        minutes=90,
        where=Where("online", LINK),
        now=clock(),
    )
    db.session.commit()
    rosa = apply(app, lang="es")
    agency = apply_agency(app)
    ana = apply(app, name="Ana Example")
    people = {
        "rosa": add_participant(rosa, cohort, clock(), locale="es", commit=False),
        "li": add_participant(
            agency,
            cohort,
            clock(),
            staff=True,
            name="Li Staff",
            email="li@example.org",
            locale="zh",
            commit=False,
        ),
        "ana": add_participant(ana, cohort, clock(), commit=False),
    }
    people["ana"].status = "withdrawn"
    db.session.commit()
    return cohort, sessions, people


def _move(session, starts_at, clock) -> None:
    """The coordinator moves a session not changed before (same length and link)."""
    services.change(
        session,
        starts_at=starts_at,
        minutes=90,
        where=Where("online", LINK),
        seen_sequence=0,
        now=clock(),
    )
    db.session.commit()


def test_moving_and_cancelling_a_session_tells_each_active_participant(smtp, app, ctx, clock):
    _cohort, sessions, people = _group(app, clock)
    deliver(smtp, clock())  # the applications' own e-mails
    second = sessions[1]
    moved_to = services.to_utc(date(2026, 4, 15), time(17, 0))
    _move(second, moved_to, clock)

    arrived = deliver(smtp, clock())
    assert sorted(m["To"] for m in arrived) == ["li@example.org", "rosa@example.org"]
    rosa = only(arrived, "Cambió una sesión de su grupo")
    body = text(rosa)
    assert "miércoles, 15 de abril de 2026" in body  # now
    assert "martes, 14 de abril de 2026" in body  # was
    assert LINK in body
    li = only(arrived, "您小组的一次聚会有变动")
    assert "2026年4月15日" in text(li)

    content_type, calendar = _invite(rosa)
    assert content_type == "REQUEST"
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{second.id}@intake.example.org"
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt == datetime(2026, 4, 16, 0, 0, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2026, 4, 16, 1, 30, tzinfo=UTC)
    assert str(event["LOCATION"]) == LINK
    assert "mailto:rosa@example.org" in str(event["ATTENDEE"])

    rows = {
        row.to_addr: row
        for row in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "session_changed")
        )
    }
    assert rows["rosa@example.org"].applicant_id == people["rosa"].applicant_id
    assert rows["rosa@example.org"].participant_id == people["rosa"].id
    assert rows["li@example.org"].applicant_id is None
    assert rows["li@example.org"].participant_id == people["li"].id
    assert rows["li@example.org"].dedup_key == f"session_changed:{second.id}:1:{people['li'].id}"

    services.cancel(second, seen_sequence=1, now=clock())
    db.session.commit()
    arrived = deliver(smtp, clock())
    assert len(arrived) == 2
    cancelled = only(arrived, "Sesión cancelada")
    content_type, calendar = _invite(cancelled)
    assert content_type == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{second.id}@intake.example.org"
    assert event["SEQUENCE"] == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert "聚会已取消" in only(arrived, "聚会已取消")["Subject"]
    assert deliver(smtp, clock()) == []


def test_reminders_once_per_session_in_the_participants_language(smtp, app, ctx, clock):
    # The clock starts on 2 March 2026 at 17:00 UTC; the first session is on 4 March,
    # 6 pm Pacific = 5 March 02:00 UTC, 57 hours later: reminded 24 hours before.
    _cohort, sessions, people = _group(app, clock, count=2, first=date(2026, 3, 4))
    deliver(smtp, clock())
    assert tick_once(clock())["session reminders"] == 0
    clock.advance(hours=33, minutes=-1)
    assert tick_once(clock())["session reminders"] == 0
    clock.advance(minutes=1)
    assert tick_once(clock())["session reminders"] == 2
    assert tick_once(clock())["session reminders"] == 0  # twice: nothing more

    arrived = deliver(smtp, clock())
    assert sorted(m["To"] for m in arrived) == ["li@example.org", "rosa@example.org"]
    rosa = only(arrived, "Recordatorio: su grupo se reúne")
    body = text(rosa)
    assert "miércoles, 4 de marzo de 2026" in body
    assert "a las 18:00 (hora estándar del Pacífico), 90 minutos" in body
    assert "/manage/" in body  # an individual's own manage link
    assert LINK in body
    li = only(arrived, "您的小组将于")
    assert LINK in text(li)
    assert "太平洋标准时间" in text(li)
    assert deliver(smtp, clock()) == []

    # Moved (within the window): a new reminder for the new time, once.
    first = sessions[0]
    services.change(
        first,
        starts_at=first.starts_at - timedelta(hours=1),
        minutes=90,
        where=Where("online", LINK),
        seen_sequence=0,
        now=clock(),
    )
    db.session.commit()
    assert tick_once(clock())["session reminders"] == 2
    assert tick_once(clock())["session reminders"] == 0
    keys = set(
        db.session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.template == "session_reminder")
        )
    )
    assert keys == {
        f"session_reminder:{p.id}:{first.id}:{seq}"
        for p in (people["rosa"], people["li"])
        for seq in (0, 1)
    }
    # A cancelled session is not reminded of.
    clock.advance(days=7)
    services.cancel(sessions[1], seen_sequence=0, now=clock())
    db.session.commit()
    assert tick_once(clock())["session reminders"] == 0


def test_the_enrolled_email_carries_every_session(smtp, app, ctx, client, clock):
    cohort = add_cohort(clock())
    sessions = services.generate(
        cohort,
        first=date(2026, 4, 7),
        pattern="biweekly",
        count=3,
        start=time(18, 0),
        minutes=120,
        where=Where("in_person", place="Room 4, 1 Example St"),
        now=clock(),
    )
    services.cancel(sessions[2], seen_sequence=0, now=clock())
    db.session.commit()
    rosa = apply(app)
    deliver(smtp, clock())
    offer(cohort, rosa, clock())
    links = action_paths(only(deliver(smtp, clock()), "A seat is waiting for you"))
    press(client, links["offer_accept"])

    enrolled = only(deliver(smtp, clock()), "You have a seat")
    assert "A calendar file with all 2 sessions of the group is attached" in text(enrolled)
    _content_type, calendar = _invite(enrolled)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        f"session-{s.id}@intake.example.org" for s in sessions
    ]
    assert [e["DTSTART"].dt for e in events] == [
        datetime(2026, 4, 8, 1, 0, tzinfo=UTC),
        datetime(2026, 4, 22, 1, 0, tzinfo=UTC),
        datetime(2026, 5, 6, 1, 0, tzinfo=UTC),
    ]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert [e["SEQUENCE"] for e in events] == [0, 0, 1]
    assert {str(e["LOCATION"]) for e in events} == {"Room 4, 1 Example St"}


def test_sessions_added_after_people_joined_reach_them_with_the_whole_calendar(
    smtp, app, ctx, clock
):
    cohort, first_batch, _people = _group(app, clock, count=2)
    deliver(smtp, clock())
    later = services.generate(
        cohort,
        first=date(2026, 6, 2),
        pattern="monthly",
        count=2,
        start=time(18, 0),
        minutes=90,
        where=Where("in_person", place="Retreat centre, 1 Example Rd"),
        now=clock(),
    )
    db.session.commit()
    arrived = deliver(smtp, clock())
    assert sorted(m["To"] for m in arrived) == ["li@example.org", "rosa@example.org"]
    rosa = only(arrived, "Las fechas de las sesiones de su grupo")
    body = text(rosa)
    assert "Su grupo tiene 2 sesiones nuevas:" in body
    assert "martes, 2 de junio de 2026" in body
    assert "Retreat centre, 1 Example Rd" in body
    _method, calendar = _invite(rosa)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [
        f"session-{s.id}@intake.example.org" for s in first_batch + later
    ]
    assert "您的小组新增了 2 次聚会" in text(only(arrived, "您小组的聚会日期"))


def _own_links(message) -> tuple[list[str], list[str]]:
    """The manage and participant links of a message's text part, as paths."""
    body = text(message)
    return (
        re.findall(r"https://intake\.example\.org(/manage/[A-Za-z0-9_\-]+)", body),
        re.findall(r"https://intake\.example\.org(/participant/[A-Za-z0-9_\-]+)", body),
    )


def _opens_li_page(app, message) -> None:
    manage, [path] = _own_links(message)
    assert manage == []
    assert f'href="https://intake.example.org{path}"' in html(message)
    page = app.test_client().get(path)
    assert page.status_code == 200
    assert "Li Staff" in page.get_data(as_text=True)


def _one_manage_link(message) -> None:
    manage, participant = _own_links(message)
    assert len(manage) == 1
    assert participant == []
    assert "/participant/" not in html(message)


def test_named_staff_get_their_own_page_in_every_session_email(smtp, app, ctx, clock):
    # As in the reminder test: the first session is 57 hours after the clock's start.
    _cohort, sessions, _people = _group(app, clock, count=2, first=date(2026, 3, 4))
    deliver(smtp, clock())
    clock.advance(hours=33)
    assert tick_once(clock())["session reminders"] == 2
    arrived = deliver(smtp, clock())
    _opens_li_page(app, only(arrived, "您的小组将于"))
    _one_manage_link(only(arrived, "Recordatorio: su grupo se reúne"))

    _move(sessions[1], sessions[1].starts_at + timedelta(hours=1), clock)
    arrived = deliver(smtp, clock())
    _opens_li_page(app, only(arrived, "您小组的一次聚会有变动"))
    _one_manage_link(only(arrived, "Cambió una sesión de su grupo"))

    services.cancel(sessions[1], seen_sequence=1, now=clock())
    db.session.commit()
    arrived = deliver(smtp, clock())
    _opens_li_page(app, only(arrived, "聚会已取消"))
    _one_manage_link(only(arrived, "Sesión cancelada"))
