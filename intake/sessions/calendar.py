"""Calendar files (.ics) for a cohort's sessions, built with ``icalendar``.

- One VEVENT per session with the UID ``session-<id>@<public host>``: the same for
  that session in every file the app ever sends, so a calendar updates the event it
  has instead of adding a second.
- SEQUENCE is ``CohortSession.sequence``, raised by every move or cancellation, so a
  calendar takes the newer file as an update of the older one.
- A cancelled session is STATUS:CANCELLED; a file about one cancelled session says
  METHOD:CANCEL, every other file METHOD:REQUEST (the delivery worker reads METHOD
  for the attachment's content type).
- Times are written in UTC; texts in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from icalendar import Calendar, Event, vCalAddress, vText

from intake.i18n import gettext as _
from intake.links import public_host
from intake.models import Cohort, CohortSession
from intake.programs.services import program_plain, reply_address

REQUEST, CANCEL = "REQUEST", "CANCEL"


def session_uid(session: CohortSession) -> str:
    return f"session-{session.id}@{public_host()}"


def _event(
    session: CohortSession, cohort: Cohort, *, now: datetime, name: str, email: str
) -> Event:
    program_name = program_plain(cohort.program, "name")
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", now.astimezone(UTC))
    start = session.starts_at.astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=session.minutes))
    event.add("summary", _("%(cohort)s (%(program)s)", cohort=cohort.name, program=program_name))
    lines = [_("Facilitator: %(name)s", name=cohort.facilitator)]
    if session.location_kind == "in_person":
        if session.place:
            event.add("location", session.place)
            lines.append(_("Place: %(place)s", place=session.place))
    elif session.meeting_url:
        event.add("location", session.meeting_url)
        event.add("url", session.meeting_url)
        lines.append(_("Meeting link: %(url)s", url=session.meeting_url))
    lines.append(_("Questions? Reply to any e-mail from us."))
    event.add("description", "\n".join(lines))
    event.add("sequence", session.sequence)
    cancelled = session.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    organizer = vCalAddress(f"mailto:{reply_address(cohort.program)}")
    organizer.params["cn"] = vText(program_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = vText(name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Reflective practice groups//intake//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def cohort_calendar(
    cohort: Cohort,
    sessions: Iterable[CohortSession],
    *,
    now: datetime,
    locale: str,
    name: str,
    email: str,
) -> str:
    """Every session of ``cohort`` (cancelled ones as cancelled) in one file, for
    the person ``name`` <``email``>, in ``locale``."""
    calendar = _calendar(REQUEST)
    with force_locale(locale):
        for session in sessions:
            calendar.add_component(_event(session, cohort, now=now, name=name, email=email))
    return calendar.to_ical().decode()


def session_update(
    session: CohortSession, *, now: datetime, locale: str, name: str, email: str
) -> str:
    """One session as it is now: an update (moved, changed) or a cancellation."""
    calendar = _calendar(CANCEL if session.status == "cancelled" else REQUEST)
    with force_locale(locale):
        calendar.add_component(_event(session, session.cohort, now=now, name=name, email=email))
    return calendar.to_ical().decode()
