"""Deciding the applications the rules sent to review: approve or decline.

Each decision moves the status through ``move()`` (so it leaves events with who and
why) and queues the applicant's e-mail in the same transaction. Functions flush and
never commit; the view commits once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from jinja2_fragments.flask import render_block

from intake.applications.services import SENSITIVE_ANSWERS
from intake.eligibility.rules import RULES, Decision, RuleResult
from intake.extensions import db
from intake.links import public_url_for
from intake.models import Application, Coordinator, StatusEvent
from intake.outbox.services import email_applicant
from intake.status.services import claim, move, require_reason
from intake.status.states import (
    ELIGIBLE,
    INELIGIBLE,
    NEEDS_REVIEW,
    WAITLISTED,
    TransitionNotAllowed,
)

APPROVED = "approved"
DECLINED = "declined"


@dataclass
class BulkResult:
    """What a bulk decision did: the applications it decided, and those it left
    alone because someone had decided them first."""

    done: list[Application] = field(default_factory=list)
    skipped: list[Application] = field(default_factory=list)


def _require_reason(reason: str | None) -> str:
    return require_reason(reason, "a coordinator's decision needs a reason")


def _record(event: StatusEvent, actor: Coordinator) -> None:
    event.actor_id = actor.id


def approve(
    application: Application, *, actor: Coordinator, reason: str, now: datetime
) -> Application:
    """Approve an application in review: eligible, then onto the waitlist.

    Queues the "you are on the waitlist" e-mail. Raises TransitionNotAllowed when
    the application is no longer in review (another coordinator was first).
    """
    reason = _require_reason(reason)
    claim(application, NEEDS_REVIEW, ELIGIBLE, now)
    for target in (ELIGIBLE, WAITLISTED):
        _record(move(application, target, actor="coordinator", now=now, reason=reason), actor)
    queue_approved_email(application, dedup_key=f"review:{application.id}:{APPROVED}", now=now)
    db.session.flush()
    return application


def queue_approved_email(application: Application, *, dedup_key: str, now: datetime) -> None:
    """Queue the "you are on the waitlist" e-mail, in the applicant's language, once
    per ``dedup_key`` (a review's approval, or an override on the application page)."""
    email_applicant(application, template="review_approved", dedup_key=dedup_key, now=now)


def decline(
    application: Application,
    *,
    actor: Coordinator,
    reason: str,
    message_text: str,
    now: datetime,
) -> Application:
    """Decline an application in review; ``message_text`` is the e-mail the
    applicant gets, as the coordinator wrote (or kept) it.

    Raises TransitionNotAllowed when the application is no longer in review.
    """
    reason = _require_reason(reason)
    message_text = normalise_text(message_text)
    if not message_text:
        raise ValueError("a decline needs a message to the applicant")
    claim(application, NEEDS_REVIEW, INELIGIBLE, now)
    _record(move(application, INELIGIBLE, actor="coordinator", now=now, reason=reason), actor)
    email_applicant(
        application,
        template="review_declined",
        dedup_key=f"review:{application.id}:{DECLINED}",
        now=now,
        message_text=message_text,
        message_paragraphs=paragraphs(message_text),
    )
    db.session.flush()
    return application


def bulk_approve(
    applications: Iterable[Application], *, actor: Coordinator, reason: str, now: datetime
) -> BulkResult:
    """Approve each application still in review; leave the others as they are."""
    _require_reason(reason)
    result = BulkResult()
    for application in applications:
        try:
            approve(application, actor=actor, reason=reason, now=now)
        except TransitionNotAllowed:
            result.skipped.append(application)
        else:
            result.done.append(application)
    return result


def bulk_decline(
    items: Sequence[tuple[Application, str]],
    *,
    actor: Coordinator,
    reason: str,
    now: datetime,
) -> BulkResult:
    """Decline each (application, message) still in review; leave the others."""
    _require_reason(reason)
    result = BulkResult()
    for application, message_text in items:
        try:
            decline(application, actor=actor, reason=reason, message_text=message_text, now=now)
        except TransitionNotAllowed:
            result.skipped.append(application)
        else:
            result.done.append(application)
    return result


def shown_results(decision: Decision, *, may_see_self_identification: bool) -> list[RuleResult]:
    """The rule results a reader may see. A rule that reads a self-identification
    answer gives that answer away, so it shows only on the application page, to
    the program's coordinators, never in a list."""
    if may_see_self_identification:
        return list(decision.results)
    return [r for r in decision.results if not set(r.rule.reads) & set(SENSITIVE_ANSWERS)]


def sensitive_rule_keys() -> frozenset[str]:
    """The rules that read a self-identification answer (see ``shown_results``)."""
    return frozenset(
        key for key, rule in RULES.items() if set(rule.reads) & set(SENSITIVE_ANSWERS)
    )


def decline_message(application: Application) -> str:
    """The default decline message for the coordinator to edit, in the applicant's
    language: the rules' reasons in plain words and what the person could do
    instead (the ``message`` block of templates/email/review_declined.txt)."""
    applicant = application.applicant
    problems = [
        result
        for result in Decision.from_dict(application.decision).problems
        if result.message  # a rule with nothing to say adds nothing to the letter
    ]
    with force_locale(applicant.locale):
        text = render_block(
            "email/review_declined.txt",
            "message",
            applicant=applicant,
            application=application,
            problems=problems,
            site_url=public_url_for("home.index"),
        )
    return normalise_text(text)


_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str | None) -> str:
    """Unix line ends, no trailing spaces, at most one blank line in a row."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs of lines, for an HTML part that autoescapes each
    line: a blank line starts a paragraph, a single line break stays a break."""
    return [block.split("\n") for block in normalise_text(text).split("\n\n") if block.strip()]
