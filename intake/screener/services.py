"""Screening: every open program's rules against one set of answers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from intake.eligibility.rules import FAIL, PASS, REVIEW, UNANSWERED, Decision, evaluate
from intake.links import public_url_for
from intake.models import OutboxMessage, Program
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
