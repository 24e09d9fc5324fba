"""Command-line entry points. They call services and hold no logic."""

import contextlib
import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from intake import clock
from intake.checkins import services as checkins
from intake.cycles import services as cycles
from intake.digest import services as digest
from intake.extensions import db
from intake.letters import services as letters
from intake.offers import services as offers
from intake.outbox.delivery import (
    Stopped,
    StopRequest,
    deliver_due,
    deliver_pass,
    remembers_unmarked,
    rest_problem,
)
from intake.participants import services as participants
from intake.programs.services import seed_default_programs
from intake.retention import services as retention
from intake.screener import drafts
from intake.sessions import services as sessions
from intake.survey import services as survey


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
    # After a pass the mail server or the database cut short: longer than the idle rest
    # (each such pass costs the oldest message an attempt), never shorter.
    down = max(interval, current_app.config["OUTBOX_DOWN_SECONDS"])
    problem = rest_problem(interval) if loop else None
    if problem:
        raise click.UsageError(problem)
    with StopRequest().handling_sigterm() as stop:
        with contextlib.suppress(Stopped):
            _deliver(loop, interval, down, stop)
        if stop.requested and remembers_unmarked():
            # One last pass that only writes the marks this worker still owes: stopping
            # now would leave those messages to be sent again once their leases ran out.
            deliver_pass(clock.now(), lambda: True)
        if stop.requested:
            click.echo("stopped (SIGTERM): what this pass did not send is left for the next worker")


def _deliver(loop: bool, interval: float, down: float, stop: StopRequest) -> None:
    def stopping() -> bool:
        return stop.requested

    while True:
        now = clock.now()
        report = deliver_pass(now, stopping) if loop else deliver_due(now, stopping=stopping)
        if report is None:  # the database was busy: logged; rest, then try again
            db.session.remove()
            # A mark owed must be written within its lease: try again soon.
            stop.rest(interval if remembers_unmarked() else down)
            continue
        if report.attempted or not loop:
            click.echo(f"sent {report.sent}, will retry {report.retried}, failed {report.failed}")
        if report.stopped:
            click.echo("the mail server could not be reached: the rest waits for the next pass")
        if not loop or stop.requested:
            return
        db.session.remove()
        # A full batch means more may be due: drain it before resting.
        if report.stopped:
            stop.rest(down)
        elif not report.more_waiting:
            stop.rest(interval)


# The waitlist's clock ------------------------------------------------------------------

log = logging.getLogger(__name__)

# In this order: an offer past its time expires before anyone is reminded of it, and
# a check-in that went unanswered pauses the application before new ones are sent.
TICK_STEPS = (
    ("expired offers", lambda now: len(offers.expire_due(now))),
    ("offer reminders", offers.remind_due),
    ("paused (no answer to a check-in)", checkins.inactivate_due),
    ("check-ins sent", checkins.send_due),
    ("session reminders", sessions.send_reminders),
    # Groups whose last session has ended: completions, closings and letters, once.
    ("groups ended", letters.complete_due),
    # Screener answers nobody came back to within SCREENER_DRAFT_MINUTES.
    ("expired screener answers deleted", drafts.purge_expired),
    ("survey invitations sent", survey.send_invitations),
    ("cohorts with unnamed agency seats reported", participants.report_unnamed_due),
    # A program's window has opened: one e-mail to each address that asked, then forgotten.
    ("opening notices sent", cycles.send_opening_notices),
    # Last: it reports what the steps before it left (offers ending soon, say).
    ("coordinator digests", digest.send_due),
)


def tick_once(now) -> dict[str, int | None]:
    """Run every step once, committing after each, so one failing step (a lock
    timeout, a deadlock another machine's tick caused) loses only itself; the next
    tick retries it. Returns each step's count, None for a step that failed.

    Safe to run on several machines at once: every step changes rows only through
    conditional UPDATEs and queues e-mail with a deduplication key."""
    done: dict[str, int | None] = {}
    for name, step in TICK_STEPS:
        try:
            done[name] = step(now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("waitlist tick: %s failed", name)
            done[name] = None
    return done


@click.group("waitlist")
def waitlist_cli():
    """The waitlist's clock: offer expiries and reminders, check-ins."""


@waitlist_cli.command("tick")
@click.option("--loop", is_flag=True, help="Keep ticking until stopped.")
@click.option(
    "--interval", type=float, default=60.0, show_default=True, help="Seconds between ticks."
)
@with_appcontext
def tick_command(loop: bool, interval: float):
    """Expire and remind offers, pause unanswered check-ins, send due check-ins,
    remind participants of sessions, end groups whose last session is over, delete expired
    screener answers, invite participants of ended groups to the survey, report unnamed
    agency seats, send the coordinators' daily digests."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s waitlist %(message)s")
    while True:
        done = tick_once(clock.now())
        failed = [name for name, count in done.items() if count is None]
        if any(done.values()) or failed or not loop:
            click.echo(
                ", ".join(
                    f"{name}: {'failed' if count is None else count}"
                    for name, count in done.items()
                )
            )
        if not loop:
            if failed:
                raise SystemExit(1)
            return
        db.session.remove()
        time.sleep(interval)


# Retention ---------------------------------------------------------------------------


@click.group("retention")
def retention_cli():
    """Removing personal data of applications that ended long ago."""


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be purged; change nothing.")
@with_appcontext
def purge_command(dry_run: bool):
    """Anonymise applicants whose applications all ended RETENTION_DAYS ago or more."""
    days = current_app.config["RETENTION_DAYS"]
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise click.UsageError(f"RETENTION_DAYS must be a whole number of days, not {days!r}.")
    now = clock.now()
    plan = retention.plan(now, days)
    click.echo(
        f"Applications that ended before {plan.cutoff:%Y-%m-%d} ({days} days): "
        f"{plan.applications}, of {len(plan.applicant_ids)} applicant(s)."
    )
    for (program, status), count in plan.counts.items():
        click.echo(f"  {program}: {status} {count}")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    # Self-identification first, committed on its own: it is gone even if the rest fails.
    removed = retention.drop_self_identification(plan.applicant_ids)
    db.session.commit()
    purged = retention.anonymise(plan.applicant_ids, now, plan.cutoff)
    db.session.commit()
    forgotten = retention.forget_opening_notices(plan.cutoff)
    db.session.commit()
    click.echo(
        f"Removed {removed} self-identification answer(s); anonymised {purged.applicants} "
        f"applicant(s); left {purged.skipped} that changed meanwhile; forgot {forgotten} "
        '"e-mail me when it opens" address(es).'
    )
