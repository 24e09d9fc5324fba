"""The availability of programs during one request, read once (the pages, the
screener and the application form all ask, for the same moment)."""

from __future__ import annotations

from datetime import datetime

from flask import g

from intake import clock
from intake.cycles.services import availabilities
from intake.cycles.windows import Availability
from intake.models import Program
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
        listed = {p.id: p for p in open_programs()}
        listed[program.id] = program
        cache.update(availabilities(listed.values(), request_now()))
    return cache[program.id]


def taking(program: Program) -> bool:
    return availability_of(program).taking
