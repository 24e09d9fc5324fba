"""Submitting an application: rows, decision, events and e-mail in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from intake.cycles.services import taking_windows
from intake.eligibility.rules import FAIL, PASS, evaluate
from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Coordinator,
    Program,
    SelfIdentification,
)
from intake.outbox.services import enqueue
from intake.programs.services import reply_address
from intake.references import new_reference
from intake.status import states
from intake.status.services import move

# Answers that are sensitive: kept in SelfIdentification, never in Applicant.answers.
SENSITIVE_ANSWERS = ("bipoc",)


class NotEligible(Exception):
    """A program was chosen whose rules fail for these answers."""


def find_by_form_token(form_token: str) -> Applicant | None:
    return db.session.scalar(select(Applicant).where(Applicant.form_token == form_token))


def submit_application(
    *,
    kind: str,
    entered_by: Coordinator | None = None,
    entered_via: str | None = None,
    programs: Sequence[Program],
    answers: Mapping[str, Any],
    details: Mapping[str, Any],
    locale: str,
    form_token: str,
    now: datetime,
) -> Applicant:
    """Create the applicant and one application per program, decided by the rules.

    Each application is ``waitlisted`` when every rule passes and ``needs_review``
    when any asks for review; the decision with each rule's reason is stored. The
    "application received" e-mail is queued in the same transaction. Flushes; the
    caller commits. A form token seen before raises nothing here: the unique
    constraint on ``form_token`` makes the second insert fail at flush.

    ``entered_by``: the coordinator who entered the form on the person's behalf
    (intake.entry), ``entered_via`` how it reached them ("phone" or "paper").

    A program that takes no applications at ``now`` (its cycle is closed) raises
    ProgramClosed; each application keeps the window (cycle) it came in.
    """
    windows = taking_windows(programs, now)
    decisions = {p.id: evaluate(p.rule_keys, answers) for p in programs}
    refused = [p.slug for p in programs if decisions[p.id].outcome == FAIL]
    if refused:
        raise NotEligible(", ".join(refused))

    applicant = Applicant(
        kind=kind,
        name=details["name"],
        email=details["email"],
        email_key=details["email"].lower(),
        phone=details.get("phone"),
        organisation=details.get("organisation"),
        work_zip=details.get("work_zip"),
        roles=list(answers.get("roles") or []),
        role_other=answers.get("role_other"),
        availability_slots=[
            ApplicantAvailability(slot=slot) for slot in details.get("availability") or []
        ],
        access_needs=list(details.get("access_needs") or []),
        access_needs_other=details.get("access_needs_other"),
        consent_contact=bool(details.get("consent_contact")),
        locale=locale,
        answers={k: v for k, v in answers.items() if k not in SENSITIVE_ANSWERS},
        form_token=form_token,
        entered_by_id=entered_by.id if entered_by else None,
        entered_via=entered_via if entered_by else None,
        created_at=now,
        languages=[ApplicantLanguage(code=code) for code in details.get("languages") or []],
    )
    if details.get("agency"):
        applicant.agency = AgencyDetails(
            **details["agency"], agency_key=agency_key(details["agency"]["agency_name"])
        )
    if any(answers.get(k) is not None for k in SENSITIVE_ANSWERS):
        applicant.self_identification = SelfIdentification(bipoc=answers.get("bipoc"))
    db.session.add(applicant)
    db.session.flush()  # a replayed form token stops here, before anything else

    for program in programs:
        decision = decisions[program.id]
        application = Application(
            applicant=applicant,
            program=program,
            reference=_unused_reference(),
            status=None,
            decision=decision.to_dict(),
            priority=0,
            seats_requested=details.get("seats_requested", 1),
            window=windows[program.id],
            created_at=now,
            updated_at=now,
        )
        db.session.add(application)
        submitted = move(application, states.SUBMITTED, actor="applicant", now=now)
        if entered_by is not None:
            submitted.actor, submitted.actor_id = "coordinator", entered_by.id
            submitted.reason = f"Entered on the applicant's behalf ({entered_via})."
        if decision.outcome == PASS:
            move(
                application,
                states.ELIGIBLE,
                actor="system",
                now=now,
                reason="All eligibility rules passed.",
            )
            move(application, states.WAITLISTED, actor="system", now=now)
        else:
            move(
                application,
                states.NEEDS_REVIEW,
                actor="system",
                now=now,
                reason="A rule asked for a coordinator's review: "
                + ", ".join(f"{r.key} ({r.reason})" for r in decision.problems),
            )
    db.session.flush()
    for application in applicant.applications:
        flag_possible_duplicate(application)

    enqueue(
        template="application_received",
        to=applicant.email,
        dedup_key=f"received:{applicant.id}",
        locale=locale,
        now=now,
        reply_to=reply_address(programs[0]),
        applicant_id=applicant.id,
        context={"applicant": applicant, "applications": applicant.applications},
    )
    return applicant


# Words that do not make two agency names different.
_NAME_NOISE = {"the", "inc", "incorporated", "llc", "pllc", "corp", "corporation", "co", "ltd"}


def agency_key(name: str) -> str:
    """An agency's name reduced to what identifies it: "The Kids' Place, Inc." and
    "kids place" are the same agency."""
    words = "".join(ch if ch.isalnum() else " " for ch in name.casefold().replace("'", "")).split()
    return "".join(w for w in words if w not in _NAME_NOISE)[:200]


def flag_possible_duplicate(application: Application) -> None:
    """Point a new application at an open one for the same program that looks like
    the same person (same e-mail) or agency (same name and ZIP). Nothing is merged:
    a coordinator decides."""
    open_for_program = select(Application.id).where(
        Application.program_id == application.program.id,
        Application.status.in_(states.OPEN_STATUSES),
    )
    applicant = application.applicant
    same_email = db.session.scalar(
        open_for_program.join(Applicant)
        .where(Applicant.email_key == applicant.email_key, Applicant.id != applicant.id)
        .order_by(Application.id)
        .limit(1)
    )
    if same_email is not None:
        application.duplicate_of_id, application.duplicate_reason = same_email, "same_email"
        return
    if applicant.agency is not None:
        same_agency = db.session.scalar(
            open_for_program.join(Applicant)
            .join(AgencyDetails)
            .where(
                AgencyDetails.agency_key == applicant.agency.agency_key,
                AgencyDetails.zip == applicant.agency.zip,
                Applicant.id != applicant.id,
            )
            .order_by(Application.id)
            .limit(1)
        )
        if same_agency is not None:
            application.duplicate_of_id = same_agency
            application.duplicate_reason = "same_agency"


def _unused_reference() -> str:
    while True:
        reference = new_reference()
        taken = db.session.scalar(select(Application.id).where(Application.reference == reference))
        if taken is None:
            return reference
