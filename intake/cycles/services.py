"""Application cycles: a program's windows, whether it takes applications now,
"e-mail me when it opens", and the e-mails the tick sends when a window opens.

Services flush and never commit; the view (or the tick) commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from intake.cycles.windows import Availability, availability, overlaps
from intake.extensions import db
from intake.links import public_url_for
from intake.models import Application, ApplicationWindow, OpeningNotice, Program
from intake.outbox.services import enqueue
from intake.programs import listing
from intake.programs.services import reply_address
from intake.rows import rows_changed, update_guarded

# The languages a cycle's name can be written in besides English.
OTHER_LANGUAGES = ("es", "zh")


class ProgramClosed(Exception):
    """A program was chosen that does not take applications now."""

    def __init__(self, program: Program, availability: Availability):
        super().__init__(program.slug)
        self.program = program
        self.availability = availability


class WindowError(Exception):
    """An application window an admin typed that cannot be saved."""


class ClosesBeforeOpens(WindowError):
    pass


class WindowsOverlap(WindowError):
    pass


# Open or not -------------------------------------------------------------------------


def availabilities(programs: Iterable[Program], now: datetime) -> dict[int, Availability]:
    """Each program's availability at ``now``, its windows read in one query."""
    programs = list(programs)
    windows: dict[int, list[ApplicationWindow]] = defaultdict(list)
    cached = listing.windows_of([p.id for p in programs]) if listing.in_use() else None
    if cached is not None:
        windows.update(cached)
    elif programs:
        query = select(ApplicationWindow).where(
            ApplicationWindow.program_id.in_([p.id for p in programs])
        )
        for window in db.session.scalars(query):
            windows[window.program_id].append(window)
    return {p.id: availability(p.is_open, windows[p.id], now) for p in programs}


def taking_windows(
    programs: Sequence[Program], now: datetime, known: Mapping[int, Availability] | None = None
) -> dict[int, ApplicationWindow | None]:
    """The open window of each program (None for a program without windows), or
    ProgramClosed for the first program that does not take applications at ``now``.
    ``known``: availabilities at ``now`` read already; the windows are read only when
    a program is missing from it.
    """
    if known is not None and all(p.id in known for p in programs):
        states = dict(known)
    else:
        states = availabilities(programs, now)
    for program in programs:
        if not states[program.id].taking:
            raise ProgramClosed(program, states[program.id])
    return {p.id: cast("ApplicationWindow | None", states[p.id].window) for p in programs}


def cycle_name(window: ApplicationWindow, locale: str) -> str:
    """The cycle's name in ``locale``; the English one when none was written."""
    return (window.name_translations or {}).get(locale) or window.name


# Admin: the windows of a program ------------------------------------------------------


def program_windows(program: Program) -> list[ApplicationWindow]:
    return list(
        db.session.scalars(
            select(ApplicationWindow)
            .where(ApplicationWindow.program_id == program.id)
            .order_by(ApplicationWindow.opens_at)
        )
    )


def _check(program: Program, opens_at: datetime, closes_at: datetime, editing: int | None) -> None:
    if closes_at <= opens_at:
        raise ClosesBeforeOpens("The window must close after it opens.")
    others = [w for w in program_windows(program) if w.id != editing]
    clash = overlaps(opens_at, closes_at, others)
    if clash is not None:
        raise WindowsOverlap(
            f"This window overlaps “{clash.name}”. A program's windows cannot overlap: "
            "change the dates, or change that window first."
        )


def _translations(names: Mapping[str, str | None]) -> dict[str, str]:
    return {code: text for code, text in names.items() if code in OTHER_LANGUAGES and text}


def create_window(
    program: Program,
    *,
    name: str,
    translations: Mapping[str, str | None],
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
) -> ApplicationWindow:
    """Add a window; ClosesBeforeOpens or WindowsOverlap when it cannot be."""
    _check(program, opens_at, closes_at, None)
    window = ApplicationWindow(
        program_id=program.id,
        name=name,
        name_translations=_translations(translations),
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now,
    )
    db.session.add(window)
    db.session.flush()
    return window


def update_window(
    window: ApplicationWindow,
    *,
    name: str,
    translations: Mapping[str, str | None],
    opens_at: datetime,
    closes_at: datetime,
) -> None:
    """Change a window. Moving its opening after notices were sent does not send
    them again: "e-mail me when it opens" is once per window."""
    _check(window.program, opens_at, closes_at, window.id)
    window.name = name
    window.name_translations = _translations(translations)
    window.opens_at = opens_at
    window.closes_at = closes_at
    db.session.flush()


def delete_window(window: ApplicationWindow) -> None:
    """Delete a window. Applications that came in it keep their place; they no
    longer name a cycle."""
    # Said here too: SQLite does not enforce the foreign key's ON DELETE SET NULL.
    rows_changed(
        update(Application).where(Application.window_id == window.id).values(window_id=None)
    )
    db.session.delete(window)
    db.session.flush()


# "E-mail me when it opens" ------------------------------------------------------------


def ask_when_open(program: Program, *, email: str, locale: str, now: datetime) -> None:
    """Keep ``email`` until the program's next window opens. A second request for
    the same address changes nothing (the unique key decides, inside a savepoint),
    and the caller answers the same either way."""
    notice = OpeningNotice(
        program_id=program.id,
        email=email,
        email_key=email.lower(),
        locale=locale,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(notice)
    except IntegrityError:
        pass


def send_opening_notices(now: datetime) -> int:
    """The tick step: for each window open at ``now`` whose notices are not sent,
    queue one e-mail per address that asked about its program, in that person's
    language, then delete those addresses and mark the window sent, all in the
    caller's transaction. Returns the number of e-mails queued.

    Two ticks at once: the guarded UPDATE of ``notices_sent_at`` lets one of them
    send a window's notices; the other skips it. The messages forget their
    recipient once sent, and their de-duplication key holds no address.
    """
    due = db.session.scalars(
        select(ApplicationWindow)
        .join(Program)
        .where(
            Program.is_open.is_(True),
            ApplicationWindow.opens_at <= now,
            ApplicationWindow.closes_at > now,
            ApplicationWindow.notices_sent_at.is_(None),
        )
        .order_by(ApplicationWindow.opens_at, ApplicationWindow.id)
    ).all()
    queued = 0
    for window in due:
        claimed = update_guarded(
            update(ApplicationWindow)
            .where(
                ApplicationWindow.id == window.id,
                ApplicationWindow.notices_sent_at.is_(None),
            )
            .values(notices_sent_at=now)
        )
        if not claimed:
            continue
        program = window.program
        notices = db.session.scalars(
            select(OpeningNotice)
            .where(OpeningNotice.program_id == program.id, OpeningNotice.created_at <= now)
            .order_by(OpeningNotice.id)
        ).all()
        for notice in notices:
            enqueue(
                template="program_open",
                to=notice.email,
                dedup_key=f"opening:{window.id}:{notice.id}",
                locale=notice.locale,
                now=now,
                reply_to=reply_address(program),
                program_id=program.id,
                forget_recipient=True,
                context={
                    "program": program,
                    "cycle": cycle_name(window, notice.locale),
                    "closes_at": window.closes_at,
                    "apply_url": public_url_for(f"screener.{program.kind}", program=program.slug),
                },
            )
            queued += 1
        if notices:
            rows_changed(delete(OpeningNotice).where(OpeningNotice.id.in_([n.id for n in notices])))
    db.session.expire_all()
    return queued
