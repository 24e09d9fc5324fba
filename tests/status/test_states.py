"""The application status state machine against the design's diagram."""

from __future__ import annotations

import itertools

import pytest

from intake.status.states import (
    APPLICANT_DESCRIPTIONS,
    LABELS,
    OPEN_STATUSES,
    TRANSITIONS,
    TransitionNotAllowed,
    can_transition,
    check_transition,
)

# The diagram in DESIGN.md, written out edge by edge.
OPEN = {
    "submitted",
    "needs_review",
    "eligible",
    "waitlisted",
    "offered",
    "inactive",
    "enrolled",
    "declined",
    "expired",
}
# Closed for good: no way out at all.
TERMINAL = {"completed", "withdrawn", "closed"}
# Closed, but not for good: a coordinator may override the rules (issue 12).
CLOSED_UNTIL_OVERRIDDEN = {"ineligible"}
DESIGN_EDGES = {
    ("offered", "waitlisted"),  # an offer rescinded by a coordinator
    ("submitted", "eligible"),
    ("eligible", "waitlisted"),
    ("waitlisted", "offered"),
    ("offered", "enrolled"),
    ("enrolled", "completed"),
    ("enrolled", "closed"),  # the group ended without meeting the completion rule
    ("submitted", "needs_review"),
    ("needs_review", "eligible"),
    ("submitted", "ineligible"),
    ("needs_review", "ineligible"),
    ("offered", "declined"),
    ("offered", "expired"),
    ("declined", "waitlisted"),
    ("declined", "closed"),
    ("expired", "waitlisted"),
    ("expired", "closed"),
    ("waitlisted", "inactive"),
    ("inactive", "waitlisted"),
    ("ineligible", "eligible"),  # a coordinator's override, with a reason
} | {(status, "withdrawn") for status in OPEN}
STATUSES = sorted(TRANSITIONS)
FORBIDDEN = sorted(set(itertools.product(STATUSES, STATUSES)) - DESIGN_EDGES)


def test_table_knows_exactly_the_design_statuses():
    assert set(TRANSITIONS) == {s for edge in DESIGN_EDGES for s in edge} | TERMINAL
    assert not CLOSED_UNTIL_OVERRIDDEN & TERMINAL
    assert len(TRANSITIONS) == 13


def test_table_has_exactly_the_design_edges():
    edges = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}
    assert edges == DESIGN_EDGES


@pytest.mark.parametrize(("current", "target"), sorted(DESIGN_EDGES))
def test_design_transition_is_allowed(current, target):
    assert can_transition(current, target)
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("waitlisted", "enrolled"),  # only through an offer
        ("submitted", "waitlisted"),  # only once eligible
        ("needs_review", "waitlisted"),
        ("ineligible", "waitlisted"),  # an override goes through eligible
        ("ineligible", "withdrawn"),  # not on any list, so nothing to withdraw
        ("completed", "withdrawn"),
        ("completed", "waitlisted"),
        ("withdrawn", "submitted"),
        ("withdrawn", "waitlisted"),
        ("closed", "waitlisted"),
        ("enrolled", "waitlisted"),
        ("declined", "offered"),
        ("expired", "enrolled"),
        ("inactive", "offered"),
        ("eligible", "offered"),
        ("waitlisted", "waitlisted"),
        ("eligible", "submitted"),
    ],
)
def test_representative_forbidden_transition_raises(current, target):
    assert not can_transition(current, target)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        check_transition(current, target)
    assert excinfo.value.current == current
    assert excinfo.value.target == target
    assert repr(current) in str(excinfo.value)
    assert repr(target) in str(excinfo.value)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_every_transition_outside_the_design_is_forbidden(current, target):
    assert not can_transition(current, target)
    with pytest.raises(TransitionNotAllowed):
        check_transition(current, target)


@pytest.mark.parametrize("target", STATUSES)
def test_withdrawn_has_no_way_out(target):
    with pytest.raises(TransitionNotAllowed):
        check_transition("withdrawn", target)


def test_new_application_starts_as_submitted():
    check_transition(None, "submitted")


@pytest.mark.parametrize("target", [s for s in STATUSES if s != "submitted"])
def test_new_application_cannot_start_anywhere_else(target):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        check_transition(None, target)
    assert excinfo.value.current is None
    assert excinfo.value.target == target


def test_nothing_goes_back_to_submitted():
    assert all("submitted" not in targets for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("current", "target"),
    [("bogus", "submitted"), ("submitted", "bogus"), ("", "eligible"), ("Submitted", "eligible")],
)
def test_unknown_statuses_are_refused(current, target):
    assert not can_transition(current, target)
    with pytest.raises(TransitionNotAllowed):
        check_transition(current, target)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_status_has_no_exits(status):
    assert TRANSITIONS[status] == frozenset()


def test_terminal_statuses_are_exactly_those_without_exits():
    assert {s for s, targets in TRANSITIONS.items() if not targets} == TERMINAL


def test_open_statuses():
    assert OPEN_STATUSES == OPEN
    assert not OPEN_STATUSES & TERMINAL
    assert not OPEN_STATUSES & CLOSED_UNTIL_OVERRIDDEN


def test_ineligible_leaves_only_by_an_override_to_eligible():
    assert TRANSITIONS["ineligible"] == frozenset({"eligible"})


@pytest.mark.parametrize("status", sorted(OPEN))
def test_open_status_can_be_withdrawn(status):
    check_transition(status, "withdrawn")


def test_every_target_is_itself_a_status():
    for current, targets in TRANSITIONS.items():
        assert targets <= set(TRANSITIONS), current


def test_every_status_is_reachable_from_submitted():
    seen = {"submitted"}
    todo = ["submitted"]
    while todo:
        for target in TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(TRANSITIONS)


def test_happy_path_walks_from_nothing_to_completed():
    path = [None, "submitted", "eligible", "waitlisted", "offered", "enrolled", "completed"]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)


def test_check_in_round_trip_returns_to_the_waitlist():
    for current, target in itertools.pairwise(["waitlisted", "inactive", "waitlisted"]):
        check_transition(current, target)


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_a_label_and_description(status):
    assert LABELS[status].strip()
    assert APPLICANT_DESCRIPTIONS[status].strip()


def test_labels_and_descriptions_cover_exactly_the_statuses():
    assert set(LABELS) == set(TRANSITIONS)
    assert set(APPLICANT_DESCRIPTIONS) == set(TRANSITIONS)


def test_labels_tell_statuses_apart():
    assert len(set(LABELS.values())) == len(LABELS)
    assert len(set(APPLICANT_DESCRIPTIONS.values())) == len(APPLICANT_DESCRIPTIONS)


def test_transition_not_allowed_is_an_exception():
    assert issubclass(TransitionNotAllowed, Exception)
