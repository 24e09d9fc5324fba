"""The end of a group and its letters.

When a cohort's last scheduled session has ended, the waitlist tick processes the
group once (``complete_due``): the database decides which tick does it, with a
conditional UPDATE on ``Cohort.completed_at``. Each active participant who meets the
program's completion rule (intake.hours) is marked completed and gets a letter of
their reflective supervision / consultation hours by e-mail, the PDF attached. An
individual's application becomes ``completed``, or ``closed`` when they did not meet
the rule; an agency's application is ``completed`` when its group ends.

A letter's facts are fixed when it is issued; the PDF is drawn from them when asked
for (intake.letters.pdf). Re-issuing after a correction makes a new letter from the
data as it is now and marks the old one replaced.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload

from intake.extensions import db
from intake.hours import (
    ILAIMH_CREDENTIAL,
    CreditRules,
    HeldSession,
    counts_toward,
    credited_minutes,
    has_completed,
    hours_text,
)
from intake.i18n_markers import N_
from intake.links import public_url_for
from intake.models import (
    Applicant,
    Application,
    Attendance,
    AuditEvent,
    Cohort,
    CohortSession,
    Coordinator,
    Letter,
    Offer,
    Participant,
)
from intake.outbox.services import enqueue
from intake.programs.services import reply_address
from intake.references import ALPHABET
from intake.rows import update_guarded
from intake.status import states
from intake.status.services import claim, move, require_reason

log = logging.getLogger(__name__)

ACTIVE, COMPLETED = "active", "completed"
PRESENT = "present"
SCHEDULED = "scheduled"

# Why an individual's application closes when the group ends without them meeting
# the rule; stored with the status event (English, like every event's reason).
NOT_COMPLETED_REASON = (
    "The group has ended. They attended {attended} of {held} sessions; "
    "{percent}% were needed to complete it."
)
AGENCY_REASON = "The group has ended."
COMPLETED_REASON = "The group has ended and they met the program's completion rule."

# The letter's title, shown on the verification page and the PDF.
LETTER_TITLE = N_("Letter of reflective supervision / consultation hours")


class NotCompleted(Exception):
    """A letter was asked for someone who has not completed the group."""


class LetterExists(Exception):
    """The participant has a current letter already (issued a moment ago)."""


class LetterReplaced(Exception):
    """The letter to re-issue was replaced already (by someone a moment ago)."""


# Codes ---------------------------------------------------------------------------------

CODE_GROUPS = 3


def new_code() -> str:
    """A verification code people can read and type: three groups of four from the
    reference numbers' alphabet (no look-alikes), 29**12 ≈ 3.5e17 values."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(4 * CODE_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def normalise_code(typed: str) -> str | None:
    """A typed code in its stored form ("abcd efgh-jkmn" → "ABCD-EFGH-JKMN"), or None
    when it cannot be one. Look-alikes are read as what they look like: O→0 is not in
    the alphabet, so such a code simply does not exist."""
    chars = "".join(c for c in typed.upper() if c.isalnum())
    if len(chars) != 4 * CODE_GROUPS or any(c not in ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


# Facts -----------------------------------------------------------------------------------


def held_sessions(cohort: Cohort) -> list[CohortSession]:
    """The sessions that took place: scheduled (not cancelled), in order."""
    return list(
        db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort.id, CohortSession.status == SCHEDULED)
            .order_by(CohortSession.starts_at, CohortSession.id)
        )
    )


def attended_ids(sessions: Sequence[CohortSession], participant_ids: Iterable[int]) -> set:
    """(participant id, session id) of every attendance marked present."""
    ids = list(participant_ids)
    if not sessions or not ids:
        return set()
    rows = db.session.execute(
        select(Attendance.participant_id, Attendance.session_id).where(
            Attendance.session_id.in_([s.id for s in sessions]),
            Attendance.participant_id.in_(ids),
            Attendance.status == PRESENT,
        )
    )
    return {tuple(row) for row in rows}


def _held(sessions: Sequence[CohortSession], participant_id: int, present: set):
    return [
        HeldSession(minutes=s.minutes, attended=(participant_id, s.id) in present) for s in sessions
    ]


def _local_day(when: datetime) -> str:
    """The session's date where the programs are (BABEL_DEFAULT_TIMEZONE), ISO."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return when.astimezone(zone).date().isoformat()


def letter_facts(participant: Participant, sessions: Sequence[CohortSession], present: set) -> dict:
    """What a letter states, from the data as it is now: what an Infant Mental Health
    Endorsement application asks for. Never anything about what was discussed."""
    cohort = participant.cohort
    program = cohort.program
    held = _held(sessions, participant.id, present)
    attended = [s for s in sessions if (participant.id, s.id) in present]
    return {
        "participant": participant.name,
        "program": program.name,
        "cohort": cohort.name,
        "facilitator": cohort.facilitator,
        "credential": cohort.facilitator_credential or "",
        "first_date": _local_day(sessions[0].starts_at) if sessions else None,
        "last_date": _local_day(sessions[-1].starts_at) if sessions else None,
        "sessions_held": len(sessions),
        "sessions": [{"date": _local_day(s.starts_at), "minutes": s.minutes} for s in attended],
        "credited_minutes": credited_minutes(CreditRules.of(program), held),
        **({"counts_toward": toward} if (toward := counts_toward(program.slug)) else {}),
    }


# Issuing ---------------------------------------------------------------------------------


def current_letter(participant_id: int) -> Letter | None:
    return db.session.scalar(
        select(Letter).where(Letter.participant_id == participant_id, Letter.replaced_at.is_(None))
    )


def _new_letter(participant: Participant, facts: dict, now: datetime, by_id) -> Letter:
    # A code that happens to exist already (1 in 1e17) is drawn again.
    for _attempt in range(5):
        letter = Letter(
            participant_id=participant.id,
            code=new_code(),
            facts=facts,
            locale=participant.locale,
            issued_at=now,
            issued_by_id=by_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(letter)
        except IntegrityError:
            # The unique index on current letters, or (1 in 1e17) a code taken.
            if current_letter(participant.id) is not None:
                raise LetterExists(participant.id) from None
            continue
        return letter
    raise RuntimeError("no free verification code")


def _send_letter(participant: Participant, letter: Letter, now: datetime, *, reissued: bool):
    cohort = participant.cohort
    program = cohort.program
    individual = participant.applicant_id is not None
    enqueue(
        template="letter_issued",
        to=participant.email,
        dedup_key=f"letter:{letter.id}",
        locale=participant.locale,
        now=now,
        reply_to=reply_address(program),
        applicant_id=participant.applicant_id if individual else None,
        application_id=participant.application_id if individual else None,
        participant_id=participant.id,
        letter_id=letter.id,
        program_id=program.id,
        context={
            "name": participant.name,
            "program": program,
            "cohort": cohort.name,
            "facts": letter.facts,
            "ilaimh": letter.facts.get("counts_toward") == ILAIMH_CREDENTIAL,
            "hours": hours_of(letter),
            "code": letter.code,
            "verify_url": public_url_for("verify.show", code=letter.code),
            "reissued": reissued,
        },
    )


def issue_letter(
    participant: Participant,
    now: datetime,
    *,
    sessions: Sequence[CohortSession] | None = None,
    present: set | None = None,
    by: Coordinator | None = None,
) -> Letter:
    """A letter for a participant who completed the group, e-mailed with its PDF.
    Raises NotCompleted otherwise."""
    if participant.status != COMPLETED:
        raise NotCompleted(participant.id)
    if sessions is None:
        sessions = held_sessions(participant.cohort)
    if present is None:
        present = attended_ids(sessions, [participant.id])
    letter = _new_letter(
        participant, letter_facts(participant, sessions, present), now, by.id if by else None
    )
    _send_letter(participant, letter, now, reissued=False)
    return letter


def issue_for_cohort(cohort: Cohort, now: datetime, *, by: Coordinator | None) -> list[Letter]:
    """A letter for every completed participant of ``cohort`` without a current one.

    Two coordinators pressing the button at once: the cohort's row is taken first
    (a conditional UPDATE that changes nothing but waits for the other's commit), so
    the second sees the first one's letters and makes none."""
    update_guarded(update(Cohort).where(Cohort.id == cohort.id).values(id=cohort.id))
    sessions = held_sessions(cohort)
    lettered = select(Letter.participant_id).where(Letter.replaced_at.is_(None))
    waiting = list(
        db.session.scalars(
            select(Participant)
            .where(
                Participant.cohort_id == cohort.id,
                Participant.status == COMPLETED,
                Participant.id.not_in(lettered),
            )
            .order_by(Participant.id)
        )
    )
    present = attended_ids(sessions, [p.id for p in waiting])
    made = []
    for participant in waiting:
        try:
            made.append(issue_letter(participant, now, sessions=sessions, present=present, by=by))
        except LetterExists:
            continue
    return made


def reissue(letter: Letter, now: datetime, *, by: Coordinator | None, reason: str | None) -> Letter:
    """A new letter from the data as it is now (after a correction of attendance, a
    name, the facilitator's credential …); the old one is marked replaced by it, and
    the participant gets the new one by e-mail. The reason is kept on the
    application's record. Raises LetterReplaced when it was replaced already."""
    reason = require_reason(reason, "Say what was corrected.")
    participant = letter.participant
    if participant.status != COMPLETED:
        raise NotCompleted(participant.id)
    # The old letter is taken by a conditional UPDATE: of two re-issues at once, one.
    if not update_guarded(
        update(Letter)
        .where(Letter.id == letter.id, Letter.replaced_at.is_(None))
        .values(replaced_at=now)
    ):
        raise LetterReplaced(letter.id)
    sessions = held_sessions(participant.cohort)
    present = attended_ids(sessions, [participant.id])
    new = _new_letter(
        participant, letter_facts(participant, sessions, present), now, by.id if by else None
    )
    db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id)
        .values(replaced_by_id=new.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(letter)
    db.session.add(
        AuditEvent(
            application_id=participant.application_id,
            actor_id=by.id if by else None,
            kind="letter_reissued",
            detail={"participant": participant.name, "old": letter.code, "new": new.code},
            reason=reason,
            created_at=now,
        )
    )
    _send_letter(participant, new, now, reissued=True)
    return new


def hours_of(letter: Letter) -> str:
    """The letter's credited hours for people ("12", "1.5")."""
    return hours_text(int(letter.facts.get("credited_minutes") or 0))


# The end of a group ------------------------------------------------------------------------


@dataclass
class GroupEnd:
    cohort_id: int
    completed: int = 0
    not_completed: int = 0
    letters: int = 0


def due_cohorts(now: datetime) -> list[Cohort]:
    """Cohorts not yet processed whose last scheduled session has ended."""
    last = (
        select(CohortSession.cohort_id, func.max(CohortSession.starts_at).label("last"))
        .where(CohortSession.status == SCHEDULED)
        .group_by(CohortSession.cohort_id)
        .subquery()
    )
    cohorts = db.session.scalars(
        select(Cohort)
        .join(last, last.c.cohort_id == Cohort.id)
        .where(Cohort.completed_at.is_(None), last.c.last <= now)
        .options(joinedload(Cohort.program))
        .order_by(Cohort.id)
    )
    due = []
    for cohort in cohorts:
        sessions = held_sessions(cohort)
        # The last session's start has passed; it must also have ended.
        ends = max(s.starts_at + timedelta(minutes=s.minutes) for s in sessions)
        if ends <= now:
            due.append(cohort)
    return due


def complete_due(now: datetime) -> int:
    """The tick's step: process every group that has ended. Returns how many.

    Each group in a savepoint of its own: one that fails (logged) is left for the
    next tick without holding back the others."""
    done = 0
    for cohort in due_cohorts(now):
        try:
            with db.session.begin_nested():
                if end_group(cohort, now) is not None:
                    done += 1
        except SQLAlchemyError:
            log.exception("ending group %s failed; the next tick tries again", cohort.id)
    return done


def end_group(cohort: Cohort, now: datetime) -> GroupEnd | None:
    """Process the end of ``cohort`` once: None when another tick did (or does) it."""
    if not update_guarded(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.completed_at.is_(None))
        .values(completed_at=now)
    ):
        return None
    db.session.refresh(cohort)
    result = GroupEnd(cohort.id)
    rules = CreditRules.of(cohort.program)
    sessions = held_sessions(cohort)
    participants = list(
        db.session.scalars(
            select(Participant)
            .where(Participant.cohort_id == cohort.id, Participant.status == ACTIVE)
            .order_by(Participant.id)
        )
    )
    present = attended_ids(sessions, [p.id for p in participants])
    outcome: dict[int, bool] = {}
    shortfall: dict[int, str] = {}
    # Who did not meet the rule, by application, with what they attended: told kindly
    # by e-mail once their application is closed.
    missed: dict[int, tuple[Participant, int, int, int]] = {}
    for participant in participants:
        held = _held(sessions, participant.id, present)
        if has_completed(rules, held):
            participant.status = COMPLETED
            participant.completed_at = now
            participant.updated_at = now
            result.completed += 1
            try:
                issue_letter(participant, now, sessions=sessions, present=present)
                result.letters += 1
            except LetterExists:
                pass  # a coordinator issued it a moment ago
            outcome[participant.application_id] = True
        else:
            result.not_completed += 1
            outcome.setdefault(participant.application_id, False)
            attended = sum(1 for h in held if h.attended)
            shortfall[participant.application_id] = NOT_COMPLETED_REASON.format(
                attended=attended,
                held=len(held),
                percent=rules.completion_percent,
            )
            if participant.applicant_id is not None:
                missed[participant.application_id] = (
                    participant,
                    attended,
                    len(held),
                    credited_minutes(rules, held),
                )
    db.session.flush()
    for application in _enrolled_applications(cohort, outcome):
        if application.applicant.kind == "agency":
            target, reason = states.COMPLETED, AGENCY_REASON
        elif outcome.get(application.id):
            target, reason = states.COMPLETED, COMPLETED_REASON
        else:
            target, reason = states.CLOSED, shortfall[application.id]
        try:
            claim(application, states.ENROLLED, target, now)
        except states.TransitionNotAllowed:
            continue  # withdrawn meanwhile, or moved by a coordinator
        move(application, target, actor="system", now=now, reason=reason)
        if target == states.CLOSED and application.id in missed:
            _send_group_ended(*missed[application.id], now)
    db.session.flush()
    return result


def _send_group_ended(participant: Participant, attended: int, held: int, minutes: int, now):
    """A kind note to an individual whose application closed when the group ended
    without them meeting the completion rule: what they attended, that their hours
    are still theirs, and how to take part again."""
    cohort = participant.cohort
    program = cohort.program
    enqueue(
        template="group_ended",
        to=participant.email,
        dedup_key=f"group_ended:{participant.id}",
        locale=participant.locale,
        now=now,
        reply_to=reply_address(program),
        applicant_id=participant.applicant_id,
        application_id=participant.application_id,
        participant_id=participant.id,
        program_id=program.id,
        context={
            "name": participant.name,
            "program": program,
            "ilaimh": counts_toward(program.slug) == ILAIMH_CREDENTIAL,
            "cohort": cohort.name,
            "attended": attended,
            "held": held,
            "percent": program.completion_percent,
            "hours": hours_text(minutes),
            "apply_url": public_url_for("home.index"),
        },
    )


def _enrolled_applications(cohort: Cohort, outcome: dict[int, bool]) -> list[Application]:
    """Enrolled applications of this group: the individuals who took part in it
    (their participant rows) and the agencies whose seats in it were accepted."""
    agencies = (
        select(Offer.application_id)
        .join(Application, Application.id == Offer.application_id)
        .join(Applicant, Applicant.id == Application.applicant_id)
        .where(Offer.cohort_id == cohort.id, Offer.status == "accepted")
        .where(Applicant.kind == "agency")
    )
    return list(
        db.session.scalars(
            select(Application)
            .where(
                Application.status == states.ENROLLED,
                Application.id.in_(list(outcome)) | Application.id.in_(agencies),
            )
            .options(joinedload(Application.applicant))
            .order_by(Application.id)
        )
    )


# Verification ---------------------------------------------------------------------------


def find_letter(code: str) -> Letter | None:
    normal = normalise_code(code)
    if normal is None:
        return None
    return db.session.scalar(select(Letter).where(Letter.code == normal))


def letters_of_cohort(cohort: Cohort) -> list[tuple[Participant, Letter | None]]:
    """Every participant of the cohort with their current letter (None: none yet)."""
    rows = db.session.execute(
        select(Participant, Letter)
        .outerjoin(Letter, (Letter.participant_id == Participant.id) & Letter.replaced_at.is_(None))
        .where(Participant.cohort_id == cohort.id)
        .order_by(Participant.name, Participant.id)
    )
    return [(participant, letter) for participant, letter in rows]


def replaced_letters(participant_ids: Iterable[int]) -> dict[int, list[Letter]]:
    ids = list(participant_ids)
    found: dict[int, list[Letter]] = defaultdict(list)
    if not ids:
        return found
    for letter in db.session.scalars(
        select(Letter)
        .where(Letter.participant_id.in_(ids), Letter.replaced_at.is_not(None))
        .order_by(Letter.issued_at)
    ):
        found[letter.participant_id].append(letter)
    return found
