"""A screener's results as the results panel shows them: each reason said once.

Programs a person cannot join for the same reason share one card, so the reason and
what to do instead are said once, not once per program. An alternative that points
to other programs is written from this same result: it names only programs the
person can apply to now, never one they have just been told they cannot join.

Someone who is not their agency's leadership is told only that, with the offer to
e-mail their director: the other answers cannot make the application theirs to send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from intake.eligibility.rules import FAIL, RuleResult
from intake.models import Program
from intake.screener.services import ProgramResult

# Reasons whose alternative is "apply to another program instead": the text is built
# from the programs this result lets the person apply to (templates/screener/_results.html).
SUGGESTS_OTHER_PROGRAMS = frozenset(
    {
        ("bipoc_self_identification", "not_bipoc"),
        ("bipoc_self_identification", "bipoc_prefer_not"),
    }
)
NOT_LEADERSHIP = ("leadership", "not_leadership")


@dataclass(frozen=True)
class FailedReason:
    """One reason some programs are closed to this person, and those programs."""

    problem: RuleResult
    programs: tuple[Program, ...]
    # Programs this result lets the person apply to, for an alternative that suggests one.
    open_instead: tuple[Program, ...]

    @property
    def suggests_programs(self) -> bool:
        return (self.problem.key, self.problem.reason) in SUGGESTS_OTHER_PROGRAMS

    @property
    def offers_referral(self) -> bool:
        return (self.problem.key, self.problem.reason) == NOT_LEADERSHIP


@dataclass(frozen=True)
class Summary:
    # Programs still open to the person (they can apply, or are not decided yet).
    open: list[ProgramResult]
    failed: list[FailedReason]
    # The agency's applicant is not its leadership: only the referral is offered.
    not_leadership: bool
    # The programs the person can apply to now (fit, and taking applications): the
    # count the results announce to screen readers.
    apply_now: tuple[Program, ...]

    @property
    def nothing_open(self) -> bool:
        return bool(self.failed) and not self.open

    @property
    def contacts(self) -> list[tuple[str, list[Program]]]:
        """Where to write about the programs closed to the person: each published
        contact address once, with the closed programs it answers for."""
        by_address: dict[str, list[Program]] = {}
        for reason in self.failed:
            for program in reason.programs:
                if program.coordinator_email:
                    named = by_address.setdefault(program.coordinator_email, [])
                    if program not in named:
                        named.append(program)
        return list(by_address.items())


def _group_key(problem: RuleResult) -> tuple:
    return (problem.key, problem.reason, tuple(sorted((problem.details or {}).items())))


def summarise(
    results: Sequence[ProgramResult], taking: Callable[[Program], bool] = lambda _: True
) -> Summary:
    """``taking``: whether a program takes applications now (its cycle is open); only
    those are suggested instead."""
    open_results = [r for r in results if not r.not_eligible]
    # Only programs the person can apply to now: fits, and its cycle is open.
    can_apply = tuple(
        r.program for r in open_results if r.can_apply and not r.waiting and taking(r.program)
    )
    groups: dict[tuple, tuple[RuleResult, list[Program]]] = {}
    for result in results:
        if not result.not_eligible:
            continue
        for problem in result.decision.problems:
            if problem.outcome == FAIL:
                groups.setdefault(_group_key(problem), (problem, []))[1].append(result.program)
    failed = [
        FailedReason(
            problem=problem,
            programs=tuple(programs),
            open_instead=tuple(p for p in can_apply if p not in programs),
        )
        for problem, programs in groups.values()
    ]
    leadership = [f for f in failed if f.offers_referral]
    if leadership:
        return Summary(open=[], failed=leadership, not_leadership=True, apply_now=can_apply)
    return Summary(open=open_results, failed=failed, not_leadership=False, apply_now=can_apply)
