"""Screening: every open program's rules against one set of answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.eligibility.rules import FAIL, PASS, REVIEW, UNANSWERED, Decision, evaluate
from intake.models import Program


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
