"""The evaluation survey: inviting participants once their group has ended, and
keeping one anonymous response per participant.

Anonymity: a ``SurveyResponse`` names the cohort, the language and the day only,
and the person only when they ticked "you may use my name". A ``SurveyReceipt``
(keyed by the participant) records that they answered, so they answer once; its time
is kept to the day too, so that ordering receipts by time cannot be matched with the
order of the responses. Both are written in one transaction: the receipt's primary
key decides a double submit or two tabs at once, and the loser writes nothing.

Functions take ``now``, flush and never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.links import SurveyLink
from intake.models import (
    Cohort,
    CohortSession,
    OutboxMessage,
    Participant,
    SurveyReceipt,
    SurveyResponse,
)
from intake.outbox.services import enqueue
from intake.programs.services import reply_address
from intake.survey.questions import HIGHEST, LOWEST, QUESTION_KEYS

TEMPLATE = "survey_invite"
# Participants who may answer: in the group to its end (not replaced, not withdrawn).
ANSWERING = ("active", "completed")
# How long the link in the invitation works.
SURVEY_LINK_DAYS = 60
# Groups that ended longer ago than this are not invited any more (a new install, or a
# tick that did not run for months, does not e-mail groups of long ago).
INVITE_WITHIN_DAYS = 30
# The longest a session can last (CohortSession's check): a group whose last session
# started earlier than this has ended.
LONGEST_SESSION = timedelta(minutes=720)


class AlreadyAnswered(Exception):
    """This participant has answered the survey already."""


def ended_cohorts(now: datetime) -> list[int]:
    """Cohorts whose last scheduled session ended by ``now``, within the last
    INVITE_WITHIN_DAYS. Two queries, whatever the number of groups."""
    last = (
        select(CohortSession.cohort_id, func.max(CohortSession.starts_at).label("last_start"))
        .where(CohortSession.status == "scheduled")
        .group_by(CohortSession.cohort_id)
        .having(
            func.max(CohortSession.starts_at) <= now,
            func.max(CohortSession.starts_at)
            > now - timedelta(days=INVITE_WITHIN_DAYS) - LONGEST_SESSION,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(CohortSession.cohort_id, CohortSession.starts_at, CohortSession.minutes).join(
            last,
            and_(
                last.c.cohort_id == CohortSession.cohort_id,
                last.c.last_start == CohortSession.starts_at,
            ),
        )
    ).all()
    ended: dict[int, bool] = {}
    for cohort_id, starts_at, minutes in rows:
        # Two sessions at the same time (a mistake) must both have ended.
        finished = starts_at + timedelta(minutes=minutes) <= now
        ended[cohort_id] = ended.get(cohort_id, True) and finished
    return sorted(cohort_id for cohort_id, done in ended.items() if done)


def send_invitations(now: datetime) -> int:
    """E-mail every participant of a group that has ended an invitation to the survey,
    once (the dedup key ``survey:<participant>``). Returns how many were queued."""
    cohort_ids = ended_cohorts(now)
    if not cohort_ids:
        return 0
    invited = exists().where(
        OutboxMessage.participant_id == Participant.id, OutboxMessage.template == TEMPLATE
    )
    answered = exists().where(SurveyReceipt.participant_id == Participant.id)
    participants = db.session.scalars(
        select(Participant)
        .where(
            Participant.cohort_id.in_(cohort_ids),
            Participant.status.in_(ANSWERING),
            ~invited,
            ~answered,
        )
        .order_by(Participant.id)
    ).all()
    cohorts = {c.id: c for c in db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))}
    for participant in participants:
        cohort = cohorts[participant.cohort_id]
        enqueue(
            template=TEMPLATE,
            to=participant.email,
            dedup_key=f"survey:{participant.id}",
            locale=participant.locale,
            now=now,
            reply_to=reply_address(cohort.program),
            # An individual is also the applicant (their manage link comes along);
            # a named staff member is not.
            applicant_id=participant.applicant_id,
            application_id=participant.application_id if participant.applicant_id else None,
            participant_id=participant.id,
            program_id=cohort.program_id,
            links={"survey_url": SurveyLink(now + timedelta(days=SURVEY_LINK_DAYS))},
            context={
                "participant": participant,
                "cohort": cohort,
                "program": cohort.program,
                "answer_by": now + timedelta(days=SURVEY_LINK_DAYS),
            },
        )
    db.session.flush()
    return len(participants)


def may_answer(participant: Participant) -> bool:
    return participant.status in ANSWERING


def has_answered(participant_id: int) -> bool:
    return db.session.get(SurveyReceipt, participant_id) is not None


def _day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def record_response(
    participant: Participant,
    *,
    ratings: dict[str, int],
    comments: str | None,
    use_my_name: bool,
    locale: str,
    now: datetime,
) -> SurveyResponse:
    """Keep one participant's answers. Raises AlreadyAnswered when they (or another
    tab, a moment ago) already did: then nothing is written."""
    for key, value in ratings.items():
        if key not in QUESTION_KEYS or not LOWEST <= value <= HIGHEST:
            raise ValueError(f"not a rating: {key}={value!r}")
    try:
        # The receipt first: on PostgreSQL a second transaction waits here for the
        # first to end, then fails on the primary key.
        with db.session.begin_nested():
            db.session.add(SurveyReceipt(participant_id=participant.id, answered_at=_day(now)))
    except IntegrityError as exc:
        raise AlreadyAnswered(participant.id) from exc
    response = SurveyResponse(
        cohort_id=participant.cohort_id,
        locale=locale,
        ratings=dict(ratings),
        comments=comments or None,
        named_participant_id=participant.id if use_my_name else None,
        created_on=now.astimezone(UTC).date(),
    )
    db.session.add(response)
    db.session.flush()
    return response
