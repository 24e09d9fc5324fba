"""Eligibility rules as data. No Flask here: every rule is a pure function.

A rule reads a few screener answers and returns PASS, FAIL or REVIEW with a reason
code; its messages say, in plain language, what each reason means and what the
person could do instead. Programs list the keys of the rules that must all pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.eligibility import king_county
from intake.i18n_markers import N_

PASS = "pass"  # noqa: S105 - a rule outcome, not a password
FAIL = "fail"
REVIEW = "review"

# Reason code shared by every rule whose question has not been answered (yet).
UNANSWERED = "unanswered"

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    outcome: str
    reason: str | None = None
    # Values the reason's message names, e.g. {"zips": "98402, 98201"}.
    details: Mapping[str, str] | None = None


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
    details: Mapping[str, str] | None = None

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
        return {"outcome": self.outcome, "rules": [_result_dict(r) for r in self.results]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            outcome=data["outcome"],
            results=tuple(
                RuleResult(
                    key=r["key"],
                    outcome=r["outcome"],
                    reason=r.get("reason"),
                    details=r.get("details"),
                )
                for r in data["rules"]
            ),
        )


def _result_dict(result: RuleResult) -> dict[str, Any]:
    data: dict[str, Any] = {"key": result.key, "outcome": result.outcome, "reason": result.reason}
    if result.details:
        data["details"] = dict(result.details)
    return data


def evaluate(rule_keys: Iterable[str], answers: Answers) -> Decision:
    """Run the rules; any FAIL fails the decision, else any REVIEW sends it to review."""
    results = []
    for key in rule_keys:
        result = RULES[key].check(answers)
        results.append(
            RuleResult(
                key=key, outcome=result.outcome, reason=result.reason, details=result.details
            )
        )
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
                "You were not sure you can attend the in-person retreat. A coordinator will "
                "talk with you about dates and support."
            ),
            "retreat_unable": N_(
                "This program includes an in-person retreat. A coordinator will talk with you "
                "about whether it can work for you."
            ),
        },
        alternatives={
            "retreat_unable": N_(
                "The Introductory program meets without a retreat, and so do the 10-session "
                "groups in Illinois."
            ),
        },
    )
)


_register(
    Rule(
        key="works_in_illinois",
        reads=("works_in_illinois",),
        label=N_("Works in Illinois"),
        check=_choice_rule(
            "works_in_illinois",
            {
                "yes": Outcome(PASS),
                "unsure": Outcome(REVIEW, "illinois_unsure"),
                "no": Outcome(REVIEW, "not_in_illinois"),
            },
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "illinois_unsure": N_(
                "You were not sure whether you work in Illinois. The 10-session groups are "
                "run throughout Illinois by the Illinois Association for Infant Mental Health "
                "(ILAIMH). A coordinator will look at your answers and contact you."
            ),
            "not_in_illinois": N_(
                "The 10-session groups are run throughout Illinois by the Illinois "
                "Association for Infant Mental Health (ILAIMH), for people who work there. "
                "A coordinator will look at your answers and contact you."
            ),
        },
        alternatives={
            "illinois_unsure": N_(
                "The Introductory reflective practice program is open to everyone who works "
                "with children prenatal to five, wherever they work."
            ),
            "not_in_illinois": N_(
                "The Introductory reflective practice program is open to everyone who works "
                "with children prenatal to five, wherever they work."
            ),
        },
    )
)


# Agencies ------------------------------------------------------------------------

_register(
    Rule(
        key="leadership",
        reads=("is_leader",),
        label=N_("Applicant is the director or part of executive leadership"),
        check=_choice_rule(
            "is_leader", {"yes": Outcome(PASS), "no": Outcome(FAIL, "not_leadership")}
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "not_leadership": N_(
                "The application must come from your agency's director or a member of its "
                "executive leadership, because the agency commits to the groups for a year."
            ),
        },
        alternatives={
            "not_leadership": N_(
                "We can e-mail your director a link to apply. Tell us their e-mail address "
                "below; we use it only to send that one message."
            ),
        },
    )
)


def _check_king_county(answers: Answers) -> Outcome:
    serves = answers.get("serves_king_county")
    if serves == "no":
        return Outcome(FAIL, "not_king_county")
    if serves == "unsure":
        return Outcome(REVIEW, "king_county_unsure")
    if serves != "yes":
        return Outcome(REVIEW, UNANSWERED)
    zips = answers.get("service_zips")
    if not isinstance(zips, list | tuple) or not zips:
        return Outcome(REVIEW, "zips_missing")
    by_class: dict[str, list[str]] = {}
    for zip_code in zips:
        if isinstance(zip_code, str):
            by_class.setdefault(king_county.classify(zip_code), []).append(zip_code)
        else:
            by_class.setdefault(king_county.UNKNOWN, []).append(repr(zip_code))
    outside = by_class.get(king_county.OUTSIDE, []) + by_class.get(king_county.UNKNOWN, [])
    if outside:
        return Outcome(REVIEW, "zip_outside_king_county", {"zips": ", ".join(outside)})
    if by_class.get(king_county.CROSSES_LINE):
        crossing = ", ".join(by_class[king_county.CROSSES_LINE])
        return Outcome(REVIEW, "zip_crosses_county_line", {"zips": crossing})
    return Outcome(PASS)


_register(
    Rule(
        key="king_county",
        reads=("serves_king_county", "service_zips"),
        label=N_("Agency serves King County children prenatal to five and their families"),
        check=_check_king_county,
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "not_king_county": N_(
                "These groups are funded for agencies that serve children and families in "
                "King County, Washington."
            ),
            "king_county_unsure": N_(
                "You were not sure your agency serves King County. A coordinator will look at "
                "the ZIP codes you serve and contact you."
            ),
            "zips_missing": N_(
                "Tell us the ZIP codes your agency serves, so a coordinator can confirm they "
                "are in King County."
            ),
            "zip_outside_king_county": N_(
                "These ZIP codes do not look like King County ZIP codes: %(zips)s. A "
                "coordinator will check them with you; this does not rule you out."
            ),
            "zip_crosses_county_line": N_(
                "These ZIP codes are partly outside King County: %(zips)s. A coordinator will "
                "check them with you; this does not rule you out."
            ),
        },
        alternatives={
            "not_king_county": N_(
                "Your local infant and early childhood mental health association may know of "
                "reflective consultation groups where you are."
            ),
        },
    )
)

_register(
    Rule(
        key="not_already_served",
        reads=("bsk_consultation",),
        label=N_(
            "Agency does not already receive reflective consultation from Best Starts for Kids"
        ),
        check=_choice_rule(
            "bsk_consultation",
            {
                "no": Outcome(PASS),
                "yes": Outcome(FAIL, "already_served"),
                "unsure": Outcome(REVIEW, "already_served_unsure"),
            },
        ),
        messages={
            UNANSWERED: UNANSWERED_MESSAGE,
            "already_served": N_(
                "Your agency already receives reflective consultation through Best Starts for "
                "Kids, so these groups are kept for agencies that do not have it yet. Thank you "
                "for the work you already do."
            ),
            "already_served_unsure": N_(
                "You were not sure whether your agency already receives reflective "
                "consultation through Best Starts for Kids. A coordinator will check."
            ),
        },
        alternatives={
            "already_served": N_(
                "Your current Best Starts for Kids contact can tell you about more support. "
                "Individual staff can also apply to the individual programs on this site."
            ),
        },
    )
)


COMMITMENT_ALTERNATIVE = N_(
    "If this changes, your agency is welcome to apply later. Meanwhile, your staff can "
    "apply for themselves to the individual programs on this site."
)


def _commitment(key: str, answer: str, label: str, why: str) -> None:
    _register(
        Rule(
            key=key,
            reads=(answer,),
            label=label,
            check=_choice_rule(
                answer, {"yes": Outcome(PASS), "no": Outcome(FAIL, f"{key}_declined")}
            ),
            messages={UNANSWERED: UNANSWERED_MESSAGE, f"{key}_declined": why},
            alternatives={f"{key}_declined": COMMITMENT_ALTERNATIVE},
        )
    )


_commitment(
    "commitment_one_year",
    "commit_one_year",
    N_("Commits to at least one year"),
    N_(
        "Groups ask for at least one year, because trust in a group, and the change it "
        "brings, builds over time."
    ),
)
_commitment(
    "commitment_attendance",
    "commit_attendance",
    N_("Commits to consistent attendance"),
    N_(
        "Groups ask staff to attend consistently and take part, because each meeting builds "
        "on the last and the group relies on everyone being there."
    ),
)
_commitment(
    "commitment_virtual",
    "commit_virtual",
    N_("Can meet virtually"),
    N_("All groups meet online, so staff need to be able to join video meetings."),
)
_commitment(
    "commitment_cases",
    "commit_cases",
    N_("Open to discussing real-life cases"),
    N_(
        "Group discussions center on real situations from your staff's work (shared with "
        "care for families' privacy), because that is where reflection helps most."
    ),
)

AGENCY_RULE_KEYS = [
    "leadership",
    "king_county",
    "not_already_served",
    "commitment_one_year",
    "commitment_attendance",
    "commitment_virtual",
    "commitment_cases",
]
