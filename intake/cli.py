"""Command-line entry points. They call services and hold no logic."""

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from intake import clock
from intake.extensions import db
from intake.outbox.delivery import deliver_due
from intake.programs.services import seed_default_programs


@click.command("seed")
@with_appcontext
def seed_command():
    """Create the default programs that do not exist yet."""
    created = seed_default_programs(clock.now())
    db.session.commit()
    click.echo(f"Seeded {len(created)} program(s).")


@click.group("outbox")
def outbox_cli():
    """E-mail delivery."""


@outbox_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped.")
@click.option("--interval", type=float, default=None, help="Seconds between polls (loop).")
@with_appcontext
def deliver_command(loop: bool, interval: float | None):
    """Send the e-mail that is due, once or in a loop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s outbox %(message)s")
    interval = interval if interval is not None else current_app.config["OUTBOX_POLL_SECONDS"]
    while True:
        report = deliver_due(clock.now())
        if report.attempted or not loop:
            click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        if not loop:
            return
        db.session.remove()
        time.sleep(interval)
