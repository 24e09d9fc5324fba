"""Participant rows as offers make and end them: the applicant of an accepted
individual offer joins the cohort, and leaving an enrolled application ends its
participants. Called by intake.offers.services in the offer's own transaction; it
imports no other feature, so offers can import it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import Application, Offer, OutboxMessage, Participant, ParticipantToken
from intake.rows import rows_changed

ACTIVE, REPLACED, WITHDRAWN, COMPLETED = "active", "replaced", "withdrawn", "completed"


def enroll_individual(offer: Offer, now: datetime) -> Participant | None:
    """The participant for an individual's accepted offer: one row per person and
    cohort, whoever gets there first (the unique index decides, inside a savepoint,
    so two accepts at once make one row). An agency's seats get participants as its
    director names them; None then."""
    application = offer.application
    applicant = application.applicant
    if applicant.kind == "agency":
        return None
    existing = _individual(applicant.id, offer.cohort_id)
    if existing is not None:
        return existing
    participant = Participant(
        application_id=application.id,
        cohort_id=offer.cohort_id,
        applicant_id=applicant.id,
        name=applicant.name,
        email=applicant.email,
        email_key=applicant.email_key,
        role=None,
        locale=applicant.locale,
        access_needs=list(applicant.access_needs or []),
        access_needs_other=applicant.access_needs_other,
        status=ACTIVE,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(participant)
    except IntegrityError:
        return _individual(applicant.id, offer.cohort_id)
    return participant


def _individual(applicant_id: int, cohort_id: int) -> Participant | None:
    return db.session.scalar(
        select(Participant).where(
            Participant.applicant_id == applicant_id, Participant.cohort_id == cohort_id
        )
    )


def end_for_withdrawal(application: Application, now: datetime) -> int:
    """An enrolled application withdrawn: its active participants (the person, or
    every staff member its director named) become "withdrawn". Returns how many."""
    return rows_changed(
        update(Participant)
        .where(Participant.application_id == application.id, Participant.status == ACTIVE)
        .values(status=WITHDRAWN, updated_at=now)
    )


def forget(application_ids: list[int], *, name: str, address: str, body: str, now: datetime):
    """ "Delete my data" (and the retention purge) for these applications: their
    participants keep only their place in the counts (status, dates); names, addresses,
    roles and access needs go, their links stop working, and e-mails to them are
    scrubbed (unsent ones dropped)."""
    if not application_ids:
        return
    ids = select(Participant.id).where(Participant.application_id.in_(application_ids))
    db.session.execute(
        delete(ParticipantToken)
        .where(ParticipantToken.participant_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.participant_id.in_(ids),
            OutboxMessage.status.in_(("queued", "failed")),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.participant_id.in_(ids))
        .values(to_addr=address, text_body=body, html_body=body, ics=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Participant)
        .where(Participant.application_id.in_(application_ids))
        .values(
            name=name,
            email=address,
            email_key=address,
            role=None,
            access_needs=[],
            access_needs_other=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
