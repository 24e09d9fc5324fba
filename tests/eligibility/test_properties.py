"""Whatever the answers, every default program gets a well-formed, explainable decision."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from intake import choices
from intake.eligibility import king_county
from intake.eligibility.rules import (
    FAIL,
    PASS,
    REVIEW,
    RULES,
    UNANSWERED,
    Decision,
    RuleResult,
    evaluate,
)
from intake.programs.defaults import DEFAULT_PROGRAMS

# The form's choices for each single-choice answer key the rules read.
VALID_VALUES = {
    "works_with_young_children": [value for value, _ in choices.WORKS_WITH_YOUNG_CHILDREN],
    "bipoc": [value for value, _ in choices.BIPOC],
    "retreat": [value for value, _ in choices.RETREAT],
    "works_in_illinois": [value for value, _ in choices.YES_NO_UNSURE],
    "is_leader": [value for value, _ in choices.YES_NO],
    "serves_king_county": [value for value, _ in choices.YES_NO_UNSURE],
    "bsk_consultation": [value for value, _ in choices.YES_NO_UNSURE],
    "commit_one_year": [value for value, _ in choices.YES_NO],
    "commit_attendance": [value for value, _ in choices.YES_NO],
    "commit_virtual": [value for value, _ in choices.YES_NO],
    "commit_cases": [value for value, _ in choices.YES_NO],
}
# Answers that are a list the person typed, not one choice.
ZIP_LIST_KEY = "service_zips"

READS = sorted({key for rule in RULES.values() for key in rule.reads})
ALL_VALID = sorted({value for values in VALID_VALUES.values() for value in values})
PROGRAM_RULE_KEYS = [tuple(p["rule_keys"]) for p in DEFAULT_PROGRAMS]

# Real ZIP codes: King County; elsewhere (Tacoma, Everett, Spokane, New York); on the line.
KING_COUNTY_ZIPS = ["98104", "98118", "98052", "98004", "98032"]
OUTSIDE_ZIPS = ["98402", "98201", "99201", "10001"]
BORDER_ZIPS = ["98001", "98011", "98022", "98354", "98068"]
NOT_ZIPS = ["00000", "99999", "9810", "abcde", "", " 98104", "98104-1234"]

# Any text, including full-width and other scripts' digits.
ascii_text = st.text(max_size=8)

zip_code = st.one_of(
    st.sampled_from(KING_COUNTY_ZIPS),
    st.sampled_from(OUTSIDE_ZIPS),
    st.sampled_from(BORDER_ZIPS),
    st.sampled_from(NOT_ZIPS),
    # Any five digits: real ZIPs anywhere in the country, and unassigned ones.
    st.from_regex(r"[0-9]{5}", fullmatch=True),
    ascii_text,
    st.integers(),
    st.none(),
    st.booleans(),
)

service_zips = st.one_of(
    st.lists(st.sampled_from(KING_COUNTY_ZIPS), min_size=1, max_size=4),
    st.lists(zip_code, max_size=6),
    st.lists(zip_code, min_size=1, max_size=4).map(tuple),
    st.none(),
    st.just([]),
    ascii_text,
    st.integers(),
    st.dictionaries(ascii_text, st.booleans(), max_size=2),
)


def noise() -> st.SearchStrategy:
    return st.one_of(
        st.none(),
        st.just(""),
        # Valid for some other question, or just noise.
        st.sampled_from(ALL_VALID),
        st.text(max_size=12),
        st.integers(),
        st.booleans(),
        st.lists(st.sampled_from(ALL_VALID) | st.text(max_size=5), max_size=3),
    )


def answer(key: str) -> st.SearchStrategy:
    if key == ZIP_LIST_KEY:
        return service_zips
    return st.sampled_from(VALID_VALUES[key]) | noise()


# Every key answered from the form's choices (so every program can pass) ...
VALID_ANSWERS = st.fixed_dictionaries(
    {
        key: (service_zips if key == ZIP_LIST_KEY else st.sampled_from(VALID_VALUES[key]))
        for key in READS
    }
)
# ... or any key missing, noisy or valid.
ANY_ANSWERS = st.fixed_dictionaries({}, optional={key: answer(key) for key in READS})
ANSWERS = VALID_ANSWERS | ANY_ANSWERS


def zip_name(value) -> str:
    return value if isinstance(value, str) else repr(value)


def expected_king_county(answers) -> tuple[str, str | None, dict | None]:
    """What the King County rule should say, written from the design, not from the rule."""
    serves = answers.get("serves_king_county")
    if serves == "no":
        return FAIL, "not_king_county", None
    if serves == "unsure":
        return REVIEW, "king_county_unsure", None
    if serves != "yes":
        return REVIEW, UNANSWERED, None
    zips = answers.get(ZIP_LIST_KEY)
    if not isinstance(zips, list | tuple) or not zips:
        return REVIEW, "zips_missing", None
    kinds = [king_county.classify(z) if isinstance(z, str) else king_county.UNKNOWN for z in zips]
    outside = [
        zip_name(z)
        for z, kind in zip(zips, kinds, strict=True)
        if kind in (king_county.OUTSIDE, king_county.UNKNOWN)
    ]
    crossing = [z for z, kind in zip(zips, kinds, strict=True) if kind == king_county.CROSSES_LINE]
    if outside:
        return REVIEW, "zip_outside_king_county", {"zips": outside}
    if crossing:
        return REVIEW, "zip_crosses_county_line", {"zips": crossing}
    return PASS, None, None


def check_king_county(result: RuleResult, answers) -> None:
    outcome, reason, details = expected_king_county(answers)
    assert (result.outcome, result.reason) == (outcome, reason)
    if details is None:
        assert result.details is None
    else:
        assert set(result.details) == {"zips"}
        # Every doubtful ZIP named, nothing else, in some order.
        names, text = details["zips"], result.details["zips"]
        if any(", " in name for name in names):
            assert len(text) == len(", ".join(names))
            assert all(name in text for name in names)
        else:
            assert sorted(text.split(", ")) == sorted(names)


def check_choice_rule(result: RuleResult, answers) -> None:
    (read,) = RULES[result.key].reads
    value = answers.get(read)
    known = isinstance(value, str) and value in VALID_VALUES[read]
    if result.outcome == PASS:
        assert known
    else:
        # Only an answer outside the form's choices counts as unanswered.
        assert (result.reason == UNANSWERED) == (not known)
    assert result.details is None


def test_every_read_key_has_a_strategy():
    assert set(VALID_VALUES) | {ZIP_LIST_KEY} == set(READS)
    assert ZIP_LIST_KEY not in VALID_VALUES
    # Only King County reads the ZIP list, and it is the only rule reading two answers.
    assert [key for key, rule in RULES.items() if len(rule.reads) != 1] == ["king_county"]
    assert [key for key, rule in RULES.items() if ZIP_LIST_KEY in rule.reads] == ["king_county"]


def test_the_sample_zips_are_what_they_claim():
    assert {king_county.classify(z) for z in KING_COUNTY_ZIPS} == {king_county.IN_COUNTY}
    assert {king_county.classify(z) for z in OUTSIDE_ZIPS} == {king_county.OUTSIDE}
    assert {king_county.classify(z) for z in BORDER_ZIPS} == {king_county.CROSSES_LINE}
    assert {king_county.classify(z) for z in NOT_ZIPS} == {king_county.UNKNOWN}


@settings(max_examples=300, deadline=None)
@given(answers=ANSWERS)
def test_every_program_gets_a_consistent_decision(answers):
    before = json.dumps(answers, sort_keys=True, default=repr)
    for rule_keys in PROGRAM_RULE_KEYS:
        decision = evaluate(rule_keys, answers)

        assert isinstance(decision, Decision)
        assert decision.outcome in (PASS, FAIL, REVIEW)
        assert tuple(r.key for r in decision.results) == rule_keys

        outcomes = [r.outcome for r in decision.results]
        assert set(outcomes) <= {PASS, FAIL, REVIEW}
        if FAIL in outcomes:
            assert decision.outcome == FAIL
        elif REVIEW in outcomes:
            assert decision.outcome == REVIEW
        else:
            assert decision.outcome == PASS
        assert decision.problems == tuple(r for r in decision.results if r.outcome != PASS)

        for result in decision.results:
            rule = RULES[result.key]
            if result.outcome == PASS:
                assert result.reason is None
                assert result.details is None
                assert result.message is None
            else:
                assert result.reason in rule.messages
                assert result.message == rule.messages[result.reason]
                assert result.message.strip()
                placeholders = set(re.findall(r"%\((\w+)\)s", result.message))
                if result.details:
                    assert placeholders == set(result.details)
                    text = result.message % result.details
                    for value in result.details.values():
                        assert value in text
                else:
                    # Nothing to fill in, so nothing waits to be filled in.
                    assert placeholders == set()

            if result.key == "king_county":
                check_king_county(result, answers)
            else:
                check_choice_rule(result, answers)

        data = decision.to_dict()
        assert Decision.from_dict(data) == decision
        assert Decision.from_dict(json.loads(json.dumps(data))) == decision
    # The rules only read.
    assert json.dumps(answers, sort_keys=True, default=repr) == before


@settings(max_examples=300, deadline=None)
@given(zips=service_zips, extra=ANY_ANSWERS)
def test_king_county_never_fails_an_agency_that_serves_it(zips, extra):
    answers = {**extra, "serves_king_county": "yes", ZIP_LIST_KEY: zips}
    result = evaluate(["king_county"], answers).results[0]
    assert result.outcome != FAIL
    check_king_county(result, answers)
    if result.details:
        assert result.message % result.details
