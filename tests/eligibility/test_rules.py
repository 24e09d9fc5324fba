"""The eligibility rules, one answer at a time, and the default programs they make up."""

from __future__ import annotations

import json

import pytest

from intake import choices
from intake.eligibility.rules import (
    FAIL,
    PASS,
    REVIEW,
    RULES,
    UNANSWERED,
    WORKS_DIRECTLY,
    WORKS_SUPPORTING,
    Decision,
    RuleResult,
    evaluate,
)
from intake.programs.defaults import DEFAULT_PROGRAMS

# Written out by hand, not derived from the rules: this is what the programs' pages say.
# (rule key, answer value, outcome, reason)
EXPECTED = [
    ("prenatal_to_five", "direct", PASS, None),
    ("prenatal_to_five", "support", PASS, None),
    ("prenatal_to_five", "unsure", REVIEW, "unsure_workforce"),
    ("prenatal_to_five", "no", FAIL, "not_prenatal_to_five"),
    ("bipoc_self_identification", "yes", PASS, None),
    ("bipoc_self_identification", "no", FAIL, "not_bipoc"),
    ("bipoc_self_identification", "prefer_not", FAIL, "bipoc_prefer_not"),
    ("retreat_attendance", "yes", PASS, None),
    ("retreat_attendance", "unsure", REVIEW, "retreat_unsure"),
    ("retreat_attendance", "no", REVIEW, "retreat_unable"),
]

# The answer each rule reads and the form choices that produce it.
QUESTIONS = {
    "prenatal_to_five": ("works_with_young_children", choices.WORKS_WITH_YOUNG_CHILDREN),
    "bipoc_self_identification": ("bipoc", choices.BIPOC),
    "retreat_attendance": ("retreat", choices.RETREAT),
}

# Someone every individual program should take.
ELIGIBLE_PERSON = {"works_with_young_children": WORKS_DIRECTLY, "bipoc": "yes", "retreat": "yes"}

INDIVIDUAL_SLUGS = ["introductory", "bipoc-intensive", "reflective-practice-group"]

NOT_ANSWERS = [
    pytest.param(None, id="none"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("maybe", id="garbage"),
    pytest.param("YES", id="wrong-case"),
    pytest.param(" yes", id="padded"),
    pytest.param("pass", id="outcome-name"),
    pytest.param(b"yes", id="bytes"),
    pytest.param(1, id="int"),
    pytest.param(0, id="zero"),
    pytest.param(True, id="bool"),
    pytest.param(["yes"], id="list"),
    pytest.param(("direct",), id="tuple"),
    pytest.param({"yes": True}, id="dict"),
]


def program(slug: str) -> dict:
    return next(p for p in DEFAULT_PROGRAMS if p["slug"] == slug)


def decide(slug: str, **answers) -> Decision:
    return evaluate(program(slug)["rule_keys"], answers)


def result_for(decision: Decision, key: str) -> RuleResult:
    return next(r for r in decision.results if r.key == key)


# Rules one by one -----------------------------------------------------------------


def test_every_rule_is_covered_by_the_expectations():
    assert {key for key, *_ in EXPECTED} == set(RULES)
    assert set(QUESTIONS) == set(RULES)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_rule_reads_its_question(rule_key):
    answer_key, _ = QUESTIONS[rule_key]
    assert RULES[rule_key].reads == (answer_key,)
    assert RULES[rule_key].key == rule_key


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_every_form_choice_has_an_expected_outcome(rule_key):
    # A choice the form offers but the rule does not know would silently become "unanswered".
    _, form_choices = QUESTIONS[rule_key]
    expected_values = {value for key, value, *_ in EXPECTED if key == rule_key}
    assert {value for value, _ in form_choices} == expected_values


def test_workforce_constants_match_the_form_choices():
    values = [value for value, _ in choices.WORKS_WITH_YOUNG_CHILDREN]
    assert WORKS_DIRECTLY in values
    assert WORKS_SUPPORTING in values


@pytest.mark.parametrize(("rule_key", "value", "outcome", "reason"), EXPECTED)
def test_answer_gives_outcome_and_reason(rule_key, value, outcome, reason):
    rule = RULES[rule_key]
    result = rule.check({rule.reads[0]: value})
    assert (result.outcome, result.reason) == (outcome, reason)


@pytest.mark.parametrize(("rule_key", "value", "outcome", "reason"), EXPECTED)
def test_rule_ignores_answers_it_does_not_read(rule_key, value, outcome, reason):
    rule = RULES[rule_key]
    noisy = {key: "no" for key in ("works_with_young_children", "bipoc", "retreat", "other")}
    noisy[rule.reads[0]] = value
    result = rule.check(noisy)
    assert (result.outcome, result.reason) == (outcome, reason)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_missing_answer_is_unanswered(rule_key):
    result = RULES[rule_key].check({})
    assert (result.outcome, result.reason) == (REVIEW, UNANSWERED)


@pytest.mark.parametrize("value", NOT_ANSWERS)
@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_anything_but_a_known_choice_is_unanswered(rule_key, value):
    rule = RULES[rule_key]
    result = rule.check({rule.reads[0]: value})
    assert (result.outcome, result.reason) == (REVIEW, UNANSWERED)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_another_questions_answer_is_unanswered(rule_key):
    rule = RULES[rule_key]
    own = {value for key, value, *_ in EXPECTED if key == rule_key}
    foreign = {value for key, value, *_ in EXPECTED if key != rule_key} - own
    assert foreign
    for value in sorted(foreign):
        result = rule.check({rule.reads[0]: value})
        assert (result.outcome, result.reason) == (REVIEW, UNANSWERED), value


# Messages and alternatives --------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_key", "reason"),
    sorted({(key, reason) for key, _, outcome, reason in EXPECTED if outcome != PASS})
    + [(key, UNANSWERED) for key in sorted(RULES)],
)
def test_every_non_pass_reason_has_a_message(rule_key, reason):
    message = RULES[rule_key].messages.get(reason)
    assert isinstance(message, str)
    assert message.strip()


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_every_message_belongs_to_a_reachable_reason(rule_key):
    reachable = {reason for key, _, _, reason in EXPECTED if key == rule_key and reason}
    assert set(RULES[rule_key].messages) == reachable | {UNANSWERED}


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_alternatives_only_reference_existing_reasons(rule_key):
    rule = RULES[rule_key]
    assert set(rule.alternatives) <= set(rule.messages)
    assert UNANSWERED not in rule.alternatives
    for text in rule.alternatives.values():
        assert isinstance(text, str)
        assert text.strip()


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_every_rule_has_a_label(rule_key):
    assert RULES[rule_key].label.strip()


@pytest.mark.parametrize("reason", ["not_bipoc", "bipoc_prefer_not"])
def test_not_bipoc_is_pointed_to_the_introductory_program(reason):
    assert "Introductory" in RULES["bipoc_self_identification"].alternatives[reason]


def test_result_looks_up_message_and_alternative_of_its_rule():
    rule = RULES["prenatal_to_five"]
    failed = RuleResult("prenatal_to_five", FAIL, "not_prenatal_to_five")
    assert failed.rule is rule
    assert failed.message == rule.messages["not_prenatal_to_five"]
    assert failed.alternative == rule.alternatives["not_prenatal_to_five"]

    unsure = RuleResult("prenatal_to_five", REVIEW, "unsure_workforce")
    assert unsure.message == rule.messages["unsure_workforce"]
    assert unsure.alternative is None

    passed = RuleResult("prenatal_to_five", PASS, None)
    assert passed.message is None
    assert passed.alternative is None


# evaluate -------------------------------------------------------------------------

ALL_KEYS = ["prenatal_to_five", "bipoc_self_identification", "retreat_attendance"]


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        pytest.param(ELIGIBLE_PERSON, PASS, id="all-pass"),
        pytest.param({**ELIGIBLE_PERSON, "retreat": "unsure"}, REVIEW, id="one-review"),
        pytest.param(
            {**ELIGIBLE_PERSON, "works_with_young_children": "unsure", "retreat": "no"},
            REVIEW,
            id="two-reviews",
        ),
        pytest.param({**ELIGIBLE_PERSON, "bipoc": "no"}, FAIL, id="one-fail"),
        pytest.param(
            {"works_with_young_children": "no", "bipoc": "yes", "retreat": "unsure"},
            FAIL,
            id="fail-before-review",
        ),
        pytest.param(
            {"works_with_young_children": "unsure", "bipoc": "prefer_not", "retreat": "yes"},
            FAIL,
            id="review-before-fail",
        ),
        pytest.param({"bipoc": "no"}, FAIL, id="fail-among-unanswered"),
        pytest.param({}, REVIEW, id="nothing-answered"),
    ],
)
def test_evaluate_combines_outcomes(answers, outcome):
    assert evaluate(ALL_KEYS, answers).outcome == outcome
    # Order of the rules never changes the overall outcome.
    assert evaluate(list(reversed(ALL_KEYS)), answers).outcome == outcome


def test_evaluate_keeps_rule_order_and_reasons():
    answers = {"works_with_young_children": "unsure", "bipoc": "no", "retreat": "yes"}
    expected = [
        ("retreat_attendance", PASS, None),
        ("prenatal_to_five", REVIEW, "unsure_workforce"),
        ("bipoc_self_identification", FAIL, "not_bipoc"),
    ]
    decision = evaluate([key for key, *_ in expected], answers)
    assert [(r.key, r.outcome, r.reason) for r in decision.results] == expected
    assert [r.key for r in decision.problems] == ["prenatal_to_five", "bipoc_self_identification"]


def test_evaluate_accepts_any_iterable_of_keys():
    decision = evaluate(iter(ALL_KEYS), ELIGIBLE_PERSON)
    assert decision.outcome == PASS
    assert [r.key for r in decision.results] == ALL_KEYS


def test_evaluate_without_rules_passes():
    decision = evaluate([], {})
    assert decision.outcome == PASS
    assert decision.results == ()
    assert decision.problems == ()


def test_evaluate_rejects_an_unknown_rule_key():
    with pytest.raises(KeyError):
        evaluate(["prenatal_to_five", "no_such_rule"], ELIGIBLE_PERSON)


def test_evaluate_does_not_change_the_answers():
    answers = {"works_with_young_children": "unsure", "bipoc": None}
    before = dict(answers)
    evaluate(ALL_KEYS, answers)
    assert answers == before


# Decision serialisation -----------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(ELIGIBLE_PERSON, id="pass"),
        pytest.param({"works_with_young_children": "unsure", "retreat": "no"}, id="review"),
        pytest.param({"works_with_young_children": "no", "bipoc": "prefer_not"}, id="fail"),
    ],
)
def test_decision_round_trips_through_a_dict(answers):
    decision = evaluate(ALL_KEYS, answers)
    data = decision.to_dict()
    assert Decision.from_dict(data) == decision
    # It is stored as JSON with the application.
    assert Decision.from_dict(json.loads(json.dumps(data))) == decision


def test_decision_to_dict_shape():
    answers = {"works_with_young_children": "direct", "bipoc": "prefer_not"}
    assert evaluate(ALL_KEYS, answers).to_dict() == {
        "outcome": FAIL,
        "rules": [
            {"key": "prenatal_to_five", "outcome": PASS, "reason": None},
            {"key": "bipoc_self_identification", "outcome": FAIL, "reason": "bipoc_prefer_not"},
            {"key": "retreat_attendance", "outcome": REVIEW, "reason": UNANSWERED},
        ],
    }


def test_decision_from_dict_without_reason():
    decision = Decision.from_dict(
        {"outcome": PASS, "rules": [{"key": "prenatal_to_five", "outcome": PASS}]}
    )
    assert decision == Decision(PASS, (RuleResult("prenatal_to_five", PASS, None),))


# Default programs -----------------------------------------------------------------


def test_default_programs_use_the_expected_rules():
    assert {p["slug"]: p["rule_keys"] for p in DEFAULT_PROGRAMS if p["kind"] == "individual"} == {
        "introductory": ["prenatal_to_five"],
        "bipoc-intensive": [
            "prenatal_to_five",
            "bipoc_self_identification",
            "retreat_attendance",
        ],
        "reflective-practice-group": ["prenatal_to_five"],
    }


@pytest.mark.parametrize("slug", [p["slug"] for p in DEFAULT_PROGRAMS])
def test_default_program_rule_keys_exist(slug):
    assert set(program(slug)["rule_keys"]) <= set(RULES)


@pytest.mark.parametrize("slug", INDIVIDUAL_SLUGS)
@pytest.mark.parametrize("works", [WORKS_DIRECTLY, WORKS_SUPPORTING])
def test_eligible_person_passes(slug, works):
    decision = decide(slug, **{**ELIGIBLE_PERSON, "works_with_young_children": works})
    assert decision.outcome == PASS
    assert decision.problems == ()
    assert len(decision.results) == len(program(slug)["rule_keys"])


@pytest.mark.parametrize("slug", ["introductory", "reflective-practice-group"])
def test_open_programs_do_not_ask_about_bipoc_or_retreat(slug):
    decision = decide(slug, works_with_young_children="support")
    assert decision.outcome == PASS


@pytest.mark.parametrize("slug", INDIVIDUAL_SLUGS)
def test_not_working_with_young_children_fails_every_individual_program(slug):
    decision = decide(slug, **{**ELIGIBLE_PERSON, "works_with_young_children": "no"})
    assert decision.outcome == FAIL
    assert [(r.key, r.reason) for r in decision.problems] == [
        ("prenatal_to_five", "not_prenatal_to_five")
    ]
    assert decision.problems[0].alternative


@pytest.mark.parametrize("slug", INDIVIDUAL_SLUGS)
def test_unsure_about_the_workforce_goes_to_review(slug):
    decision = decide(slug, **{**ELIGIBLE_PERSON, "works_with_young_children": "unsure"})
    assert decision.outcome == REVIEW
    assert [(r.key, r.reason) for r in decision.problems] == [
        ("prenatal_to_five", "unsure_workforce")
    ]


@pytest.mark.parametrize("slug", INDIVIDUAL_SLUGS)
def test_nothing_answered_waits_for_answers(slug):
    decision = decide(slug)
    assert decision.outcome == REVIEW
    assert {r.reason for r in decision.results} == {UNANSWERED}


def test_prefer_not_to_say_fails_bipoc_program_and_points_to_introductory():
    answers = {**ELIGIBLE_PERSON, "bipoc": "prefer_not"}
    decision = decide("bipoc-intensive", **answers)
    assert decision.outcome == FAIL
    [problem] = decision.problems
    assert (problem.key, problem.outcome, problem.reason) == (
        "bipoc_self_identification",
        FAIL,
        "bipoc_prefer_not",
    )
    assert "Introductory" in problem.alternative
    assert decide("introductory", **answers).outcome == PASS
    assert decide("reflective-practice-group", **answers).outcome == PASS


def test_not_bipoc_fails_bipoc_program_only():
    answers = {**ELIGIBLE_PERSON, "bipoc": "no"}
    decision = decide("bipoc-intensive", **answers)
    assert decision.outcome == FAIL
    assert [(r.key, r.reason) for r in decision.problems] == [
        ("bipoc_self_identification", "not_bipoc")
    ]
    assert "Introductory" in decision.problems[0].alternative
    assert decide("introductory", **answers).outcome == PASS
    assert decide("reflective-practice-group", **answers).outcome == PASS


def test_not_bipoc_as_the_screener_sends_it_fails_despite_unanswered_retreat():
    # The screener drops the retreat answer unless bipoc is "yes".
    decision = decide(
        "bipoc-intensive", works_with_young_children="direct", bipoc="no", retreat=None
    )
    assert decision.outcome == FAIL
    assert [(r.key, r.outcome, r.reason) for r in decision.problems] == [
        ("bipoc_self_identification", FAIL, "not_bipoc"),
        ("retreat_attendance", REVIEW, UNANSWERED),
    ]


@pytest.mark.parametrize(
    ("retreat", "reason"), [("no", "retreat_unable"), ("unsure", "retreat_unsure")]
)
def test_retreat_doubts_send_bipoc_program_to_review(retreat, reason):
    answers = {**ELIGIBLE_PERSON, "retreat": retreat}
    decision = decide("bipoc-intensive", **answers)
    assert decision.outcome == REVIEW
    assert [(r.key, r.reason) for r in decision.problems] == [("retreat_attendance", reason)]
    assert decide("introductory", **answers).outcome == PASS
    assert decide("reflective-practice-group", **answers).outcome == PASS


def test_unable_to_attend_retreat_is_pointed_to_programs_without_one():
    decision = decide("bipoc-intensive", **{**ELIGIBLE_PERSON, "retreat": "no"})
    assert "Introductory" in decision.problems[0].alternative


def test_bipoc_yes_without_retreat_answer_waits():
    decision = decide("bipoc-intensive", works_with_young_children="direct", bipoc="yes")
    assert decision.outcome == REVIEW
    assert [(r.key, r.reason) for r in decision.problems] == [("retreat_attendance", UNANSWERED)]
