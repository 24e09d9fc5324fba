"""The open programs and their application windows as the public pages read them: kept
in each process for a few seconds instead of read from the database on every request.

Every public page lists the programs or shows one, with its cycle (its windows): the
same few rows for every visitor, changed by an admin a few times a year. The listing
is read once per process and then served for ``PROGRAM_CACHE_SECONDS`` (5 by default;
0 reads the database every time):

- Only the public pages' GET and HEAD requests use it (``PUBLIC_BLUEPRINTS``). Every
  POST (a screener answered, an application sent, a notice asked for) and every
  coordinator page reads the database, so what is decided and saved never rests on
  the copy.
- An admin's change (a program or a window, saved through this app's session) clears
  the copy of the process that saved it at commit: that worker shows it at once.
  Every other worker (gunicorn runs several) shows it within ``PROGRAM_CACHE_SECONDS``.
- Whether a program takes applications is still worked out per request, from the
  request's moment: a window opening or closing on time needs no refresh.
- The parts of a public page that show only the programs (home's list, a program's
  page around its notice form, the screener's questions and their count before any
  answer) are drawn once per copy, language and state of the programs' cycles, and go
  with the copy (``kept_fragment``, and ``program_fragment`` in the templates).

The copy holds detached objects; each request gets its own instances, merged into its
session without a query (``Session.merge(load=False)``, SQLAlchemy's caching recipe), so
views and templates use them as any loaded Program. A program or its windows are merged
when the request first asks for them, once per request.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from intake.cycles.windows import availability
from intake.extensions import db
from intake.models import ApplicationWindow, Program

# The applicant-facing blueprints whose GET pages may read the copy.
PUBLIC_BLUEPRINTS = frozenset({"home", "screener", "applications", "cycles"})
_EXTENSION = "intake_program_listing"
_CHANGED = "intake_programs_changed"


@dataclass
class Listing:
    loaded_at: float
    programs: list[Program]
    windows: dict[int, list[ApplicationWindow]] = field(default_factory=dict)
    # Markup drawn from this copy (``kept_fragment``): it goes when the copy goes.
    fragments: dict[tuple, Markup] = field(default_factory=dict)


class ProgramListing:
    """One process's copy of the open programs and their windows."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._listing: Listing | None = None
        # Bumped by every clear: a load that began before a clear is not kept.
        self._generation = 0
        self._lock = threading.Lock()
        self.loads = 0

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._listing = None

    def current(self) -> Listing:
        listing = self._listing
        if listing is not None and self.clock() - listing.loaded_at < self.seconds:
            return listing
        generation = self._generation
        listing = self._load()
        with self._lock:
            if generation == self._generation:
                self._listing = listing
        return listing

    def _load(self) -> Listing:
        loaded_at = self.clock()  # before the query: the copy is never older than it says
        self.loads += 1
        # A session of its own: the copy must not share instances with the request's.
        with Session(db.engine, expire_on_commit=False) as session:
            programs = list(
                session.scalars(
                    select(Program).where(Program.is_open.is_(True)).order_by(Program.position)
                )
            )
            windows: dict[int, list[ApplicationWindow]] = defaultdict(list)
            if programs:
                query = (
                    select(ApplicationWindow)
                    .where(ApplicationWindow.program_id.in_([p.id for p in programs]))
                    .order_by(ApplicationWindow.opens_at)
                )
                for window in session.scalars(query):
                    windows[window.program_id].append(window)
            # Closing ends the transaction without expiring what was loaded (a
            # rollback would, and every later use would query again).
        return Listing(loaded_at, programs, dict(windows))


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = ProgramListing(float(app.config["PROGRAM_CACHE_SECONDS"]))


def of(app: Flask) -> ProgramListing:
    return app.extensions[_EXTENSION]


def in_use() -> bool:
    """This request may read the copy: a public page's GET or HEAD."""
    return (
        has_request_context()
        and request.method in ("GET", "HEAD")
        and request.blueprint in PUBLIC_BLUEPRINTS
        and of(current_app).seconds > 0
    )


class _RequestCopy:
    """The listing as instances of this request's session, each merged the first time
    it is asked for: the program page needs one program, not all of them (merging all
    four took a tenth of that page's time)."""

    def __init__(self, listing: Listing):
        self.listing = listing
        self._programs: dict[int, Program] = {}
        self._windows: dict[int, list[ApplicationWindow]] = {}
        self._all: list[Program] | None = None
        # Each kept part's programs and their cycles' states at a moment, worked out
        # once a request: a page keeps two parts of the same programs (kept_fragment).
        self.cycles: dict[tuple[tuple[int, ...] | None, datetime], tuple | None] = {}

    def program(self, cached: Program) -> Program:
        merged = self._programs.get(cached.id)
        if merged is None:
            merged = self._programs[cached.id] = db.session.merge(cached, load=False)
        return merged

    def programs(self) -> list[Program]:
        if self._all is None:
            self._all = [self.program(p) for p in self.listing.programs]
        return self._all

    def merged_programs(self) -> Iterable[Program]:
        return self._programs.values()

    def windows(self, program_id: int) -> list[ApplicationWindow]:
        merged = self._windows.get(program_id)
        if merged is None:
            rows = self.listing.windows.get(program_id, [])
            merged = self._windows[program_id] = [
                db.session.merge(window, load=False) for window in rows
            ]
        return merged


def _request_copy() -> _RequestCopy:
    if "program_listing" not in g:
        g.program_listing = _RequestCopy(of(current_app).current())
    return g.program_listing


def programs_in_request() -> list[Program]:
    """The programs this request has taken from the copy so far."""
    return list(_request_copy().merged_programs())


def open_programs(kind: str | None = None) -> list[Program]:
    return [p for p in _request_copy().programs() if kind is None or p.kind == kind]


def open_program(slug: str) -> Program | None:
    cached = _listed(slug)
    return _request_copy().program(cached) if cached is not None else None


def lists_open(slug: str) -> bool:
    """Whether the copy lists an open program with this slug, read from the copy
    itself: nothing merged."""
    return _listed(slug) is not None


def _listed(slug: str) -> Program | None:
    return next((p for p in _request_copy().listing.programs if p.slug == slug), None)


def rules_of(programs: Iterable[Program], kind: str) -> frozenset[str]:
    """Every rule the programs of one kind apply."""
    return frozenset(key for p in programs if p.kind == kind for key in p.rule_keys)


def rule_keys(kind: str) -> frozenset[str]:
    """The rules the copy's programs of one kind apply, read from the copy itself: no
    program is merged into the request's session for them."""
    return rules_of(_request_copy().listing.programs, kind)


def windows_of(program_ids: list[int]) -> dict[int, list[ApplicationWindow]] | None:
    """The windows of these programs, or None when one of them is not in the listing
    (a program closed meanwhile: the caller reads the database)."""
    copy = _request_copy()
    listed = {p.id for p in copy.listing.programs}
    if not listed.issuperset(program_ids):
        return None
    return {program_id: copy.windows(program_id) for program_id in program_ids}


# Markup drawn once per copy ---------------------------------------------------------------
# A public page's part that shows only the programs (their texts, their cycle) in one
# language is the same for every visitor: drawing it once per copy and language takes
# most of the template's work off home and the program pages. Kept on the copy itself
# rather than in Flask-Caching's store, whose entries live by the clock: these must
# go exactly when the copy does (an admin's save clears it at once), and their key
# holds what the request's moment decides (each program's cycle now).

# Keys are made of what a page shows (a part's name, a language, programs and their
# cycle's state): a few dozen at most. The bound only keeps a mistake from growing.
MAX_FRAGMENTS = 256


def kept_fragment(
    key: tuple, program_ids: Sequence[int] | None, now: datetime, draw: Callable[[], Markup]
) -> Markup:
    """What ``draw`` gives, drawn once per copy of the listing for ``key`` and the state
    at ``now`` of these programs' cycles (None: every program in the copy), so a window
    that opens or closes on time is a new key. The states are read from the copy itself:
    nothing is merged into the request's session unless ``draw`` runs. Outside the
    public pages' GET, or for a program not in the copy, it is drawn every time."""
    if not in_use():
        return draw()
    request_copy = _request_copy()
    asked = tuple(program_ids) if program_ids is not None else None
    # Remembered for these programs at this moment: every caller passes the request's
    # one moment, but a part asked at another must not be told the first one's cycles.
    if (asked, now) not in request_copy.cycles:
        request_copy.cycles[asked, now] = _cycles(request_copy.listing, asked, now)
    cycles = request_copy.cycles[asked, now]
    if cycles is None:
        return draw()
    kept = request_copy.listing.fragments
    found = kept.get((key, cycles))
    if found is None:
        found = draw()
        if len(kept) < MAX_FRAGMENTS:
            kept[key, cycles] = found
    return found


def _cycles(copy: Listing, program_ids: tuple[int, ...] | None, now: datetime) -> tuple | None:
    """Each program's id and its cycle's state and window at ``now`` (None: a program
    not in the copy)."""
    programs = copy.programs
    if program_ids is not None:
        by_id = {p.id: p for p in programs}
        if not by_id.keys() >= set(program_ids):
            return None
        programs = [by_id[program_id] for program_id in program_ids]
    return tuple((p.id, *_cycle_key(p, copy, now)) for p in programs)


def _cycle_key(program: Program, copy: Listing, now: datetime) -> tuple[str, int | None]:
    decided = availability(program.is_open, copy.windows.get(program.id, []), now)
    window = decided.window
    return decided.state, window.id if window is not None else None  # type: ignore[attr-defined]


# Clearing the copy when this process saves a program or a window ---------------------


def _touches_programs(session: Session) -> bool:
    return any(
        isinstance(obj, Program | ApplicationWindow)
        for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(Session, "after_flush")
def _note_flush(session, _flush_context):
    if _touches_programs(session):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(orm_execute_state):
    # update(ApplicationWindow)… and delete(…) statements change rows without a flush.
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        mapper = orm_execute_state.bind_mapper
        if mapper is not None and mapper.class_ in (Program, ApplicationWindow):
            orm_execute_state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _clear_after_commit(session):
    if session.info.pop(_CHANGED, False) and has_app_context():
        listing = current_app.extensions.get(_EXTENSION)
        if listing is not None:
            listing.clear()
