"""Submitting an application: rows, decision, events and e-mail in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Join,
    Select,
    bindparam,
    literal,
    select,
    union_all,
)

from intake.cycles.services import taking_windows
from intake.cycles.windows import Availability
from intake.eligibility.rules import FAIL, PASS, evaluate
from intake.extensions import db
from intake.fields import column_length
from intake.inputs import clean_text
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Coordinator,
    Program,
    SelfIdentification,
    table_of,
)
from intake.outbox.services import enqueue
from intake.programs.services import reply_address
from intake.references import new_reference
from intake.status import states
from intake.status.services import move

# Answers that are sensitive: kept in SelfIdentification, never in Applicant.answers.
SENSITIVE_ANSWERS = ("bipoc",)
FORM_TOKEN_LENGTH = column_length(Applicant.form_token)


class NotEligible(Exception):
    """A program was chosen whose rules fail for these answers."""


def find_by_form_token(form_token: str) -> Applicant | None:
    """The applicant this form token made, if any. The value is cleaned as the form
    cleans it (a form sent back without its screener answers is looked up straight from
    the post): PostgreSQL refuses a NUL, and a value longer than any token finds none."""
    token, _removed = clean_text(form_token, multiline=False)
    if not token or len(token) > FORM_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(Applicant).where(Applicant.form_token == token))


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
    known: Mapping[int, Availability] | None = None,
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
    ProgramClosed; each application keeps the window (cycle) it came in. ``known``:
    the programs' availability at ``now`` when the caller has read it already (the
    form page does, in the same request), so the windows are not read twice.

    Round trips (issue 13): one query for possible duplicates, then one flush. The
    references are not looked up first: 29**8 values make a clash vanishingly rare,
    and the unique constraint refuses one at flush (IntegrityError, like a replayed
    form token; the view sends the form again once). The e-mail's row is inserted
    with the commit: its dedup key names this new applicant, so nothing can hold it.
    """
    windows = taking_windows(programs, now, known)
    decisions = {p.id: evaluate(p.rule_keys, answers) for p in programs}
    refused = [p.slug for p in programs if decisions[p.id].outcome == FAIL]
    if refused:
        raise NotEligible(", ".join(refused))

    agency = (
        AgencyDetails(**details["agency"], agency_key=agency_key(details["agency"]["agency_name"]))
        if details.get("agency")
        else None
    )
    duplicates = possible_duplicates(
        programs,
        details["email"].lower(),
        (agency.agency_key, agency.zip) if agency is not None else None,
    )
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
        # Every relationship given, empty ones too: nothing is loaded from the
        # database when read after the flush (the e-mail's template reads them).
        applications=[],
        agency=agency,
        self_identification=(
            SelfIdentification(bipoc=answers.get("bipoc"))
            if any(answers.get(k) is not None for k in SENSITIVE_ANSWERS)
            else None
        ),
    )
    db.session.add(applicant)

    for program in programs:
        decision = decisions[program.id]
        duplicate_of_id, duplicate_reason = duplicates.get(program.id, (None, None))
        application = Application(
            applicant=applicant,
            program=program,
            reference=new_reference(),
            duplicate_of_id=duplicate_of_id,
            duplicate_reason=duplicate_reason,
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
    # One flush, table by table (a replayed form token stops at the first INSERT).
    db.session.flush()

    enqueue(
        template="application_received",
        to=applicant.email,
        dedup_key=f"received:{applicant.id}",
        locale=locale,
        now=now,
        reply_to=reply_address(programs[0]),
        applicant_id=applicant.id,
        context={"applicant": applicant, "applications": applicant.applications},
        new_key=True,
    )
    return applicant


# Words that do not make two agency names different.
_NAME_NOISE = {"the", "inc", "incorporated", "llc", "pllc", "corp", "corporation", "co", "ltd"}


def agency_key(name: str) -> str:
    """An agency's name reduced to what identifies it: "The Kids' Place, Inc." and
    "kids place" are the same agency."""
    words = "".join(ch if ch.isalnum() else " " for ch in name.casefold().replace("'", "")).split()
    return "".join(w for w in words if w not in _NAME_NOISE)[:200]


# The duplicates query, built once. Building its selects and their union on every
# application took 0.8 ms of the POST in process (PostgreSQL, issue 13), more than the
# query itself; the tables' columns spare the ORM's handling of a select that loads no
# entity (as intake.screener.drafts does). A Core select does not flush the session
# first: it runs before the new rows are added, and nothing pending is a duplicate.
_APPLICATIONS = table_of(Application)
_APPLICANTS = table_of(Applicant)
_AGENCIES = table_of(AgencyDetails)


def _open_matching(reason: str, joined: Join) -> Select:
    return (
        select(_APPLICATIONS.c.program_id, _APPLICATIONS.c.id, literal(reason).label("reason"))
        .select_from(joined)
        .where(
            _APPLICATIONS.c.program_id.in_(bindparam("program_ids", expanding=True)),
            _APPLICATIONS.c.status.in_(states.OPEN_IN_ORDER),
        )
    )


_BY_APPLICANT = _APPLICATIONS.join(_APPLICANTS, _APPLICANTS.c.id == _APPLICATIONS.c.applicant_id)
_SAME_EMAIL = _open_matching("same_email", _BY_APPLICANT).where(
    _APPLICANTS.c.email_key == bindparam("email_key")
)
_SAME_EMAIL_OR_AGENCY = union_all(
    _SAME_EMAIL,
    _open_matching(
        "same_agency",
        _BY_APPLICANT.join(_AGENCIES, _AGENCIES.c.applicant_id == _APPLICANTS.c.id),
    ).where(
        _AGENCIES.c.agency_key == bindparam("agency_key"),
        _AGENCIES.c.zip == bindparam("agency_zip"),
    ),
)


def possible_duplicates(
    programs: Sequence[Program], email_key: str, agency: tuple[str, str] | None
) -> dict[int, tuple[int, str]]:
    """For each program, an open application that looks like the same person (same
    ``email_key``) or, failing that, the same agency (``agency``: its key and ZIP):
    the oldest one's id and the reason. One query (each half by its own index),
    before the new rows exist. Nothing is merged: a coordinator decides."""
    params: dict[str, Any] = {"program_ids": [p.id for p in programs], "email_key": email_key}
    statement: Select | CompoundSelect
    if agency is None:
        statement = _SAME_EMAIL
    else:
        statement = _SAME_EMAIL_OR_AGENCY
        params["agency_key"], params["agency_zip"] = agency
    found: dict[int, tuple[int, str]] = {}
    # Few rows, sorted here: SQLite cannot ORDER BY a column of a compound SELECT
    # whose parts name it through a join.
    rows = sorted(db.session.execute(statement, params).all(), key=lambda row: row[1])
    for reason in ("same_email", "same_agency"):
        for program_id, application_id, row_reason in rows:
            if row_reason == reason:
                found.setdefault(program_id, (application_id, reason))
    return found
