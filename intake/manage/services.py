"""What an applicant can do with their manage link: see their place in line, change
their details, withdraw, take a copy of their data, delete it, and ask for a new link.

Functions flush and never commit; the view commits once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    null,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import aliased, joinedload, selectinload

from intake.applications.services import SENSITIVE_ANSWERS
from intake.eligibility.rules import RULES
from intake.extensions import db
from intake.manage import queue_bits
from intake.manage.tokens import hash_token
from intake.models import (
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    AuditEvent,
    Cohort,
    ManageToken,
    Note,
    Offer,
    OutboxMessage,
    StatusEvent,
)
from intake.offers.services import (
    ACCEPTED,
    DECLINED,
    EXPIRED,
    OPEN,
    matching_applications,
    withdraw_application,
)
from intake.outbox.services import email_applicant, enqueue
from intake.participants import records as participants
from intake.programs.seats import fits_no_group, largest_groups
from intake.programs.services import reply_address
from intake.status import states

DELETED_NAME = "Deleted applicant"
# The AuditEvent kind for the applicant's own change of details (intake/casefile).
DETAILS_CHANGED = "details"
DELETION_REASON = "Applicant deleted their data"
# Deleted applicants get an address in the reserved .invalid domain: nothing can be
# sent there, and it stays unique per applicant.
DELETED_DOMAIN = "invalid"
DELETED_BODY = "[deleted]"
# A "send me my link again" request is sent once per applicant in this many seconds,
# so a double click (or a second tab) sends one e-mail.
LINK_REQUEST_WINDOW_SECONDS = 600

# Rule results that would tell the self-identification answer (see
# intake.reports.services): dropped from the decision when the data is deleted.
_SELF_IDENTIFICATION_RULES = frozenset(
    key for key, rule in RULES.items() if set(rule.reads) & set(SENSITIVE_ANSWERS)
)


class AlreadyWithdrawn(Exception):
    """The application was withdrawn before (a second click, or a coordinator)."""


# Status and place in line ----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an application stands for one cohort that fits it."""

    cohort: Cohort
    # 1 is next in line: the applications ahead of it, plus one.
    position: int

    @property
    def ahead(self) -> int:
        return self.position - 1

    @property
    def seats_free(self) -> int:
        return self.cohort.seats_free


@dataclass
class ApplicationOverview:
    application: Application
    places: list[Place] = field(default_factory=list)
    # The open offer (status offered) or the accepted one (enrolled), if any; read only
    # for an application in SHOWS_OFFER (the statuses the page shows it for), else None.
    offer: Offer | None = None
    # Waiting, but asking more seats than any planned group holds: no place in line
    # can lead to a seat until a coordinator splits it (intake.casefile.split).
    arranging: bool = False

    @property
    def waiting(self) -> bool:
        return self.application.status == states.WAITLISTED

    @property
    def can_withdraw(self) -> bool:
        return states.can_transition(self.application.status, states.WITHDRAWN)


# Manage tokens are 43 characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 100
# The applicant a link belongs to, with the link's row. The few languages and time
# slots come joined to the applicant's row (a row for each pair: a handful), not as two
# more statements; the applications, which would multiply those rows, come in one of
# their own. Built once: building it took about a tenth of a millisecond a page.
_BY_TOKEN = (
    select(Applicant, ManageToken)
    .join(ManageToken, ManageToken.applicant_id == Applicant.id)
    .where(ManageToken.token_hash == bindparam("token_hash"))
    .options(
        selectinload(Applicant.applications).joinedload(Application.program),
        joinedload(Applicant.languages),
        joinedload(Applicant.availability_slots),
    )
)


def find_by_token(token: str) -> tuple[Applicant, ManageToken] | None:
    """The applicant a manage link's token belongs to, and the link's row; None for a
    token no link has."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    # The token's hash is unique: one applicant, every row read.
    found = db.session.execute(_BY_TOKEN, {"token_hash": hash_token(token)})
    row = found.unique().one_or_none()
    return (row[0], row[1]) if row else None


# Built once, as every status page of someone waiting asks it (building it took about
# a tenth of a millisecond); an empty list of slots matches no slot, as in_([]) does.
_FITTING_COHORTS = (
    select(Cohort)
    .where(
        Cohort.program_id.in_(bindparam("program_ids", expanding=True)),
        Cohort.start_date >= bindparam("today", type_=Cohort.start_date.type),
        Cohort.language.in_(bindparam("languages", expanding=True)),
        or_(
            Cohort.time_slot.is_(None),
            Cohort.time_slot.in_(bindparam("slots", expanding=True)),
        ),
    )
    .order_by(Cohort.start_date, Cohort.name, Cohort.id)
)


def fitting_cohorts(
    applicant: Applicant, program_ids: Iterable[int], today: date
) -> dict[int, list[Cohort]]:
    """The cohorts, by program, that have not started and fit what the applicant told
    us: a language they take part in, and a time slot they chose (or none set). One
    query."""
    program_ids = list(program_ids)
    languages = applicant.language_codes
    if not program_ids or not languages:
        return {}
    cohorts = db.session.scalars(
        _FITTING_COHORTS,
        {
            "program_ids": program_ids,
            "today": today,
            "languages": languages,
            "slots": applicant.availability,
        },
    )
    found: dict[int, list[Cohort]] = {}
    for cohort in cohorts:
        found.setdefault(cohort.program_id, []).append(cohort)
    return found


def _fits_any(patterns: Sequence[int]):
    """The application's mask has every bit of one of ``patterns`` at least."""
    return or_(*(queue_bits.has_bits(Application.match_mask, p) for p in patterns))


def _ahead_of(application: _Bound, patterns: Sequence[int] | None = None):
    """The applications ahead of ``application`` in the fair order (id, applicant,
    seats asked and the mask of its applicant's languages and slots): a higher
    priority, or the same one and joined earlier, the id breaking a tie on the
    moment. Two ranges of the queue index (ix_applications_queue, which holds every
    column read here), so the count reads the index alone and only as far as the
    application's place: an OR of the two would scan the program's whole waitlist on
    both databases. With ``patterns`` (the bits of every cohort counted), only those
    whose mask fits one of them: a filter on the index's rows, leaving out only rows
    no cohort would count."""
    columns = (
        Application.id,
        Application.applicant_id,
        Application.seats_requested,
        Application.match_mask,
    )
    waiting = [
        Application.program_id == application.program_id,
        Application.status == states.WAITLISTED,
    ]
    if patterns:
        waiting.append(_fits_any(patterns))
    higher = select(*columns).where(*waiting, Application.priority > application.priority)
    same = select(*columns).where(
        *waiting,
        Application.priority == application.priority,
        tuple_(Application.joined_at, Application.id)
        < tuple_(application.joined_at, application.id),
    )
    return union_all(higher, same).subquery("ahead")


@dataclass(frozen=True)
class _CohortShape:
    """What a cohort's part of the places statement is built from, as plain values
    (the fields ``matching_applications`` reads, and the seats)."""

    id: int
    program_id: int
    seats: int
    language: str
    time_slot: str | None

    @classmethod
    def of(cls, cohort: Cohort) -> _CohortShape:
        return cls(cohort.id, cohort.program_id, cohort.seats, cohort.language, cohort.time_slot)


class _Bound:
    """The values of the ``n``-th application of the places statement, as parameters
    named for it: the statement is built once for a shape of cohorts and run for any
    application (``_places_statement``)."""

    def __init__(self, n: int) -> None:
        self.id = bindparam(f"places_{n}_application", type_=Application.id.type)
        self.program_id = bindparam(f"places_{n}_program", type_=Application.program_id.type)
        self.priority = bindparam(f"places_{n}_priority", type_=Application.priority.type)
        self.joined_at = bindparam(f"places_{n}_joined", type_=Application.joined_at.type)

    @staticmethod
    def values(n: int, application: Application) -> dict[str, Any]:
        return {
            f"places_{n}_application": application.id,
            f"places_{n}_program": application.program_id,
            f"places_{n}_priority": application.priority,
            f"places_{n}_joined": application.joined_at,
        }


def _places_query(application: _Bound, cohorts: Sequence[_CohortShape], width: int):
    """One pass over the applications ahead of ``application`` that counts, for every
    cohort at once, those in the cohort's queue (``matching_applications``): one
    conditional sum per cohort. Whether the applicant ahead takes part in the
    cohort's language and is free at its time slot is a test of the bits of
    ``match_mask`` (intake.manage.queue_bits), a column of the queue index, so the
    count reads no other table for it; a cohort whose language or slot has no bit is
    checked with a LEFT JOIN per distinct language and slot instead (at most one row
    each by the tables' primary keys). Deferrals are a small list per cohort. Then,
    per cohort, whether the application itself is in that queue
    (``matching_applications`` for its one row). Padded with NULLs to ``width``
    cohorts, so the queries of several applications UNION into one."""
    bits = {c.id: queue_bits.cohort_bits(c.language, c.time_slot) for c in cohorts}
    joined = [c for c in cohorts if bits[c.id] is None]
    patterns = None if joined else sorted({b for b in bits.values() if b is not None})
    ahead = _ahead_of(application, patterns)
    language_rows: dict[str, Any] = {
        code: aliased(ApplicantLanguage, name=f"language_{n}")
        for n, code in enumerate(dict.fromkeys(c.language for c in joined))
    }
    slot_rows: dict[str, Any] = {
        slot: aliased(ApplicantAvailability, name=f"slot_{n}")
        for n, slot in enumerate(dict.fromkeys(c.time_slot for c in joined if c.time_slot))
    }
    counts, in_queue = [], []
    for cohort in cohorts:
        fits = [
            ahead.c.seats_requested <= cohort.seats,
            ~ahead.c.id.in_(
                select(Offer.application_id).where(
                    Offer.cohort_id == cohort.id, Offer.status.in_((DECLINED, EXPIRED))
                )
            ),
        ]
        wanted = bits[cohort.id]
        if wanted is not None:
            fits.append(queue_bits.has_bits(ahead.c.match_mask, wanted))
        else:
            fits.append(language_rows[cohort.language].applicant_id.is_not(None))
            if cohort.time_slot:
                fits.append(slot_rows[cohort.time_slot].applicant_id.is_not(None))
        counts.append(func.coalesce(func.sum(case((and_(*fits), 1), else_=0)), 0))
        in_queue.append(
            matching_applications(cohort)
            .with_only_columns(Application.id)
            .where(Application.id == application.id)
            .order_by(None)
            .exists()
        )
    padding = [null()] * (width - len(cohorts))
    query = select(
        application.id.label("application_id"),
        *counts,
        *padding,
        *in_queue,
        *padding,
    ).select_from(ahead)
    for code, row in language_rows.items():
        query = query.outerjoin(
            row, and_(row.applicant_id == ahead.c.applicant_id, row.code == code)
        )
    for slot, row in slot_rows.items():
        query = query.outerjoin(
            row, and_(row.applicant_id == ahead.c.applicant_id, row.slot == slot)
        )
    return query


def places_in_line(
    wanted: Sequence[tuple[Application, Sequence[Cohort]]],
) -> dict[tuple[int, int], int]:
    """Each application's place in each cohort's queue (1 = next), by (application id,
    cohort id); left out where it is in no place in that queue (not waiting, it
    deferred from the cohort, or it asks more seats than the cohort holds).

    The queue is ``matching_applications(cohort)``: priority (highest first), then
    time joined, then id; a request for more seats than the cohort holds is in no
    place in it (it could never be offered them), nor counted ahead of others.

    One statement for all of them, whatever the number of cohorts or the length of
    the queue: per application one pass over the applications ahead of it (the
    queue index's range), counting for every cohort at once.
    """
    asked = [
        (application, [c for c in cohorts if application.seats_requested <= c.seats])
        for application, cohorts in wanted
        if application.joined_at is not None
    ]
    asked = [(application, cohorts) for application, cohorts in asked if cohorts]
    if not asked:
        return {}
    statement = _places_statement(
        tuple(tuple(_CohortShape.of(c) for c in cohorts) for _, cohorts in asked)
    )
    values: dict[str, Any] = {}
    for n, (application, _) in enumerate(asked):
        values |= _Bound.values(n, application)
    rows = {row[0]: row for row in db.session.execute(statement, values)}
    width = max(len(cohorts) for _, cohorts in asked)
    found: dict[tuple[int, int], int] = {}
    for application, cohorts in asked:
        row = rows[application.id]
        for n, cohort in enumerate(cohorts):
            if row[1 + width + n]:
                found[(application.id, cohort.id)] = int(row[1 + n]) + 1
    return found


# Building the statement cost more than running it (0.8 ms for one cohort, against
# 0.75 ms in PostgreSQL at 100,000 applications); the shapes of cohorts a status page
# asks about are few (a program's planned groups), so each is built once per worker.
@functools.lru_cache(maxsize=256)
def _places_statement(shapes: tuple[tuple[_CohortShape, ...], ...]) -> Any:
    """The statement ``places_in_line`` runs for applications whose fitting cohorts
    are ``shapes`` (one tuple per application, in order), with the applications'
    values as parameters (``_Bound``)."""
    width = max(len(cohorts) for cohorts in shapes)
    queries = [_places_query(_Bound(n), cohorts, width) for n, cohorts in enumerate(shapes)]
    return union_all(*queries) if len(queries) > 1 else queries[0]


# An application that holds (or held) a seat: the status page shows its group, or an
# agency's named staff (views.status), with the accepted offer.
HOLDS_SEAT = frozenset({states.ENROLLED, states.COMPLETED, states.CLOSED})
# The statuses whose application the status page shows with its offer: the seat
# offered, or the seat held (templates/manage/status.html). ``overview`` reads offers
# for these only: a status that shows an offer must be here, or its offer is None.
SHOWS_OFFER = HOLDS_SEAT | {states.OFFERED}


def overview(applicant: Applicant, today: date) -> list[ApplicationOverview]:
    """Each application with its offer, and for each waiting one its place in every
    cohort that fits, or that it waits for a coordinator to arrange its seats (it
    asks more than any planned group holds). At most four queries, whatever the number
    of applications, cohorts or people in line (the places are one,
    ``places_in_line``); the offers are read only when an application shows one."""
    applications = list(applicant.applications)
    # Only these statuses show an offer (the page, and an agency's named staff); a
    # person waiting in line, the most usual visitor, has none to read.
    with_offer = [a.id for a in applications if a.status in SHOWS_OFFER]
    offers = (
        db.session.scalars(
            select(Offer)
            .where(Offer.application_id.in_(with_offer), Offer.status.in_((OPEN, ACCEPTED)))
            .options(joinedload(Offer.cohort))
            .order_by(Offer.id)
        )
        if with_offer
        else ()
    )
    offer_by_application = {}
    for offer in offers:
        # An open offer says more than an accepted one (there is at most one open).
        if offer.status == OPEN or offer.application_id not in offer_by_application:
            offer_by_application[offer.application_id] = offer
    waiting = [a for a in applications if a.status == states.WAITLISTED]
    cohorts = fitting_cohorts(applicant, {a.program_id for a in waiting}, today)
    largest = largest_groups({a.program_id for a in waiting if a.seats_requested > 1}, today)

    result = []
    for application in applications:
        item = ApplicationOverview(application, offer=offer_by_application.get(application.id))
        if item.waiting and fits_no_group(
            application.seats_requested, largest.get(application.program_id)
        ):
            item.arranging = True
        result.append(item)
    places = places_in_line(
        [
            (item.application, cohorts.get(item.application.program_id, []))
            for item in result
            if item.waiting and not item.arranging
        ]
    )
    for item in result:
        for cohort in cohorts.get(item.application.program_id, []) if item.waiting else []:
            position = places.get((item.application.id, cohort.id))
            if position is not None:
                item.places.append(Place(cohort, position))
    return result


def find_application(applicant: Applicant, reference: str) -> Application | None:
    """One of the applicant's own applications by its reference (never another's)."""
    return next((a for a in applicant.applications if a.reference == reference), None)


# Details ---------------------------------------------------------------------------------


def update_details(
    applicant: Applicant,
    *,
    name: str,
    phone: str | None,
    languages: Sequence[str],
    availability: Sequence[str],
    now: datetime,
) -> list[str]:
    """Change the applicant's name, phone, languages and days/times. The e-mail
    address is not changed here: it is what the manage link is sent to.

    What changed goes into each of their applications' timelines (AuditEvent kind
    "details", no actor): the names of the fields, never their values. Returns those
    names (empty when nothing changed, and then nothing is recorded)."""
    wanted_languages = list(dict.fromkeys(languages))
    wanted_slots = list(dict.fromkeys(availability))
    changed = [
        field
        for field, before, after in (
            ("name", applicant.name, name),
            ("phone", applicant.phone or None, phone or None),
            ("languages", set(applicant.language_codes), set(wanted_languages)),
            ("availability", set(applicant.availability), set(wanted_slots)),
        )
        if before != after
    ]
    applicant.name = name
    applicant.phone = phone or None
    for language in list(applicant.languages):
        if language.code not in wanted_languages:
            applicant.languages.remove(language)
    have = set(applicant.language_codes)
    for code in wanted_languages:
        if code not in have:
            applicant.languages.append(ApplicantLanguage(code=code))
    for slot in list(applicant.availability_slots):
        if slot.slot not in wanted_slots:
            applicant.availability_slots.remove(slot)
    have = set(applicant.availability)
    for wanted in wanted_slots:
        if wanted not in have:
            applicant.availability_slots.append(ApplicantAvailability(slot=wanted))
    if changed:
        application_ids = db.session.scalars(
            select(Application.id).where(Application.applicant_id == applicant.id)
        )
        db.session.add_all(
            AuditEvent(
                application_id=application_id,
                actor_id=None,
                kind=DETAILS_CHANGED,
                detail={"fields": changed},
                reason="",
                created_at=now,
            )
            for application_id in application_ids
        )
    db.session.flush()
    return changed


# Withdrawing -----------------------------------------------------------------------------


def withdraw(
    application: Application,
    *,
    reason: str | None,
    now: datetime,
    notify: bool = True,
) -> StatusEvent:
    """The applicant withdraws one application. An open offer ends first and its seats
    free (the next person may be offered them); then the status moves to withdrawn and
    a confirmation e-mail is queued (once per application).

    Raises AlreadyWithdrawn after a first withdrawal, TransitionNotAllowed when the
    status does not allow it (closed, or changed a moment ago), and OfferClosed when
    the offer was answered or expired at the same moment.
    """
    if application.status == states.WITHDRAWN:
        raise AlreadyWithdrawn(application.id)
    event, released = withdraw_application(application, actor=None, reason=reason, now=now)
    if notify:
        email_applicant(
            application,
            template="applicant_withdrawn",
            dedup_key=f"applicant-withdrawn:{application.id}",
            now=now,
            released_offer=released,
        )
    db.session.flush()
    return event


# Download my data ------------------------------------------------------------------------


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_data(applicant: Applicant, now: datetime) -> dict[str, Any]:
    """Everything stored about the applicant, for them: their details and answers,
    their self-identification answer (it is theirs), agency details, applications with
    statuses, decisions, offers and status changes, and the e-mails sent to them.

    Left out: coordinators' names, notes and reasons, which are the program's working
    papers rather than the person's data. Five queries.
    """
    applications = db.session.scalars(
        select(Application)
        .where(Application.applicant_id == applicant.id)
        .options(joinedload(Application.program), selectinload(Application.events))
        .order_by(Application.id)
    ).all()
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.application_id.in_([a.id for a in applications]))
        .options(joinedload(Offer.cohort))
        .order_by(Offer.id)
    ).all()
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.applicant_id == applicant.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    agency = applicant.agency
    self_id = applicant.self_identification
    return {
        "exported_at": _when(now),
        "applicant": {
            "kind": applicant.kind,
            "name": applicant.name,
            "email": applicant.email,
            "phone": applicant.phone,
            "organisation": applicant.organisation,
            "work_zip": applicant.work_zip,
            "roles": list(applicant.roles or []),
            "role_other": applicant.role_other,
            "access_needs": list(applicant.access_needs or []),
            "access_needs_other": applicant.access_needs_other,
            "consent_contact": applicant.consent_contact,
            "language_of_emails": applicant.locale,
            "created_at": _when(applicant.created_at),
        },
        "answers": dict(applicant.answers or {}),
        "languages": applicant.language_codes,
        "availability": applicant.availability,
        "self_identification": {"bipoc": self_id.bipoc} if self_id else None,
        "agency": (
            {
                "agency_name": agency.agency_name,
                "street": agency.street,
                "city": agency.city,
                "state": agency.state,
                "zip": agency.zip,
                "service_zips": list(agency.service_zips or []),
                "leader_title": agency.leader_title,
                "staff_roles": list(agency.staff_roles or []),
                "heard_about": agency.heard_about,
                "heard_about_other": agency.heard_about_other,
            }
            if agency
            else None
        ),
        "applications": [_export_application(a, offers) for a in applications],
        "emails": [
            {
                "subject": m.subject,
                "created_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
                "status": m.status,
            }
            for m in messages
        ],
    }


def _export_application(application: Application, offers: Sequence[Offer]) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "program": application.program.name,
        "status": application.status,
        "seats_requested": application.seats_requested,
        "created_at": _when(application.created_at),
        "joined_waitlist_at": _when(application.joined_at),
        "decision": application.decision,
        "offers": [
            {
                "cohort": offer.cohort.name,
                "cohort_language": offer.cohort.language,
                "cohort_schedule": offer.cohort.schedule,
                "cohort_start_date": _when(offer.cohort.start_date),
                "seats": offer.seats,
                "status": offer.status,
                "offered_at": _when(offer.created_at),
                "expires_at": _when(offer.expires_at),
                "answered_at": _when(offer.answered_at),
            }
            for offer in offers
            if offer.application_id == application.id
        ],
        "events": [
            {
                "at": _when(event.created_at),
                "from": event.from_status,
                "to": event.to_status,
                "by": event.actor,
                # A coordinator's reason is their working note, not the person's data.
                "reason": event.reason if event.actor != "coordinator" else None,
            }
            for event in application.events
        ],
    }


def export_filename(applicant: Applicant) -> str:
    first = applicant.applications[0].reference if applicant.applications else applicant.id
    return f"my-application-{first}.json"


# Delete my data --------------------------------------------------------------------------


def deleted_address(applicant: Applicant) -> str:
    return f"deleted-{applicant.id}@{DELETED_DOMAIN}"


def delete_personal_data(applicant: Applicant, now: datetime) -> None:
    """Anonymise the applicant, keeping what the counts and reports need.

    Blanked or removed: name, e-mail address, phone, organisation, ZIP, roles,
    access needs, screener answers, self-identification, agency details, languages,
    days/times, every manage link, notes on their applications, their own words in
    status changes, rule details in decisions (a ZIP code, say) and the results of
    rules that read the self-identification answer. E-mails to them that were sent
    are scrubbed (address, bodies, attachment, the server's last error, which may
    quote the address); those not sent (waiting, or failed) are dropped, since
    there is nobody to send them to.

    Kept: the applications with program, status, dates and seats asked for, their
    status changes (who-kind, when, from, to), offers, and coordinators' queue moves
    (the fairness record). Open applications are withdrawn, open offers ended first
    so their seats free, with the reason "Applicant deleted their data".

    Safe to run twice.
    """
    application_ids = [a.id for a in applicant.applications]
    # The person's details go first, so any notice rendered below (a coordinator's
    # "seats freed") already shows the placeholder name.
    address = deleted_address(applicant)
    applicant.name = DELETED_NAME
    applicant.email = address
    applicant.email_key = address
    applicant.phone = None
    applicant.organisation = None
    applicant.work_zip = None
    applicant.roles = []
    applicant.role_other = None
    applicant.access_needs = []
    applicant.access_needs_other = None
    applicant.consent_contact = False
    applicant.answers = {}
    applicant.self_identification = None
    applicant.agency = None
    applicant.languages = []
    applicant.availability_slots = []
    db.session.flush()

    if application_ids:
        # Their own words (a reason for leaving) go; who-kind, when and what stay.
        db.session.execute(
            update(StatusEvent)
            .where(
                StatusEvent.application_id.in_(application_ids),
                StatusEvent.actor == "applicant",
            )
            .values(reason=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(Note)
            .where(Note.application_id.in_(application_ids))
            .execution_options(synchronize_session=False)
        )

    for application in applicant.applications:
        application.decision = _without_personal_details(application.decision)
        if states.can_transition(application.status, states.WITHDRAWN):
            with suppress(AlreadyWithdrawn):
                withdraw(application, reason=DELETION_REASON, now=now, notify=False)
    participants.forget(
        application_ids, name=DELETED_NAME, address=address, body=DELETED_BODY, now=now
    )

    db.session.execute(
        delete(ManageToken)
        .where(ManageToken.applicant_id == applicant.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.applicant_id == applicant.id,
            OutboxMessage.status.in_(("queued", "failed")),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.applicant_id == applicant.id)
        .values(
            to_addr=address,
            text_body=DELETED_BODY,
            html_body=DELETED_BODY,
            ics=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def _without_personal_details(decision: dict[str, Any]) -> dict[str, Any]:
    if not decision:
        return decision
    rules = [
        {"key": r.get("key"), "outcome": r.get("outcome"), "reason": r.get("reason")}
        for r in decision.get("rules", [])
        if r.get("key") not in _SELF_IDENTIFICATION_RULES
    ]
    return {"outcome": decision.get("outcome"), "rules": rules}


# "E-mail me my link again" ---------------------------------------------------------------


def send_manage_link(email: str, now: datetime) -> int:
    """Queue a fresh manage link to every applicant with this address; returns how
    many (never shown to the person asking, whose page is the same either way).

    The link is minted by the delivery worker as it sends. Once per applicant per
    ten minutes: a double click sends one e-mail.
    """
    applicants = db.session.scalars(
        select(Applicant)
        .where(
            Applicant.email_key == email.strip().lower(),
            ~Applicant.email_key.like(f"%@{DELETED_DOMAIN}"),
        )
        .options(selectinload(Applicant.applications).joinedload(Application.program))
        .order_by(Applicant.id)
    ).all()
    window = int(now.timestamp()) // LINK_REQUEST_WINDOW_SECONDS
    for applicant in applicants:
        applications = applicant.applications
        enqueue(
            template="manage_link",
            to=applicant.email,
            dedup_key=f"manage-link:{applicant.id}:{window}",
            locale=applicant.locale,
            now=now,
            reply_to=reply_address(applications[0].program) if applications else None,
            applicant_id=applicant.id,
            context={"applicant": applicant, "applications": applications},
        )
    return len(applicants)
