"""The calendar invitation (.ics) sent with the "you are enrolled" e-mail.

When the cohort has sessions, the file holds every one of them, each with its own
stable UID and SEQUENCE (``intake.sessions.calendar``), so later updates of a
session replace its event. Before a coordinator has added sessions, the file holds
one VEVENT for the cohort's first session, built with the ``icalendar`` package:

- UID ``enrollment-<application id>-<cohort id>@<public host>``: the same for the
  same enrollment every time it is built, so a calendar that receives it twice
  updates one event instead of adding a second.
- DTSTART is ``cohort.start_date`` at the time the schedule names ("6–8 pm",
  "6:30 pm", "18:00–20:00"), in the programs' time zone (``BABEL_DEFAULT_TIMEZONE``),
  written in UTC so every calendar reads it the same. When the schedule names no
  time, the time slot's usual start is used (mornings 9:00, around lunch 12:00,
  afternoons 14:00, evenings 18:00, weekends 10:00; 9:00 with no slot) and the
  description says the time is a placeholder. A session lasts two hours unless the
  schedule gives an end time.
- SUMMARY is the cohort and program; DESCRIPTION the schedule, the facilitator and
  the reference number, in the applicant's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from icalendar import Calendar, Event, vCalAddress, vText

from intake.i18n import gettext as _
from intake.links import public_host
from intake.models import Offer
from intake.programs.services import program_plain, reply_address, schedule_plain
from intake.sessions.calendar import cohort_calendar

DEFAULT_LENGTH = timedelta(hours=2)
SLOT_START = {
    "weekday_morning": time(9, 0),
    "weekday_midday": time(12, 0),
    "weekday_afternoon": time(14, 0),
    "weekday_evening": time(18, 0),
    "weekend": time(10, 0),
}
NO_SLOT_START = time(9, 0)

_MERIDIEM = r"(?:([ap])\.?\s?m\.?)"
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?"
# "6–8 pm", "6:30 pm - 8 pm", "10 am to noon" is not understood (falls back).
_RANGE = re.compile(
    rf"\b{_CLOCK}\s*{_MERIDIEM}?\s*(?:-|–|—|to)\s*{_CLOCK}\s*{_MERIDIEM}?(?![\w])", re.IGNORECASE
)
_SINGLE_12H = re.compile(rf"\b{_CLOCK}\s*{_MERIDIEM}(?![\w])", re.IGNORECASE)
_SINGLE_24H = re.compile(r"\b(\d{1,2}):(\d{2})\b")


@dataclass(frozen=True)
class SessionTime:
    start: time
    length: timedelta
    from_schedule: bool


def _to_24h(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def session_time(schedule: str | None, time_slot: str | None) -> SessionTime:
    """When a session starts and how long it lasts, read from the schedule text if
    it names a time, else the time slot's usual start (see the module docstring)."""
    text = schedule or ""
    match = _RANGE.search(text)
    if match:
        h1, m1, p1, h2, m2, p2 = match.groups()
        twelve_hour = bool(p1 or p2)
        both_clock = m1 is not None and m2 is not None
        if twelve_hour or both_clock:
            end = _to_24h(int(h2), int(m2 or 0), p2 or p1)
            start = _to_24h(int(h1), int(m1 or 0), p1 or p2)
            if start and end and not p1 and p2 and _minutes(start) > _minutes(end):
                # "11–1 pm": the start is before noon.
                start = _to_24h(int(h1), int(m1 or 0), "a" if p2.lower() == "p" else "p")
            if start and end and _minutes(end) > _minutes(start):
                return SessionTime(start, timedelta(minutes=_minutes(end) - _minutes(start)), True)
    for pattern in (_SINGLE_12H, _SINGLE_24H):
        match = pattern.search(text)
        if match:
            groups = match.groups()
            meridiem = groups[2] if len(groups) > 2 else None
            start = _to_24h(int(groups[0]), int(groups[1] or 0), meridiem)
            if start:
                return SessionTime(start, DEFAULT_LENGTH, True)
    return SessionTime(SLOT_START.get(time_slot or "", NO_SLOT_START), DEFAULT_LENGTH, False)


def first_session(start_date: date, schedule: str | None, time_slot: str | None):
    """The first session's start and end, aware datetimes in UTC, and whether the
    time came from the schedule."""
    when = session_time(schedule, time_slot)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start = datetime.combine(start_date, when.start, tzinfo=zone).astimezone(UTC)
    return start, start + when.length, when.from_schedule


def enrollment_invite(offer: Offer, *, now: datetime, locale: str) -> str:
    """The .ics text for an accepted offer: every session of the cohort, or before it
    has any, its first session; in ``locale``."""
    cohort = offer.cohort
    application = offer.application
    applicant = application.applicant
    program = cohort.program
    if cohort.sessions:
        return cohort_calendar(
            cohort,
            cohort.sessions,
            now=now,
            locale=locale,
            name=applicant.name,
            email=applicant.email,
        )
    start, end, from_schedule = first_session(cohort.start_date, cohort.schedule, cohort.time_slot)

    with force_locale(locale):
        program_name = program_plain(program, "name")
        summary = _("%(cohort)s (%(program)s)", cohort=cohort.name, program=program_name)
        lines = [
            _("Schedule: %(schedule)s", schedule=schedule_plain(cohort)),
            _("Facilitator: %(name)s", name=cohort.facilitator),
            _("Reference: %(reference)s", reference=application.reference),
        ]
        if not from_schedule:
            lines.append(
                _(
                    "The time in your calendar is only a placeholder. The schedule above "
                    "says when the group meets; a coordinator will confirm the time."
                )
            )
        lines.append(_("Questions? Reply to any e-mail from us."))

    calendar = Calendar()
    calendar.add("prodid", "-//Reflective practice groups//intake//EN")
    calendar.add("version", "2.0")
    # The delivery worker sends it as text/calendar; method=REQUEST: they must agree.
    calendar.add("method", "REQUEST")

    event = Event()
    event.add("uid", f"enrollment-{application.id}-{cohort.id}@{public_host()}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")

    organizer = vCalAddress(f"mailto:{reply_address(program)}")
    organizer.params["cn"] = vText(program_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{applicant.email}")
    attendee.params["cn"] = vText(applicant.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)

    calendar.add_component(event)
    return calendar.to_ical().decode()
