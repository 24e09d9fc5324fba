"""The coordinator actions each status allows: a table over every status."""

import pytest

from intake.casefile.actions import (
    APPROVE,
    CHANGE_PRIORITY,
    DECLINE,
    KEEP_BOTH,
    MERGE,
    OVERRIDE,
    WITHDRAW,
    available_actions,
    path_allowed,
)
from intake.status import states

OPEN = {WITHDRAW, CHANGE_PRIORITY}

EXPECTED = {
    states.SUBMITTED: OPEN,  # the rules decide a submitted application, not a person
    states.NEEDS_REVIEW: {APPROVE, DECLINE, *OPEN},
    states.ELIGIBLE: OPEN,
    states.WAITLISTED: OPEN,
    states.OFFERED: OPEN,
    states.DECLINED: OPEN,
    states.EXPIRED: OPEN,
    states.INACTIVE: OPEN,
    states.ENROLLED: OPEN,
    # Not on any list, so nothing to withdraw or reorder; approved anyway by override.
    states.INELIGIBLE: {OVERRIDE},
    states.COMPLETED: set(),
    states.WITHDRAWN: set(),
    states.CLOSED: set(),
}


def test_every_status_is_in_the_table():
    assert set(EXPECTED) == set(states.TRANSITIONS)


@pytest.mark.parametrize(("status", "expected"), EXPECTED.items())
def test_actions_by_status(status, expected):
    assert available_actions(status) == expected


@pytest.mark.parametrize(("status", "expected"), EXPECTED.items())
def test_an_open_duplicate_flag_adds_keep_both_and_merge_where_withdrawal_is_possible(
    status, expected
):
    duplicate = {KEEP_BOTH, MERGE} if WITHDRAW in expected else {KEEP_BOTH}
    assert available_actions(status, duplicate_open=True) == expected | duplicate


@pytest.mark.parametrize("status", sorted(states.TRANSITIONS))
def test_actions_agree_with_the_transition_table(status):
    actions = available_actions(status)
    assert (WITHDRAW in actions) == states.can_transition(status, states.WITHDRAWN)
    assert (CHANGE_PRIORITY in actions) == (status in states.OPEN_STATUSES)
    if APPROVE in actions:
        assert path_allowed(status, (states.ELIGIBLE, states.WAITLISTED))
    if DECLINE in actions:
        assert states.can_transition(status, states.INELIGIBLE)
    if OVERRIDE in actions:
        assert status == states.INELIGIBLE
        assert path_allowed(status, (states.ELIGIBLE, states.WAITLISTED))


def test_path_allowed_walks_the_table_step_by_step():
    assert path_allowed(states.NEEDS_REVIEW, (states.ELIGIBLE, states.WAITLISTED))
    assert not path_allowed(states.NEEDS_REVIEW, (states.WAITLISTED,))
    assert not path_allowed(states.WAITLISTED, (states.ELIGIBLE, states.WAITLISTED))
    assert not path_allowed("no-such-status", (states.WITHDRAWN,))
