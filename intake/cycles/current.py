"""The availability of programs during one request, read once (the pages, the
screener and the application form all ask, for the same moment)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock
from intake.cycles.services import availabilities
from intake.cycles.windows import Availability, availability
from intake.extensions import db
from intake.models import Program
from intake.programs import listing
from intake.programs.services import open_programs

_KEY = "cycle_availability"


def request_now() -> datetime:
    """The request's moment for every availability decision."""
    if "cycle_now" not in g:
        g.cycle_now = clock.now()
    return g.cycle_now


def availability_of(program: Program) -> Availability:
    cache: dict[int, Availability] = g.setdefault(_KEY, {})
    if program.id not in cache:
        # Every open program at once (one query for their windows), but from the
        # process's copy only those the request holds already: all of them on home, the
        # one on a program's page (merging the others would cost more than it saves).
        held = listing.programs_in_request() if listing.in_use() else open_programs()
        listed = {p.id: p for p in held}
        listed[program.id] = program
        cache.update(availabilities(listed.values(), request_now()))
    return cache[program.id]


def availability_of_programs(programs: Sequence[Program]) -> dict[int, Availability]:
    """The availability of these programs now, remembered for the request. Their
    windows must be loaded with them (``with_windows``): nothing is queried."""
    cache: dict[int, Availability] = g.setdefault(_KEY, {})
    now = request_now()
    for program in programs:
        if program.id not in cache:
            cache[program.id] = availability(program.is_open, program.windows, now)
    return {p.id: cache[p.id] for p in programs}


def open_programs_with_windows(kind: str) -> list[Program]:
    """The open programs of one kind, each one's availability known for the request
    (``availability_of`` then asks nothing more). A public page's GET reads them from
    the copy this process keeps (intake.programs.listing); anything else, a POST
    above all, reads the programs with their windows in one query."""
    if listing.in_use():
        return open_programs(kind)
    query = (
        select(Program)
        .where(Program.is_open.is_(True), Program.kind == kind)
        .order_by(Program.position)
        .options(joinedload(Program.windows))
    )
    programs = list(db.session.scalars(query).unique())
    availability_of_programs(programs)
    return programs


def taking(program: Program) -> bool:
    return availability_of(program).taking
