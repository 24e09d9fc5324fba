"""Entering an application on someone's behalf (phone or paper intake).

The same rules and the same submit service as the public forms: the coordinator's
part is only which programs they may enter for (their scope) and the mark of who
entered it and how. Functions flush and never commit; the view commits once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from intake.applications.services import submit_application
from intake.auth.scope import Scope
from intake.models import Applicant, Coordinator, Program
from intake.programs.services import open_programs

VIA = ("phone", "paper")


class OutOfScope(Exception):
    """A program the coordinator does not coordinate."""


def programs_for(scope: Scope, kind: str) -> list[Program]:
    """The open programs of ``kind`` a coordinator with ``scope`` may enter for."""
    return [p for p in open_programs(kind) if scope.allows(p.id)]


def enter_application(
    *,
    coordinator: Coordinator,
    scope: Scope,
    via: str,
    kind: str,
    programs: Sequence[Program],
    answers: Mapping[str, Any],
    details: Mapping[str, Any],
    locale: str,
    form_token: str,
    now: datetime,
) -> Applicant:
    """Submit the application as the public form does (rules, decision, statuses,
    duplicate flags, the "received" e-mail in ``locale``), marked as entered by
    ``coordinator`` ``via`` phone or paper.

    Raises OutOfScope for a program outside ``scope``, and what
    ``submit_application`` raises (NotEligible when a rule fails a program).
    """
    if via not in VIA:
        raise ValueError(f"unknown way in {via!r}")
    outside = [p.slug for p in programs if not scope.allows(p.id)]
    if outside:
        raise OutOfScope(", ".join(outside))
    return submit_application(
        kind=kind,
        entered_by=coordinator,
        entered_via=via,
        programs=programs,
        answers=answers,
        details=details,
        locale=locale,
        form_token=form_token,
        now=now,
    )
