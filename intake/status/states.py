"""The application status state machine: a pure transition table.

submitted → eligible → waitlisted → offered → enrolled → completed (or closed)
          ↘ needs_review ↗         ↘ declined / expired (→ waitlisted or closed)
          ↘ ineligible          waitlisted → inactive → waitlisted
any open status → withdrawn
ineligible → eligible (a coordinator's override, with a reason)
"""

from intake.i18n_markers import N_

SUBMITTED = "submitted"
ELIGIBLE = "eligible"
NEEDS_REVIEW = "needs_review"
INELIGIBLE = "ineligible"
WAITLISTED = "waitlisted"
OFFERED = "offered"
ENROLLED = "enrolled"
COMPLETED = "completed"
DECLINED = "declined"
EXPIRED = "expired"
INACTIVE = "inactive"
WITHDRAWN = "withdrawn"
CLOSED = "closed"

TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({ELIGIBLE, NEEDS_REVIEW, INELIGIBLE, WITHDRAWN}),
    NEEDS_REVIEW: frozenset({ELIGIBLE, INELIGIBLE, WITHDRAWN}),
    ELIGIBLE: frozenset({WAITLISTED, WITHDRAWN}),
    WAITLISTED: frozenset({OFFERED, INACTIVE, WITHDRAWN}),
    # → waitlisted: a coordinator took the offer back; the person keeps their place.
    OFFERED: frozenset({ENROLLED, DECLINED, EXPIRED, WAITLISTED, WITHDRAWN}),
    DECLINED: frozenset({WAITLISTED, CLOSED, WITHDRAWN}),
    EXPIRED: frozenset({WAITLISTED, CLOSED, WITHDRAWN}),
    INACTIVE: frozenset({WAITLISTED, WITHDRAWN}),
    # → closed: the group ended and they did not meet the program's completion rule.
    ENROLLED: frozenset({COMPLETED, CLOSED, WITHDRAWN}),
    # → eligible: a coordinator overrides the rules or reverses a decline, with a
    # reason (intake.casefile.services.override). Still not open: nothing else
    # leaves it, and it cannot be withdrawn (it is not on any list).
    INELIGIBLE: frozenset({ELIGIBLE}),
    COMPLETED: frozenset(),
    WITHDRAWN: frozenset(),
    CLOSED: frozenset(),
}

# Every status there is, in the table's order: also the CHECK constraint on
# applications.status (intake.models), so the two cannot drift apart.
STATUSES = tuple(TRANSITIONS)

OPEN_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if WITHDRAWN in targets)
# The same in a fixed order, for ``status IN (...)``: a frozenset's order changes with
# the process's hash seed, and with it the statement's text.
OPEN_IN_ORDER = tuple(sorted(OPEN_STATUSES))

# What each status means, said to the applicant.
APPLICANT_DESCRIPTIONS = {
    SUBMITTED: N_("We have your application."),
    ELIGIBLE: N_("You meet the requirements for this program."),
    NEEDS_REVIEW: N_(
        "A coordinator is looking at your answers. We will e-mail you when they have decided."
    ),
    INELIGIBLE: N_("This program is not the right fit this time."),
    WAITLISTED: N_(
        "You are on the waitlist. We will e-mail you when a seat in a group that fits you opens."
    ),
    OFFERED: N_("A seat is being held for you. Please answer the offer in your e-mail."),
    ENROLLED: N_("You have a seat in a group."),
    COMPLETED: N_("You have completed the group."),
    DECLINED: N_("You declined the seat you were offered."),
    EXPIRED: N_("The seat offer expired."),
    INACTIVE: N_("We did not hear back from you, so your place is paused."),
    WITHDRAWN: N_("You have left the list."),
    CLOSED: N_("This application is closed."),
}

LABELS = {
    SUBMITTED: N_("Submitted"),
    ELIGIBLE: N_("Eligible"),
    NEEDS_REVIEW: N_("Being reviewed"),
    INELIGIBLE: N_("Not eligible"),
    WAITLISTED: N_("On the waitlist"),
    OFFERED: N_("Seat offered"),
    ENROLLED: N_("Enrolled"),
    COMPLETED: N_("Completed"),
    DECLINED: N_("Declined"),
    EXPIRED: N_("Offer expired"),
    INACTIVE: N_("Paused"),
    WITHDRAWN: N_("Withdrawn"),
    CLOSED: N_("Closed"),
}


class TransitionNotAllowed(Exception):
    def __init__(self, current: str | None, target: str):
        super().__init__(f"cannot move an application from {current!r} to {target!r}")
        self.current = current
        self.target = target


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str | None, target: str) -> None:
    """Raise TransitionNotAllowed unless ``current → target`` is in the table.

    ``current`` is None only for a new application, which must start as submitted.
    """
    if current is None:
        if target != SUBMITTED:
            raise TransitionNotAllowed(current, target)
        return
    if not can_transition(current, target):
        raise TransitionNotAllowed(current, target)
