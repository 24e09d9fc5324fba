"""Eligibility rules as data. No Flask here: every rule is a pure function.

A rule reads a few screener answers and returns PASS, FAIL or REVIEW with a reason
code; its messages say, in plain language, what each reason means and what the
person could do instead. Programs list the keys of the rules that must all pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.i18n_markers import N_

PASS = "pass"
FAIL = "fail"
REVIEW = "review"

# Reason code shared by every rule whose question has not been answered (yet).
UNANSWERED = "unanswered"

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    outcome: str
    reason: str | None = None


@dataclass(frozen=True)
class Rule:
    key: str
    reads: tuple[str, ...]
    check: Callable[[Answers], Outcome]
    # Short name a coordinator sees next to the result ("Works with children 0-5").
    label: str
    # reason code -> what it means, said to the applicant
    messages: Mapping[str, str]
    # reason code -> what the applicant could do instead
    alternatives: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleResult:
    key: str
    outcome: str
    reason: str | None

    @property
    def rule(self) -> Rule:
        return RULES[self.key]

    @property
    def message(self) -> str | None:
        return self.rule.messages.get(self.reason) if self.reason else None

    @property
    def alternative(self) -> str | None:
        return self.rule.alternatives.get(self.reason) if self.reason else None


@dataclass(frozen=True)
class Decision:
    outcome: str
    results: tuple[RuleResult, ...]

    @property
    def problems(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome != PASS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rules": [
                {"key": r.key, "outcome": r.outcome, "reason": r.reason} for r in self.results
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            outcome=data["outcome"],
            results=tuple(
                RuleResult(key=r["key"], outcome=r["outcome"], reason=r.get("reason"))
                for r in data["rules"]
            ),
        )


def evaluate(rule_keys: Iterable[str], answers: Answers) -> Decision:
    """Run the rules; any FAIL fails the decision, else any REVIEW sends it to review."""
    results = []
    for key in rule_keys:
        result = RULES[key].check(answers)
        results.append(RuleResult(key=key, outcome=result.outcome, reason=result.reason))
    outcomes = {r.outcome for r in results}
    if FAIL in outcomes:
        overall = FAIL
    elif REVIEW in outcomes:
        overall = REVIEW
    else:
        overall = PASS
    return Decision(outcome=overall, results=tuple(results))


def _choice_rule(answer_key: str, outcomes: Mapping[str, Outcome]) -> Callable[[Answers], Outcome]:
    """A rule that maps one single-choice answer to an outcome; anything else is unanswered."""

    def check(answers: Answers) -> Outcome:
        value = answers.get(answer_key)
        if isinstance(value, str) and value in outcomes:
            return outcomes[value]
        return Outcome(REVIEW, UNANSWERED)

    return check


UNANSWERED_MESSAGE = N_("This question has not been answered yet.")

RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> Rule:
    RULES[rule.key] = rule
    return rule


# Individuals ---------------------------------------------------------------------

# Answer values of the "do you work with young children" question.
WORKS_DIRECTLY = "direct"
WORKS_SUPPORTING = "support"

_register(
    Rule(
        key="prenatal_to_five",
        reads=("works_with_young_children",),
        label=N_("Works with children prenatal to five and/or their families"),
        check=_choice_rule(
            "works_with_young_children",
            {
                WORKS_DIRECTLY: Outcome(PASS),
                WORKS_SUPPORTING: Outcome(PASS),
                "unsure": Outcome(REVIEW, "unsure_workforce"),
                "no": Outcome(FAIL, "not_prenatal_to_five"),
            },
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "unsure_workforce": N_(
                "You were not sure your work is with children prenatal to five. "
                "A coordinator will look at your answers and contact you."
            ),
            "not_prenatal_to_five": N_(
                "These groups are for people whose work is with children from before birth "
                "to age five and their families."
            ),
        },
        alternatives={
            "not_prenatal_to_five": N_(
                "If your work changes, or you support people who work with young children, "
                "you are welcome to check again. You can also write to the coordinators to "
                "ask about other reflective practice opportunities."
            ),
        },
    )
)

_register(
    Rule(
        key="bipoc_self_identification",
        reads=("bipoc",),
        label=N_("Self-identifies as Black, Indigenous and/or a Person of Color"),
        check=_choice_rule(
            "bipoc",
            {
                "yes": Outcome(PASS),
                "no": Outcome(FAIL, "not_bipoc"),
                "prefer_not": Outcome(FAIL, "bipoc_prefer_not"),
            },
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "not_bipoc": N_(
                "This program is a space created for and by Black, Indigenous and People "
                "of Color (BIPOC)."
            ),
            "bipoc_prefer_not": N_(
                "This program is a space for people who self-identify as Black, Indigenous "
                "or a Person of Color. You chose not to say, and that is fine."
            ),
        },
        alternatives={
            "not_bipoc": N_(
                "The Introductory reflective practice program is open to everyone who works "
                "with children prenatal to five."
            ),
            "bipoc_prefer_not": N_(
                "The Introductory reflective practice program does not ask this question and "
                "is open to everyone who works with children prenatal to five."
            ),
        },
    )
)

_register(
    Rule(
        key="retreat_attendance",
        reads=("retreat",),
        label=N_("Can attend the in-person retreat"),
        check=_choice_rule(
            "retreat",
            {
                "yes": Outcome(PASS),
                "unsure": Outcome(REVIEW, "retreat_unsure"),
                "no": Outcome(REVIEW, "retreat_unable"),
            },
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "retreat_unsure": N_(
                "You are not sure you can attend the in-person retreat. A coordinator will "
                "talk with you about dates and support."
            ),
            "retreat_unable": N_(
                "This program includes an in-person retreat. A coordinator will talk with you "
                "about whether it can work for you."
            ),
        },
        alternatives={
            "retreat_unable": N_(
                "The Introductory program and the 10-session group meet without a retreat."
            ),
        },
    )
)
