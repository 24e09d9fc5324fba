"""The eligibility rules, one answer at a time, and the default programs they make up."""

from __future__ import annotations

import json
import re

import pytest

from intake import choices
from intake.eligibility.rules import (
    AGENCY_RULE_KEYS,
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
from intake.screener.forms import AgencyScreenerForm, IndividualScreenerForm

# Real ZIP codes; test_king_county.py checks them against the zipcodes data.
KING_COUNTY_ZIPS = ["98104", "98118", "98052"]  # Seattle, Seattle, Redmond
TACOMA = "98402"  # Pierce County
EVERETT = "98201"  # Snohomish County
AUBURN = "98001"  # listed in the border file: crosses the Pierce County line

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
    # The 10-session groups are run throughout Illinois: elsewhere is for review.
    ("works_in_illinois", "yes", PASS, None),
    ("works_in_illinois", "no", REVIEW, "not_in_illinois"),
    ("works_in_illinois", "unsure", REVIEW, "illinois_unsure"),
    ("leadership", "yes", PASS, None),
    ("leadership", "no", FAIL, "not_leadership"),
    # With King County service ZIPs (see answers_for); the ZIPs have their own tests below.
    ("king_county", "yes", PASS, None),
    ("king_county", "no", FAIL, "not_king_county"),
    ("king_county", "unsure", REVIEW, "king_county_unsure"),
    ("not_already_served", "no", PASS, None),
    ("not_already_served", "yes", FAIL, "already_served"),
    ("not_already_served", "unsure", REVIEW, "already_served_unsure"),
    ("commitment_one_year", "yes", PASS, None),
    ("commitment_one_year", "no", FAIL, "commitment_one_year_declined"),
    ("commitment_attendance", "yes", PASS, None),
    ("commitment_attendance", "no", FAIL, "commitment_attendance_declined"),
    ("commitment_virtual", "yes", PASS, None),
    ("commitment_virtual", "no", FAIL, "commitment_virtual_declined"),
    ("commitment_cases", "yes", PASS, None),
    ("commitment_cases", "no", FAIL, "commitment_cases_declined"),
]

# Reasons the king_county rule gives from the service ZIPs, and the details each names.
ZIP_REASONS = {
    "zips_missing": set(),
    "zip_outside_king_county": {"zips"},
    "zip_crosses_county_line": {"zips"},
}

# The answers each rule reads; the first is a question with these form choices.
QUESTIONS = {
    "prenatal_to_five": (("works_with_young_children",), choices.WORKS_WITH_YOUNG_CHILDREN),
    "bipoc_self_identification": (("bipoc",), choices.BIPOC),
    "retreat_attendance": (("retreat",), choices.RETREAT),
    "works_in_illinois": (("works_in_illinois",), choices.YES_NO_UNSURE),
    "leadership": (("is_leader",), choices.YES_NO),
    "king_county": (("serves_king_county", "service_zips"), choices.YES_NO_UNSURE),
    "not_already_served": (("bsk_consultation",), choices.YES_NO_UNSURE),
    "commitment_one_year": (("commit_one_year",), choices.YES_NO),
    "commitment_attendance": (("commit_attendance",), choices.YES_NO),
    "commitment_virtual": (("commit_virtual",), choices.YES_NO),
    "commitment_cases": (("commit_cases",), choices.YES_NO),
}
ALL_ANSWER_KEYS = sorted({key for reads, _ in QUESTIONS.values() for key in reads})

# Someone every individual program should take.
ELIGIBLE_PERSON = {
    "works_with_young_children": WORKS_DIRECTLY,
    "bipoc": "yes",
    "retreat": "yes",
    "works_in_illinois": "yes",
}

INDIVIDUAL_SLUGS = ["introductory", "bipoc-intensive", "reflective-practice-group"]

# An agency the King County program should take.
ELIGIBLE_AGENCY = {
    "is_leader": "yes",
    "serves_king_county": "yes",
    "service_zips": KING_COUNTY_ZIPS,
    "bsk_consultation": "no",
    "commit_one_year": "yes",
    "commit_attendance": "yes",
    "commit_virtual": "yes",
    "commit_cases": "yes",
}
AGENCY_SLUG = "king-county-consultation"

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


def answers_for(rule_key: str, value) -> dict:
    """The rule's question answered with value (King County: with King County ZIPs too)."""
    (question, *_), _ = QUESTIONS[rule_key]
    answers = {question: value}
    if rule_key == "king_county":
        answers["service_zips"] = list(KING_COUNTY_ZIPS)
    return answers


def placeholders(message: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", message))


# Rules one by one -----------------------------------------------------------------


def test_every_rule_is_covered_by_the_expectations():
    assert {key for key, *_ in EXPECTED} == set(RULES)
    assert set(QUESTIONS) == set(RULES)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_rule_reads_its_questions(rule_key):
    reads, _ = QUESTIONS[rule_key]
    assert RULES[rule_key].reads == reads
    assert RULES[rule_key].key == rule_key


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_screener_asks_each_question_with_the_same_choices(rule_key):
    (question, *others), form_choices = QUESTIONS[rule_key]
    form = AgencyScreenerForm if rule_key in AGENCY_RULE_KEYS else IndividualScreenerForm
    assert getattr(form, question).kwargs["choices"] == form_choices
    for other in others:
        assert hasattr(form, other)


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
    result = RULES[rule_key].check(answers_for(rule_key, value))
    assert (result.outcome, result.reason, result.details) == (outcome, reason, None)


@pytest.mark.parametrize(("rule_key", "value", "outcome", "reason"), EXPECTED)
def test_rule_ignores_answers_it_does_not_read(rule_key, value, outcome, reason):
    noisy = dict.fromkeys([*ALL_ANSWER_KEYS, "other"], "no")
    noisy["service_zips"] = [TACOMA, "00000"]
    noisy.update(answers_for(rule_key, value))
    result = RULES[rule_key].check(noisy)
    assert (result.outcome, result.reason, result.details) == (outcome, reason, None)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_missing_answer_is_unanswered(rule_key):
    result = RULES[rule_key].check({})
    assert (result.outcome, result.reason) == (REVIEW, UNANSWERED)


@pytest.mark.parametrize("value", NOT_ANSWERS)
@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_anything_but_a_known_choice_is_unanswered(rule_key, value):
    result = RULES[rule_key].check(answers_for(rule_key, value))
    assert (result.outcome, result.reason, result.details) == (REVIEW, UNANSWERED, None)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_another_questions_answer_is_unanswered(rule_key):
    rule = RULES[rule_key]
    own = {value for key, value, *_ in EXPECTED if key == rule_key}
    foreign = {value for key, value, *_ in EXPECTED if key != rule_key} - own
    assert foreign
    for value in sorted(foreign):
        result = rule.check(answers_for(rule_key, value))
        assert (result.outcome, result.reason) == (REVIEW, UNANSWERED), value


# King County and the service ZIPs -------------------------------------------------


def king_county(**answers) -> RuleResult:
    return evaluate(["king_county"], answers).results[0]


def check_serving(zips) -> RuleResult:
    return king_county(serves_king_county="yes", service_zips=zips)


def named(result: RuleResult) -> list[str]:
    return result.details["zips"].split(", ")


@pytest.mark.parametrize(
    "zips",
    [
        pytest.param(KING_COUNTY_ZIPS, id="seattle-redmond"),
        pytest.param(["98004"], id="bellevue"),
        pytest.param(["98032", "98104", "98032"], id="kent-repeated"),
        pytest.param(tuple(KING_COUNTY_ZIPS), id="tuple"),
    ],
)
def test_king_county_zips_pass(zips):
    result = check_serving(zips)
    assert (result.outcome, result.reason, result.details) == (PASS, None, None)


@pytest.mark.parametrize(
    ("zips", "outside"),
    [
        pytest.param([TACOMA], [TACOMA], id="tacoma"),
        pytest.param([EVERETT, "98052"], [EVERETT], id="everett-and-redmond"),
        pytest.param(["98104", TACOMA, "98118", EVERETT], [TACOMA, EVERETT], id="two-of-four"),
        pytest.param(["99201", "10001"], ["99201", "10001"], id="spokane-new-york"),
        pytest.param(["00000"], ["00000"], id="unknown-zip"),
        pytest.param(["98104", "9810", "abcde"], ["9810", "abcde"], id="not-zips"),
        pytest.param(["98104-1234"], ["98104-1234"], id="uncut-zip-plus-four"),
        pytest.param(["00000", TACOMA, "98104"], ["00000", TACOMA], id="unknown-and-outside"),
        pytest.param([98104], ["98104"], id="int"),
        pytest.param(["98104", None], ["None"], id="none-in-list"),
    ],
)
def test_zip_outside_king_county_goes_to_review_naming_it(zips, outside):
    result = check_serving(zips)
    # Never a silent rejection: a coordinator checks.
    assert (result.outcome, result.reason) == (REVIEW, "zip_outside_king_county")
    assert set(result.details) == {"zips"}
    assert sorted(named(result)) == sorted(outside)
    assert result.alternative is None


def test_outside_zips_are_named_in_the_order_given():
    result = check_serving([EVERETT, "98104", TACOMA, "99201"])
    assert result.details == {"zips": "98201, 98402, 99201"}


@pytest.mark.parametrize("border", [AUBURN, "98011", "98354", "98068"])
def test_zip_crossing_the_county_line_goes_to_review_naming_it(border):
    # 98354 (Milton) is recorded in Pierce County, 98068 in Kittitas: the border file wins.
    result = check_serving(["98104", border, "98118"])
    assert (result.outcome, result.reason) == (REVIEW, "zip_crosses_county_line")
    assert result.details == {"zips": border}


def test_every_crossing_zip_is_named():
    result = check_serving([AUBURN, "98052", "98011"])
    assert (result.outcome, result.reason) == (REVIEW, "zip_crosses_county_line")
    assert result.details == {"zips": "98001, 98011"}


@pytest.mark.parametrize("zips", [[AUBURN, TACOMA], [TACOMA, AUBURN, "98104"], ["98011", "00000"]])
def test_outside_zip_outweighs_a_crossing_one(zips):
    result = check_serving(zips)
    assert (result.outcome, result.reason) == (REVIEW, "zip_outside_king_county")
    # Only the outside ZIPs are named.
    assert set(named(result)).isdisjoint({AUBURN, "98011"})
    assert named(result) == [z for z in zips if z in (TACOMA, "00000")]


NOT_ZIP_LISTS = [
    pytest.param([], id="empty-list"),
    pytest.param((), id="empty-tuple"),
    pytest.param(None, id="none"),
    pytest.param("", id="empty-text"),
    pytest.param("98104", id="text"),
    pytest.param("98104, 98118", id="unparsed-text"),
    pytest.param(98104, id="int"),
    pytest.param({"98104": True}, id="dict"),
    pytest.param({"98104"}, id="set"),
]


@pytest.mark.parametrize("zips", NOT_ZIP_LISTS)
def test_no_list_of_zips_asks_for_them(zips):
    result = check_serving(zips)
    assert (result.outcome, result.reason, result.details) == (REVIEW, "zips_missing", None)


def test_missing_zips_ask_for_them():
    result = king_county(serves_king_county="yes")
    assert (result.outcome, result.reason, result.details) == (REVIEW, "zips_missing", None)


ANY_ZIPS = [
    pytest.param(KING_COUNTY_ZIPS, id="king"),
    pytest.param([TACOMA], id="outside"),
    pytest.param([AUBURN], id="border"),
    pytest.param([], id="empty"),
    pytest.param(None, id="none"),
]


@pytest.mark.parametrize("zips", ANY_ZIPS)
def test_not_serving_king_county_fails_whatever_the_zips(zips):
    result = king_county(serves_king_county="no", service_zips=zips)
    assert (result.outcome, result.reason, result.details) == (FAIL, "not_king_county", None)
    assert result.alternative


@pytest.mark.parametrize("zips", ANY_ZIPS)
def test_unsure_about_king_county_goes_to_review_whatever_the_zips(zips):
    result = king_county(serves_king_county="unsure", service_zips=zips)
    assert (result.outcome, result.reason, result.details) == (REVIEW, "king_county_unsure", None)


@pytest.mark.parametrize("zips", ANY_ZIPS)
def test_zips_without_the_king_county_answer_are_unanswered(zips):
    result = king_county(service_zips=zips)
    assert (result.outcome, result.reason, result.details) == (REVIEW, UNANSWERED, None)


def test_full_width_digits_go_to_review_not_a_crash():
    # What a Chinese input method types for 98104.
    result = check_serving(["\uff19\uff18\uff11\uff10\uff14"])
    assert (result.outcome, result.reason) == (REVIEW, "zip_outside_king_county")


@pytest.mark.parametrize(
    ("zips", "reason"),
    [
        ([TACOMA, EVERETT], "zip_outside_king_county"),
        ([AUBURN], "zip_crosses_county_line"),
    ],
)
def test_zip_messages_format_with_the_named_zips(zips, reason):
    result = check_serving(zips)
    assert result.reason == reason
    assert "%(zips)s" in result.message
    text = result.message % result.details
    assert result.details["zips"] in text
    assert "%" not in text
    for zip_code in zips:
        assert zip_code in text


# Messages and alternatives --------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_key", "reason"),
    sorted({(key, reason) for key, _, outcome, reason in EXPECTED if outcome != PASS})
    + [("king_county", reason) for reason in sorted(ZIP_REASONS)]
    + [(key, UNANSWERED) for key in sorted(RULES)],
)
def test_every_non_pass_reason_has_a_message(rule_key, reason):
    message = RULES[rule_key].messages.get(reason)
    assert isinstance(message, str)
    assert message.strip()


def reachable_reasons(rule_key: str) -> set[str]:
    reachable = {reason for key, _, _, reason in EXPECTED if key == rule_key and reason}
    if rule_key == "king_county":
        reachable |= set(ZIP_REASONS)
    return reachable | {UNANSWERED}


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_every_message_belongs_to_a_reachable_reason(rule_key):
    assert set(RULES[rule_key].messages) == reachable_reasons(rule_key)


@pytest.mark.parametrize("rule_key", sorted(RULES))
def test_messages_name_only_the_details_their_reason_gives(rule_key):
    # A placeholder without details would show as "%(zips)s"; a stray "%" breaks formatting.
    for reason, message in RULES[rule_key].messages.items():
        given = ZIP_REASONS.get(reason, set()) if rule_key == "king_county" else set()
        assert placeholders(message) == given, reason
        assert "%" not in re.sub(r"%\(\w+\)s", "", message), reason
    # Alternatives are shown as they are, never with details.
    for reason, alternative in RULES[rule_key].alternatives.items():
        assert "%" not in alternative, reason


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


def test_not_leadership_is_offered_to_e_mail_the_director():
    alternative = RULES["leadership"].alternatives["not_leadership"]
    assert "e-mail" in alternative
    assert "director" in alternative


@pytest.mark.parametrize(
    ("rule_key", "reason"),
    [("king_county", "not_king_county"), ("not_already_served", "already_served")],
)
def test_agency_rejections_say_what_to_do_instead(rule_key, reason):
    assert RULES[rule_key].alternatives[reason].strip()


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


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(ELIGIBLE_AGENCY, id="pass"),
        pytest.param({**ELIGIBLE_AGENCY, "service_zips": ["98104", TACOMA]}, id="outside"),
        pytest.param({**ELIGIBLE_AGENCY, "service_zips": [AUBURN]}, id="crossing"),
        pytest.param({**ELIGIBLE_AGENCY, "is_leader": "no", "service_zips": [EVERETT]}, id="fail"),
        pytest.param({}, id="nothing"),
    ],
)
def test_agency_decision_round_trips_through_a_dict(answers):
    decision = decide(AGENCY_SLUG, **answers)
    data = decision.to_dict()
    assert Decision.from_dict(data) == decision
    restored = Decision.from_dict(json.loads(json.dumps(data)))
    assert restored == decision
    assert [r.details for r in restored.results] == [r.details for r in decision.results]


def test_decision_to_dict_includes_details_only_when_set():
    answers = {
        "is_leader": "yes",
        "serves_king_county": "yes",
        "service_zips": ["98104", TACOMA, EVERETT],
    }
    assert evaluate(["leadership", "king_county"], answers).to_dict() == {
        "outcome": REVIEW,
        "rules": [
            {"key": "leadership", "outcome": PASS, "reason": None},
            {
                "key": "king_county",
                "outcome": REVIEW,
                "reason": "zip_outside_king_county",
                "details": {"zips": "98402, 98201"},
            },
        ],
    }


def test_decision_from_dict_keeps_details_for_the_message():
    decision = Decision.from_dict(
        {
            "outcome": REVIEW,
            "rules": [
                {
                    "key": "king_county",
                    "outcome": REVIEW,
                    "reason": "zip_crosses_county_line",
                    "details": {"zips": "98001"},
                }
            ],
        }
    )
    [result] = decision.results
    assert result.details == {"zips": "98001"}
    assert "98001" in result.message % result.details
    assert decision.to_dict()["rules"][0]["details"] == {"zips": "98001"}


def test_decision_from_dict_without_reason():
    decision = Decision.from_dict(
        {"outcome": PASS, "rules": [{"key": "prenatal_to_five", "outcome": PASS}]}
    )
    assert decision == Decision(PASS, (RuleResult("prenatal_to_five", PASS, None),))
    assert decision.results[0].details is None


# Default programs -----------------------------------------------------------------


AGENCY_RULES_WRITTEN_OUT = [
    "leadership",
    "king_county",
    "not_already_served",
    "commitment_one_year",
    "commitment_attendance",
    "commitment_virtual",
    "commitment_cases",
]


def test_default_programs_use_the_expected_rules():
    assert {p["slug"]: (p["kind"], list(p["rule_keys"])) for p in DEFAULT_PROGRAMS} == {
        "introductory": ("individual", ["prenatal_to_five"]),
        "bipoc-intensive": (
            "individual",
            ["prenatal_to_five", "bipoc_self_identification", "retreat_attendance"],
        ),
        "king-county-consultation": ("agency", AGENCY_RULES_WRITTEN_OUT),
        "reflective-practice-group": ("individual", ["prenatal_to_five", "works_in_illinois"]),
    }
    assert list(AGENCY_RULE_KEYS) == AGENCY_RULES_WRITTEN_OUT


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
    decision = decide(slug, works_with_young_children="support", works_in_illinois="yes")
    assert decision.outcome == PASS


@pytest.mark.parametrize(
    ("answer", "reason"), [("no", "not_in_illinois"), ("unsure", "illinois_unsure")]
)
def test_working_outside_illinois_sends_the_illinois_groups_to_review_only(answer, reason):
    answers = {**ELIGIBLE_PERSON, "works_in_illinois": answer}
    decision = decide("reflective-practice-group", **answers)
    assert decision.outcome == REVIEW
    (problem,) = decision.problems
    assert (problem.key, problem.reason) == ("works_in_illinois", reason)
    assert "Illinois" in problem.message
    assert "Introductory" in problem.alternative
    # The other programs do not read the answer.
    assert decide("introductory", **answers).outcome == PASS
    assert decide("bipoc-intensive", **answers).outcome == PASS


def test_working_in_illinois_passes_the_illinois_rule():
    decision = decide("reflective-practice-group", **ELIGIBLE_PERSON)
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


# The agency program ---------------------------------------------------------------


def agency_decision(**changes) -> Decision:
    return decide(AGENCY_SLUG, **{**ELIGIBLE_AGENCY, **changes})


def problems(decision: Decision) -> list[tuple[str, str, str | None]]:
    return [(r.key, r.outcome, r.reason) for r in decision.problems]


def test_eligible_agency_passes():
    decision = decide(AGENCY_SLUG, **ELIGIBLE_AGENCY)
    assert decision.outcome == PASS
    assert decision.problems == ()
    assert [r.key for r in decision.results] == AGENCY_RULES_WRITTEN_OUT
    assert all(r.details is None for r in decision.results)


def test_agency_already_served_fails_with_an_alternative():
    decision = agency_decision(bsk_consultation="yes")
    assert decision.outcome == FAIL
    assert problems(decision) == [("not_already_served", FAIL, "already_served")]
    assert decision.problems[0].alternative.strip()


def test_agency_unsure_whether_already_served_goes_to_review():
    decision = agency_decision(bsk_consultation="unsure")
    assert decision.outcome == REVIEW
    assert problems(decision) == [("not_already_served", REVIEW, "already_served_unsure")]


def test_non_leader_fails_and_is_offered_to_e_mail_the_director():
    decision = agency_decision(is_leader="no")
    assert decision.outcome == FAIL
    assert problems(decision) == [("leadership", FAIL, "not_leadership")]
    alternative = decision.problems[0].alternative
    assert "e-mail" in alternative
    assert "director" in alternative


@pytest.mark.parametrize(
    ("answer", "rule_key"),
    [
        ("commit_one_year", "commitment_one_year"),
        ("commit_attendance", "commitment_attendance"),
        ("commit_virtual", "commitment_virtual"),
        ("commit_cases", "commitment_cases"),
    ],
)
def test_declining_a_commitment_fails(answer, rule_key):
    decision = agency_decision(**{answer: "no"})
    assert decision.outcome == FAIL
    assert problems(decision) == [(rule_key, FAIL, f"{rule_key}_declined")]
    assert decision.problems[0].message.strip()


def test_agency_not_serving_king_county_fails():
    decision = agency_decision(serves_king_county="no")
    assert decision.outcome == FAIL
    assert problems(decision) == [("king_county", FAIL, "not_king_county")]
    assert decision.problems[0].alternative


@pytest.mark.parametrize(
    ("zips", "reason", "named"),
    [
        (["98104", TACOMA], "zip_outside_king_county", "98402"),
        ([EVERETT, AUBURN], "zip_outside_king_county", "98201"),
        ([AUBURN, "98118"], "zip_crosses_county_line", "98001"),
    ],
)
def test_agency_with_a_doubtful_zip_goes_to_review_not_rejection(zips, reason, named):
    decision = agency_decision(service_zips=zips)
    assert decision.outcome == REVIEW
    assert problems(decision) == [("king_county", REVIEW, reason)]
    assert decision.problems[0].details == {"zips": named}


def test_a_failed_rule_outweighs_a_doubtful_zip():
    decision = agency_decision(is_leader="no", service_zips=[TACOMA])
    assert decision.outcome == FAIL
    assert problems(decision) == [
        ("leadership", FAIL, "not_leadership"),
        ("king_county", REVIEW, "zip_outside_king_county"),
    ]


def test_agency_with_nothing_answered_waits_for_answers():
    decision = decide(AGENCY_SLUG)
    assert decision.outcome == REVIEW
    assert {(r.outcome, r.reason) for r in decision.results} == {(REVIEW, UNANSWERED)}


def test_agency_answers_and_individual_answers_do_not_mix():
    # Each screener's answers leave the other kind of program unanswered.
    agency = decide(AGENCY_SLUG, **ELIGIBLE_PERSON)
    assert {(r.outcome, r.reason) for r in agency.results} == {(REVIEW, UNANSWERED)}
    for slug in INDIVIDUAL_SLUGS:
        decision = decide(slug, **ELIGIBLE_AGENCY)
        assert decision.outcome == REVIEW, slug
        assert {r.reason for r in decision.results} == {UNANSWERED}, slug


def test_agency_and_person_answers_together_pass_everything():
    answers = {**ELIGIBLE_PERSON, **ELIGIBLE_AGENCY}
    for p in DEFAULT_PROGRAMS:
        assert decide(p["slug"], **answers).outcome == PASS, p["slug"]
