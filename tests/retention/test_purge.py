"""`flask --app wsgi retention purge`: applications that ended long ago lose their
person, the reports keep their counts."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from intake.applications.services import submit_application
from intake.extensions import db
from intake.manage.services import DELETED_NAME, withdraw
from intake.models import (
    Applicant,
    Application,
    ManageToken,
    OutboxMessage,
    Program,
    SelfIdentification,
    StatusEvent,
)
from intake.reports import services as reports
from intake.retention import services as retention
from intake.status import states
from intake.status.services import move
from tests.helpers import SCREENER_ANSWERS


def _program(slug: str) -> Program:
    return db.session.scalar(select(Program).where(Program.slug == slug))


def _apply(now, email: str, *, slugs=("introductory",), bipoc="yes", **answers) -> Applicant:
    applicant = submit_application(
        kind="individual",
        programs=[_program(slug) for slug in slugs],
        answers={**SCREENER_ANSWERS, "bipoc": bipoc, **answers},
        details={
            "name": email.split("@")[0].title(),
            "email": email,
            "phone": "206 555 0100",
            "languages": ["en", "es"],
            "availability": ["weekday_evening"],
            "work_zip": "98104",
        },
        locale="es",
        form_token=secrets.token_urlsafe(16),
        now=now,
    )
    db.session.add(
        ManageToken(applicant=applicant, token_hash=secrets.token_hex(32), created_at=now)
    )
    return applicant


@pytest.fixture
def people(ctx, clock):
    """Six applicants, each named after what retention should do with them."""
    now = clock()
    long_ago = now - timedelta(days=800)

    withdrawn = _apply(long_ago, "withdrew.long.ago@example.org")
    withdraw(withdrawn.applications[0], reason="Moved to Spokane", now=now - timedelta(days=760))

    declined = _apply(long_ago, "declined.long.ago@example.org")
    for target in (states.OFFERED, states.DECLINED):
        move(declined.applications[0], target, actor="applicant", now=now - timedelta(days=750))

    ineligible = _apply(
        long_ago, "ineligible.long.ago@example.org", works_with_young_children="unsure"
    )
    assert ineligible.applications[0].status == states.NEEDS_REVIEW
    move(
        ineligible.applications[0],
        states.INELIGIBLE,
        actor="coordinator",
        now=now - timedelta(days=740),
    )

    recent = _apply(long_ago, "withdrew.lately@example.org")
    withdraw(recent.applications[0], reason=None, now=now - timedelta(days=100))

    waiting = _apply(long_ago, "still.waiting@example.org")

    mixed = _apply(
        long_ago, "half.open@example.org", slugs=("introductory", "reflective-practice-group")
    )
    withdraw(mixed.applications[0], reason=None, now=now - timedelta(days=760))
    # Their e-mails left long ago.
    db.session.execute(update(OutboxMessage).values(status="sent", sent_at=long_ago))
    db.session.commit()
    return {
        "purged": [withdrawn.id, declined.id, ineligible.id],
        "kept": [recent.id, waiting.id, mixed.id],
    }


def _report_numbers(now):
    start, end = now - timedelta(days=900), now + timedelta(days=1)
    return {
        "funnel": reports.funnel(None, start, end),
        "applications_per_week": reports.applications_per_week(None, start, end),
        "ineligibility_reasons": reports.ineligibility_reasons(None, start, end),
        "waitlist_by_language": reports.waitlist_by_language(None),
        "demand_vs_seats": reports.demand_vs_seats(None, now),
        "median_days_waiting": reports.median_days_waiting(None, now),
    }


def _snapshot():
    db.session.expire_all()
    return {
        "applicants": [
            (a.id, a.name, a.email, a.phone, a.language_codes)
            for a in db.session.scalars(select(Applicant).order_by(Applicant.id))
        ],
        "self_identification": list(
            db.session.scalars(select(SelfIdentification.applicant_id).order_by("applicant_id"))
        ),
        "applications": list(
            db.session.execute(
                select(Application.id, Application.status, Application.updated_at).order_by(
                    Application.id
                )
            )
        ),
        "events": db.session.scalar(select(func.count()).select_from(StatusEvent)),
        "outbox": list(
            db.session.execute(
                select(OutboxMessage.id, OutboxMessage.to_addr, OutboxMessage.text_body).order_by(
                    OutboxMessage.id
                )
            )
        ),
        "tokens": list(db.session.scalars(select(ManageToken.applicant_id).order_by("id"))),
    }


def _purge(runner, *args):
    result = runner.invoke(args=["retention", "purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_anonymises_what_ended_long_ago_and_keeps_the_counts(people, runner, ctx, clock):
    before_numbers = _report_numbers(clock())
    before = _snapshot()
    purged, kept = people["purged"], people["kept"]
    assert set(purged + kept) <= set(before["self_identification"])

    output = _purge(runner)
    assert "Removed 3 self-identification answer(s); anonymised 3 applicant(s)" in output

    after = _snapshot()
    by_id = {row[0]: row for row in after["applicants"]}
    for applicant_id in purged:
        _, name, email, phone, languages = by_id[applicant_id]
        assert (name, phone, languages) == (DELETED_NAME, None, [])
        assert email.endswith("@invalid")
        assert applicant_id not in after["self_identification"]
        assert applicant_id not in after["tokens"]
        messages = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.applicant_id == applicant_id)
        ).all()
        assert messages
        for message in messages:
            assert message.to_addr.endswith("@invalid")
            assert message.text_body == message.html_body == "[deleted]"
    before_by_id = {row[0]: row for row in before["applicants"]}
    for applicant_id in kept:
        assert by_id[applicant_id] == before_by_id[applicant_id]
        assert applicant_id in after["self_identification"]
        assert applicant_id in after["tokens"]
    # Nothing anyone could read back about the people who were purged.
    stored = repr(after["applicants"]) + repr(after["outbox"])
    for email in ("withdrew.long.ago", "declined.long.ago", "ineligible.long.ago", "Spokane"):
        assert email not in stored
    reasons = db.session.scalars(select(StatusEvent.reason).where(StatusEvent.reason.is_not(None)))
    assert "Moved to Spokane" not in list(reasons)

    # The declined offer is closed (not withdrawn) and the reports count as before.
    statuses = dict(
        db.session.execute(
            select(Applicant.id, Application.status).join(Application.applicant)
        ).all()
    )
    assert statuses[purged[1]] == states.CLOSED
    assert _report_numbers(clock()) == before_numbers

    # Open and recent applications are untouched.
    applications_before = {row[0]: row for row in before["applications"]}
    for application_id, status, updated_at in after["applications"]:
        owner = db.session.get(Application, application_id).applicant_id
        if owner in kept:
            assert (application_id, status, updated_at) == applications_before[application_id]


def test_dry_run_lists_what_would_go_and_changes_nothing(people, runner, ctx):
    before = _snapshot()
    output = _purge(runner, "--dry-run")
    assert "3, of 3 applicant(s)" in output
    assert "Introductory reflective practice" in output or "introductory" in output.lower()
    assert "withdrawn 1" in output
    assert "declined 1" in output
    assert "ineligible 1" in output
    assert "Dry run: nothing was changed." in output
    assert _snapshot() == before


def test_running_twice_is_a_no_op(people, runner, ctx):
    _purge(runner)
    after_first = _snapshot()
    output = _purge(runner)
    assert "0, of 0 applicant(s)" in output
    assert "anonymised 0 applicant(s)" in output
    assert _snapshot() == after_first


def test_the_retention_period_is_a_setting(app_config, request):
    app_config.update(RETENTION_DAYS=50)
    people = request.getfixturevalue("people")
    runner = request.getfixturevalue("runner")
    assert "anonymised 4 applicant(s)" in _purge(runner)
    recent = people["kept"][0]
    db.session.expire_all()
    assert db.session.get(SelfIdentification, recent) is None

    # The command runs in the app context that is current (the test's).
    request.getfixturevalue("ctx").config["RETENTION_DAYS"] = 0
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code != 0
    assert "RETENTION_DAYS" in result.output


def test_an_application_that_moved_meanwhile_is_left_alone(people, ctx, clock):
    now = clock()
    plan = retention.plan(now, 730)
    assert sorted(plan.applicant_ids) == sorted(people["purged"])
    declined = db.session.get(Applicant, people["purged"][1])
    # A coordinator puts the declined application back on the waitlist meanwhile.
    move(declined.applications[0], states.WAITLISTED, actor="coordinator", now=now)
    db.session.commit()

    assert retention.drop_self_identification([]) == 0
    done = retention.anonymise(plan.applicant_ids, now, plan.cutoff)
    db.session.commit()
    assert (done.applicants, done.skipped) == (2, 1)
    db.session.expire_all()
    declined = db.session.get(Applicant, people["purged"][1])
    assert declined.name != DELETED_NAME
    assert declined.applications[0].status == states.WAITLISTED


def test_the_purge_forgets_opening_notices_older_than_the_retention_period(runner, ctx, clock):
    # A program that never opens again would otherwise keep these addresses forever.
    from intake.models import OpeningNotice
    from tests.factories import program

    now = clock()
    for email, age in (("old@example.org", 731), ("recent@example.org", 10)):
        db.session.add(
            OpeningNotice(
                program_id=program("introductory").id,
                email=email,
                email_key=email,
                locale="en",
                created_at=now - timedelta(days=age),
            )
        )
    db.session.commit()
    output = _purge(runner)
    assert 'forgot 1 "e-mail me when it opens" address(es)' in output
    db.session.rollback()
    assert list(db.session.scalars(select(OpeningNotice.email))) == ["recent@example.org"]
