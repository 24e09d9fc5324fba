"""What a coordinator may do with an application, by its status. No Flask here.

Derived from the status transition table (intake.status.states.TRANSITIONS), so
the page offers exactly the moves the state machine allows.
"""

from __future__ import annotations

from intake.status.states import (
    ELIGIBLE,
    INELIGIBLE,
    NEEDS_REVIEW,
    TRANSITIONS,
    WAITLISTED,
    WITHDRAWN,
)

APPROVE = "approve"
DECLINE = "decline"
WITHDRAW = "withdraw"
CHANGE_PRIORITY = "change_priority"
KEEP_BOTH = "keep_both"
MERGE = "merge"
# Approve an application the rules failed or a coordinator declined: the override.
OVERRIDE = "override"

# The status moves each action makes, in order.
MOVES: dict[str, tuple[str, ...]] = {
    APPROVE: (ELIGIBLE, WAITLISTED),
    DECLINE: (INELIGIBLE,),
    WITHDRAW: (WITHDRAWN,),
    OVERRIDE: (ELIGIBLE, WAITLISTED),
}

# Approve and decline answer the rules' call for a coordinator, and nothing else: a
# submitted application is decided by the rules, not by hand.
# An override answers a "no" (the rules' or a coordinator's), and nothing else.
ONLY_FROM: dict[str, str] = {
    APPROVE: NEEDS_REVIEW,
    DECLINE: NEEDS_REVIEW,
    OVERRIDE: INELIGIBLE,
}


def path_allowed(status: str, targets: tuple[str, ...]) -> bool:
    """Can ``status`` go through ``targets`` one after another?"""
    for target in targets:
        if target not in TRANSITIONS.get(status, frozenset()):
            return False
        status = target
    return True


def available_actions(status: str, *, duplicate_open: bool = False) -> frozenset[str]:
    """The coordinator actions offered for an application in ``status``.

    ``duplicate_open``: the application is flagged as a possible duplicate and the
    flag is not resolved yet. Merging withdraws this application, so it needs the
    withdrawal to be possible; keeping both is always possible while the flag is open.
    """
    actions = {
        action
        for action, targets in MOVES.items()
        if ONLY_FROM.get(action, status) == status and path_allowed(status, targets)
    }
    # The queue position matters only while the application can still move: the
    # same statuses that can still be withdrawn.
    if WITHDRAW in actions:
        actions.add(CHANGE_PRIORITY)
    if duplicate_open:
        actions.add(KEEP_BOTH)
        if WITHDRAW in actions:
            actions.add(MERGE)
    return frozenset(actions)
