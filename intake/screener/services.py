"""Screening: every open program's rules against one set of answers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from intake.applications.services import SENSITIVE_ANSWERS
from intake.eligibility.rules import FAIL, PASS, REVIEW, RULES, UNANSWERED, Decision, evaluate
from intake.extensions import db
from intake.links import public_url_for
from intake.models import OutboxMessage, Program, ScreenedOutCount
from intake.outbox.services import enqueue
from intake.programs.services import open_programs


@dataclass(frozen=True)
class ProgramResult:
    program: Program
    decision: Decision

    @property
    def eligible(self) -> bool:
        return self.decision.outcome == PASS

    @property
    def needs_review(self) -> bool:
        return self.decision.outcome == REVIEW

    @property
    def not_eligible(self) -> bool:
        return self.decision.outcome == FAIL

    @property
    def waiting(self) -> bool:
        """Not decided yet: a question this program needs is still unanswered."""
        return not self.not_eligible and any(r.reason == UNANSWERED for r in self.decision.problems)

    @property
    def can_apply(self) -> bool:
        return self.decision.outcome in (PASS, REVIEW)


def screen(programs: Sequence[Program], answers: Mapping[str, Any]) -> list[ProgramResult]:
    return [ProgramResult(p, evaluate(p.rule_keys, answers)) for p in programs]


def applicable(results: Sequence[ProgramResult]) -> list[ProgramResult]:
    """The programs a person may apply to: eligible, or to be reviewed."""
    return [r for r in results if r.can_apply]


# Rules that read self-identification answers: never counted (nor reported).
UNCOUNTED_RULES = frozenset(
    key for key, rule in RULES.items() if set(rule.reads) & set(SENSITIVE_ANSWERS)
)


def count_screened_out(kind: str, answers: Mapping[str, Any], locale: str, now: datetime) -> int:
    """Count unmet demand for the reports: for each open program of ``kind`` whose
    rules find a finished screener's ``answers`` not eligible, add one to the day's
    count (programs' time zone) of each rule that failed, in ``locale``. Only the
    counts are kept, nothing about the person. The caller counts a screener once
    (when its answers are first saved). Returns how many counts were added.

    One INSERT … ON CONFLICT DO UPDATE per count, in the database's dialect: two
    people finishing at the same moment both count."""
    day = now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    rows = [
        {"program_id": result.program.id, "rule_key": rule.key, "locale": locale, "on_date": day}
        for result in screen(open_programs(kind), answers)
        if result.not_eligible
        for rule in result.decision.results
        if rule.outcome == FAIL and rule.key not in UNCOUNTED_RULES
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for row in rows:
        stmt = insert(ScreenedOutCount).values(count=1, **row)
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    ScreenedOutCount.program_id,
                    ScreenedOutCount.on_date,
                    ScreenedOutCount.rule_key,
                    ScreenedOutCount.locale,
                ],
                set_={"count": ScreenedOutCount.count + 1},
            )
        )
    return len(rows)


def refer_director(
    *, director_email: str, from_name: str | None, locale: str, now: datetime
) -> OutboxMessage:
    """Queue one e-mail inviting an agency's director to apply.

    The address is used for this message only: the outbox forgets it once sent, and
    the de-duplication key (one message per address per day) holds a keyed hash,
    not the address.
    """
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        director_email.lower().encode(),
        hashlib.sha256,
    ).hexdigest()[:32]
    return enqueue(
        template="director_referral",
        to=director_email,
        dedup_key=f"referral:{digest}:{now.date().isoformat()}",
        locale=locale,
        now=now,
        forget_recipient=True,
        context={
            "from_name": from_name,
            "apply_url": public_url_for("screener.agency"),
            "programs": open_programs("agency"),
        },
    )
