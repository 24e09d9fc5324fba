"""Account commands. They call services and hold no logic."""

import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from intake import clock
from intake.auth.services import ROLES, AccountError, create_coordinator
from intake.extensions import db
from intake.mailaddress import AddressRefused, checked_address
from intake.models import Coordinator, Program
from intake.programs.services import open_programs

DEMO_ADMIN_EMAIL = "admin@example.org"
# The account's invitations and password links go to its address: the forms' rule.
_ADDRESS_REFUSED = {
    "invalid": "not an e-mail address",
    "not_ascii": "mail from here cannot carry letters such as é before the @, so this "
    "account could get no password link: give another address",
}


@click.command("create-coordinator")
@click.argument("email")
@click.option("--name", required=True, help="The person's name.")
@click.option("--admin", is_flag=True, help="Also manages programs, cohorts and accounts.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    help="coordinator (the default), admin (as --admin) or facilitator (sees only the "
    "rosters of the cohorts they lead; an admin adds them to cohorts).",
)
@click.option("--program", "programs", multiple=True, help="Slug of a program they run.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_coordinator_command(email, name, admin, role, programs, password_stdin):
    """Create a coordinator account. The password is asked for, hidden."""
    # Before the password is asked for: nobody types one twice for a refused address.
    try:
        email = checked_address(email.strip())
    except AddressRefused as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        raise click.UsageError(f"{email!r}: {_ADDRESS_REFUSED[exc.reason]}{detail}") from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if admin and role not in (None, "admin"):
        raise click.UsageError(f"--admin and --role {role} contradict each other")
    if role == "facilitator" and programs:
        raise click.UsageError("a facilitator runs no program: leave out --program")
    chosen = list(db.session.scalars(select(Program).where(Program.slug.in_(programs))))
    missing = set(programs) - {p.slug for p in chosen}
    if missing:
        raise click.UsageError(f"no such program: {', '.join(sorted(missing))}")
    try:
        coordinator = create_coordinator(
            email=email,
            name=name,
            password=password,
            now=clock.now(),
            admin=admin,
            role=role,
            programs=chosen,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {coordinator.role} {coordinator.email}.")


@click.command("demo-admin")
@with_appcontext
def demo_admin_command():
    """In local mode only: create a demo admin if there is no admin, and print its
    credentials once."""
    if not current_app.config["LOCAL"]:
        raise click.ClickException("demo-admin runs only in local mode (INTAKE_LOCAL=1)")
    if db.session.scalar(select(Coordinator.id).where(Coordinator.role == "admin")):
        return
    password = secrets.token_urlsafe(12)
    create_coordinator(
        email=DEMO_ADMIN_EMAIL,
        name="Demo Admin",
        password=password,
        now=clock.now(),
        admin=True,
        programs=open_programs(),
    )
    db.session.commit()
    click.echo(
        "\n  Demo admin created (shown once):\n"
        f"    e-mail:   {DEMO_ADMIN_EMAIL}\n"
        f"    password: {password}\n"
        "  Sign in at /coord/login; you will set up a one-time-password app first.\n"
    )
