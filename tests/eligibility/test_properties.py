"""Whatever the answers, every default program gets a well-formed, explainable decision."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake import choices
from intake.eligibility.rules import FAIL, PASS, REVIEW, RULES, UNANSWERED, Decision, evaluate
from intake.programs.defaults import DEFAULT_PROGRAMS

# The form's choices for each answer key the rules read.
VALID_VALUES = {
    "works_with_young_children": [value for value, _ in choices.WORKS_WITH_YOUNG_CHILDREN],
    "bipoc": [value for value, _ in choices.BIPOC],
    "retreat": [value for value, _ in choices.RETREAT],
}
READS = sorted({key for rule in RULES.values() for key in rule.reads})
ALL_VALID = sorted({value for values in VALID_VALUES.values() for value in values})
PROGRAM_RULE_KEYS = [tuple(p["rule_keys"]) for p in DEFAULT_PROGRAMS]


def answer(key: str) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(VALID_VALUES[key]),
        st.none(),
        st.just(""),
        # Valid for some other question, or just noise.
        st.sampled_from(ALL_VALID),
        st.text(max_size=12),
        st.integers(),
        st.booleans(),
        st.lists(st.sampled_from(ALL_VALID) | st.text(max_size=5), max_size=3),
    )


# Any key may also be missing altogether.
ANSWERS = st.fixed_dictionaries({}, optional={key: answer(key) for key in READS})


def test_every_read_key_has_valid_values():
    assert set(VALID_VALUES) == set(READS)


@settings(max_examples=300, deadline=None)
@given(answers=ANSWERS)
def test_every_program_gets_a_consistent_decision(answers):
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

        for result in decision.results:
            rule = RULES[result.key]
            (read,) = rule.reads
            value = answers.get(read)
            known = isinstance(value, str) and value in VALID_VALUES[read]
            if result.outcome == PASS:
                assert result.reason is None
                assert known
            else:
                assert result.reason in rule.messages
                assert result.message
                assert result.message.strip()
                # Only an answer outside the form's choices counts as unanswered.
                assert (result.reason == UNANSWERED) == (not known)

        assert Decision.from_dict(decision.to_dict()) == decision
