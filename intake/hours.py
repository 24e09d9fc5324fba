"""Reflective supervision / consultation hours and completion: pure rules.

Hours are never typed in: they come from the sessions a participant attended and the
program's credit rules (``Program.credit_minutes_per_session``, else the session's
length; capped by ``Program.credit_cap_minutes``). Completion: attended at least
``Program.completion_percent`` of the sessions held (cancelled ones do not count).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class HasCreditRules(Protocol):
    """What a program holds of the rules (``intake.models.Program``)."""

    credit_minutes_per_session: int | None
    credit_cap_minutes: int | None
    completion_percent: int


@dataclass(frozen=True)
class CreditRules:
    credit_minutes_per_session: int | None
    credit_cap_minutes: int | None
    completion_percent: int

    @classmethod
    def of(cls, program: HasCreditRules) -> CreditRules:
        """The rules a program sets."""
        return cls(
            credit_minutes_per_session=program.credit_minutes_per_session,
            credit_cap_minutes=program.credit_cap_minutes,
            completion_percent=program.completion_percent,
        )


@dataclass(frozen=True)
class HeldSession:
    """A session that took place (not cancelled), and whether this person was there."""

    minutes: int
    attended: bool


def credited_minutes(rules: CreditRules, sessions: Iterable[HeldSession]) -> int:
    """Minutes credited for the sessions attended, within the program's cap."""
    total = sum(
        rules.credit_minutes_per_session
        if rules.credit_minutes_per_session is not None
        else session.minutes
        for session in sessions
        if session.attended
    )
    if rules.credit_cap_minutes is not None:
        return min(total, rules.credit_cap_minutes)
    return total


def has_completed(rules: CreditRules, sessions: Iterable[HeldSession]) -> bool:
    """Attended at least the program's share of the sessions held (none held: no)."""
    held = list(sessions)
    if not held:
        return False
    attended = sum(1 for session in held if session.attended)
    # Whole numbers only: 8 of 10 at 80% completes, 7 of 10 does not.
    return attended * 100 >= rules.completion_percent * len(held)


def hours_text(minutes: int) -> str:
    """Minutes as hours for people: 720 → "12", 90 → "1.5", 80 → "1.33"."""
    hours = minutes / 60
    if hours == int(hours):
        return str(int(hours))
    return f"{hours:.2f}".rstrip("0")


# What a program's hours count toward, when its page names it: the 10-session groups
# are the Illinois association's, and their hours apply to the ILAIMH Infant/Early
# Childhood Mental Health credential. Other programs' letters speak in general of an
# Infant Mental Health Endorsement or credential application.
ILAIMH_CREDENTIAL = "ilaimh"
CREDENTIAL_BY_PROGRAM = {"reflective-practice-group": ILAIMH_CREDENTIAL}


def counts_toward(program_slug: str) -> str | None:
    """The credential a program's hours count toward (None: said in general)."""
    return CREDENTIAL_BY_PROGRAM.get(program_slug)
