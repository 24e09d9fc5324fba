from datetime import datetime

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.i18n import get_locale, gettext
from intake.models import Cohort, Program
from intake.programs import listing, texts
from intake.programs.defaults import DEFAULT_PROGRAMS, SESSION_DEFAULTS
from intake.programs.listing import rules_of


def seed_default_programs(now: datetime) -> list[Program]:
    """Create the default programs that do not exist yet (by slug); never overwrite
    what an admin wrote.

    A program that exists from before programs had a group shape (sessions, length,
    spacing, credit, in-person part) gets the seed's shape while every one of those
    columns still holds its pre-seeding default: running it again, or after an admin
    changed any of them, changes nothing. Returns the programs created. Safe to run
    on every start.
    """
    existing = {program.slug: program for program in db.session.scalars(select(Program))}
    created = []
    for data in DEFAULT_PROGRAMS:
        program = existing.get(str(data["slug"]))
        if program is None:
            program = Program(**data, is_open=True, created_at=now)
            db.session.add(program)
            created.append(program)
        elif all(getattr(program, name) == value for name, value in SESSION_DEFAULTS.items()):
            for name in SESSION_DEFAULTS:
                if name in data:
                    setattr(program, name, data[name])
    db.session.flush()
    return created


def open_programs(kind: str | None = None) -> list[Program]:
    """The open programs in their order (for a public page's GET, from the copy kept
    in this process: intake.programs.listing)."""
    if listing.in_use():
        return listing.open_programs(kind)
    query = select(Program).where(Program.is_open.is_(True)).order_by(Program.position)
    if kind is not None:
        query = query.where(Program.kind == kind)
    return list(db.session.scalars(query))


def open_rule_keys(kind: str) -> frozenset[str]:
    """Every rule the open programs of one kind apply (for a public page's GET, read
    from the copy kept in this process, merging no program into the session)."""
    if listing.in_use():
        return listing.rule_keys(kind)
    return rules_of(open_programs(kind), kind)


def get_open_program_by_slug(slug: str) -> Program | None:
    if listing.in_use():
        return listing.open_program(slug)
    return db.session.scalar(select(Program).where(Program.slug == slug, Program.is_open.is_(True)))


def is_open_program(slug: str) -> bool:
    """Whether an open program has this slug, for a page that only checks the one it
    was asked about (``?program=``): the copy is read without taking the program into
    the request's session (a sixth of the screener's time, docs/PERFORMANCE.md)."""
    if listing.in_use():
        return listing.lists_open(slug)
    return get_open_program_by_slug(slug) is not None


def reply_address(program: Program) -> str:
    """Where applicants' answers to a program's e-mail go: its coordinators' address,
    or the app's COORDINATOR_EMAIL when the program has none."""
    return program.coordinator_email or current_app.config["COORDINATOR_EMAIL"]


def _locale() -> str:
    return str(get_locale() or "en")


def program_plain(program: Program, field: str) -> str:
    """A program's text as plain text in the current locale (calendar files), with
    "(in English)" after an untranslated one (intake.programs.texts)."""
    return texts.program_text(program, field, _locale(), gettext).plain(gettext)


def schedule_plain(cohort: Cohort) -> str:
    """A cohort's schedule as plain text in the current locale."""
    return texts.schedule_text(cohort, _locale(), gettext).plain(gettext)
