from datetime import datetime

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.models import Program
from intake.programs.defaults import DEFAULT_PROGRAMS


def seed_default_programs(now: datetime) -> list[Program]:
    """Create the default programs that do not exist yet (by slug); never overwrite.

    Returns the programs created. Safe to run on every start.
    """
    existing = set(db.session.scalars(select(Program.slug)))
    created = []
    for data in DEFAULT_PROGRAMS:
        if data["slug"] in existing:
            continue
        program = Program(**data, is_open=True, created_at=now)
        db.session.add(program)
        created.append(program)
    db.session.flush()
    return created


def open_programs(kind: str | None = None) -> list[Program]:
    query = select(Program).where(Program.is_open.is_(True)).order_by(Program.position)
    if kind is not None:
        query = query.where(Program.kind == kind)
    return list(db.session.scalars(query))


def get_open_program_by_slug(slug: str) -> Program | None:
    return db.session.scalar(select(Program).where(Program.slug == slug, Program.is_open.is_(True)))


def reply_address(program: Program) -> str:
    """Where applicants' answers to a program's e-mail go: its coordinators' address,
    or the app's COORDINATOR_EMAIL when the program has none."""
    return program.coordinator_email or current_app.config["COORDINATOR_EMAIL"]
