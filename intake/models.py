"""Database models. One module while it stays readable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake import links as link_specs
from intake.extensions import Base, db
from intake.manage import queue_bits
from intake.status.states import STATUSES
from intake.waitlist import search as waitlist_search

# db.Model is made at run time from Base's body (Flask-SQLAlchemy adds its mixins), and
# mypy cannot take an attribute as a base class (python/mypy#8603): it is shown Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as the Table it is (SQLAlchemy types ``__table__``
    as any FromClause). For the few hot statements written on a table's columns, which
    skip the ORM's handling of mapped columns (issue 13: the application POST's
    duplicates query, the screener draft's read, the outbox's sent mark)."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database.

    SQLite has no time zones and hands back naive values; PostgreSQL's
    ``timestamptz`` hands back aware ones. Storing naive UTC and re-attaching UTC on
    the way out makes comparisons behave the same on both.
    """

    impl = DateTime
    cache_ok = True

    # TypeDecorator's signature: the dialect is not needed here.
    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use intake.clock.now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    # TypeDecorator's signature: the dialect is not needed here.
    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Program(Model):
    """A reflective practice offering people apply to (seeded, editable by admins)."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # "individual" (a practitioner applies for themself) or "agency" (a leader applies
    # on behalf of an agency, asking for several staff seats).
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    shape: Mapped[str] = mapped_column(Text)
    # Keys into intake.eligibility.rules.RULES; all must pass.
    rule_keys: Mapped[list[str]] = mapped_column(JSON)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    offer_window_days: Mapped[int] = mapped_column(Integer, default=7)
    checkin_interval_days: Mapped[int] = mapped_column(Integer, default=90)
    checkin_window_days: Mapped[int] = mapped_column(Integer, default=14)
    auto_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reply-To of applicant e-mail, so a person who simply answers reaches a human.
    coordinator_email: Mapped[str | None] = mapped_column(String(254))
    # A group's shape, as data (seeded from the programs' pages; a cohort's sessions
    # are generated from these and then edited one by one).
    session_count: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    session_minutes: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    # "weekly", "biweekly" or "monthly": how sessions are spaced by default.
    session_pattern: Mapped[str] = mapped_column(
        String(10), default="weekly", server_default="weekly"
    )
    # Reflective supervision / consultation credited per attended session (None: the
    # session's length) and the most a group can credit (None: no cap), in minutes.
    credit_minutes_per_session: Mapped[int | None] = mapped_column(Integer)
    credit_cap_minutes: Mapped[int | None] = mapped_column(Integer)
    # Part of the group meets in person (e.g. a retreat).
    has_in_person_part: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Completed = attended at least this share of the sessions held (not cancelled).
    completion_percent: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    # Agencies: staff are named this many days before the first session, and can be
    # replaced until this session number has been held.
    staff_naming_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    staff_replace_until_session: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # How the program's groups meet, as its own page says it ("monthly, two hours");
    # None when the page does not say (each cohort's delivery says it then).
    format_note: Mapped[str | None] = mapped_column(Text)
    # Admin-entered text in other languages: {"es": {"name": …, "audience": …,
    # "summary": …, "shape": …, "format_note": …}, "zh": {…}}. A missing entry shows
    # the English with a language mark (intake.programs.texts).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    windows: Mapped[list[ApplicationWindow]] = relationship(
        back_populates="program", order_by="ApplicationWindow.opens_at"
    )

    __table_args__ = (
        CheckConstraint("kind in ('individual', 'agency')", name="kind"),
        CheckConstraint("session_pattern in ('weekly', 'biweekly', 'monthly')", name="pattern"),
        CheckConstraint("completion_percent between 1 and 100", name="completion_percent"),
    )


class ApplicationWindow(Model):
    """When a program takes applications: one cycle ("2023 cycle — groups begin
    after January 2024"). A program with no windows takes applications whenever it
    is open; one with windows only inside one of them."""

    __tablename__ = "application_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # {"es": "…", "zh": "…"}: the cycle's name in other languages.
    name_translations: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the "it is open" e-mails went to the people who asked (once per window).
    notices_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship(back_populates="windows")

    __table_args__ = (
        Index("ix_application_windows_program", "program_id", "opens_at"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )


class OpeningNotice(Model):
    """ "E-mail me when it opens": one address for one closed program. The row is
    deleted as its e-mail is queued (the message forgets the address once sent)."""

    __tablename__ = "opening_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_opening_notices_program_email", "program_id", "email_key", unique=True),
    )


class ScreenedOutCount(Model):
    """Unmet demand for funders: how many finished screeners a rule screened out of a
    program, per day and language. Counts only: nothing about the person is kept."""

    __tablename__ = "screened_out_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    rule_key: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    on_date: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index(
            "uq_screened_out_counts_key",
            "program_id",
            "on_date",
            "rule_key",
            "locale",
            unique=True,
        ),
    )


class Applicant(Model):
    """The person who filled in one application form, with their contact details.

    One form may apply to several programs: one Application row per program.
    """

    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    # The address lower-cased, to find the same person's other applications.
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(200))
    work_zip: Mapped[str | None] = mapped_column(String(10))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    role_other: Mapped[str | None] = mapped_column(String(200))
    access_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    access_needs_other: Mapped[str | None] = mapped_column(Text)
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the person used; every later e-mail is written in it.
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Screener answers the rules read, without the sensitive ones (see SelfIdentification).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hidden token of the form that created this row: a resubmitted form finds it.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    # A coordinator who entered the form on the person's behalf (phone or paper
    # intake), and how it reached them: "phone" or "paper". None: the person applied.
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    entered_via: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entered_by: Mapped[Coordinator | None] = relationship()
    applications: Mapped[list[Application]] = relationship(
        back_populates="applicant", order_by="Application.id"
    )
    languages: Mapped[list[ApplicantLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicantLanguage.code"
    )
    availability_slots: Mapped[list[ApplicantAvailability]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicantAvailability.slot"
    )
    self_identification: Mapped[SelfIdentification | None] = relationship(
        cascade="all, delete-orphan"
    )
    agency: Mapped[AgencyDetails | None] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("kind in ('individual', 'agency')", name="kind"),
        # E-mail prefix search (LIKE 'x%') on PostgreSQL uses an index only with
        # pattern ops when the database collation is not C.
        Index(
            "ix_applicants_email_key_prefix",
            "email_key",
            postgresql_ops={"email_key": "varchar_pattern_ops"},
        ),
        # The waitlist's search indexes (trigram on PostgreSQL, FTS5 on SQLite) are
        # made with its triggers: intake.waitlist.search.
    )

    @property
    def language_codes(self) -> list[str]:
        return [language.code for language in self.languages]

    @property
    def availability(self) -> list[str]:
        return [slot.slot for slot in self.availability_slots]


class ApplicantLanguage(Model):
    """A language the applicant can take part in; a table so it can be filtered."""

    __tablename__ = "applicant_languages"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class AgencyDetails(Model):
    """What an agency's leader told us about the agency (kind == "agency")."""

    __tablename__ = "agency_details"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    agency_name: Mapped[str] = mapped_column(String(200))
    # The name reduced to lower-case letters and digits, to spot the same agency.
    agency_key: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(50))
    zip: Mapped[str] = mapped_column(String(10))
    service_zips: Mapped[list[str]] = mapped_column(JSON, default=list)
    leader_title: Mapped[str] = mapped_column(String(200))
    staff_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    heard_about: Mapped[str | None] = mapped_column(String(40))
    heard_about_other: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_agency_details_agency", "agency_key", "zip"),)


class ApplicantAvailability(Model):
    """A day/time slot that works for the applicant (intake.choices.AVAILABILITY); a
    table so the waitlist can be filtered by cohort fit with an index."""

    __tablename__ = "applicant_availability"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class SelfIdentification(Model):
    """Sensitive self-identification answers, kept apart from everything else.

    Read only where a rule or a coordinator of the program that asks needs it; never
    logged, never in the default export.
    """

    __tablename__ = "self_identifications"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    # "yes", "no" or "prefer_not"
    bipoc: Mapped[str | None] = mapped_column(String(16))


class Application(Model):
    """One applicant's place in one program's process, from submission on."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    # {"outcome": "pass|fail|review", "rules": [{"key", "outcome", "reason"}, ...]}
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    seats_requested: Mapped[int] = mapped_column(Integer, default=1)
    # The applicant's languages and time slots as bits (intake.manage.queue_bits), set
    # by the database's triggers on every write, never by Python: what the count of a
    # place in line tests in the queue index.
    match_mask: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The cycle (application window) it came in, if the program has windows.
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_windows.id", ondelete="SET NULL"), index=True
    )
    # A part of an agency's request a coordinator split off into its own
    # application (its own offer, all-or-nothing), keeping the original's place.
    split_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    # When the person joined the waitlist: the tie-breaker after priority.
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when another open application for the same program looks like the same
    # person or agency; a coordinator resolves it. Never merged silently.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    # "same_email" or "same_agency"
    duplicate_reason: Mapped[str | None] = mapped_column(String(20))
    # How a coordinator resolved the flag, once: "keep_both" or "merged" (this one
    # withdrawn in favour of the other).
    duplicate_resolution: Mapped[str | None] = mapped_column(String(20))
    duplicate_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Check-ins: when the person last said they are still interested (or joined),
    # and when we last asked.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The waitlist's name sort key, lower(coalesce(agency name, applicant's name)):
    # set by the database's triggers on every write (intake.waitlist.search), never
    # by Python.
    sort_name: Mapped[str | None] = mapped_column(
        String(200), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    # What the waitlist's name search reads: lower(name) || line break || lower(agency
    # name), set by the same triggers (intake.waitlist.search), whatever an INSERT
    # sends (the ORM's sends NULL). Deferred, and not marked as fetched from the
    # server, which would have every INSERT return it: only SQL reads it, and it is
    # personal data no page needs loaded.
    search_text: Mapped[str | None] = mapped_column(Text, deferred=True)

    applicant: Mapped[Applicant] = relationship(back_populates="applications")
    program: Mapped[Program] = relationship()
    duplicate_of: Mapped[Application | None] = relationship(
        remote_side="Application.id", foreign_keys=[duplicate_of_id]
    )
    split_from: Mapped[Application | None] = relationship(
        remote_side="Application.id", foreign_keys=[split_from_id]
    )
    window: Mapped[ApplicationWindow | None] = relationship()
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="application", order_by="StatusEvent.id"
    )

    __table_args__ = (
        # The fair queue's order, then what counting a place in line reads of each row
        # ahead (intake.manage.services.places_in_line): an index-only range
        # (migrations 0016_manage_queue, 0017_queue_mask).
        Index(
            "ix_applications_queue",
            "program_id",
            "status",
            "priority",
            "joined_at",
            "id",
            "applicant_id",
            "seats_requested",
            "match_mask",
        ),
        # Counting the waitlist (every waiting application, by kind, language or a
        # cohort's fit too) reads only this: 0018, 0020.
        Index("ix_applications_status", "status", "program_id", "match_mask"),
        Index("ix_applications_applicant_id", "applicant_id"),
        Index("ix_applications_sort_name", "sort_name", "id"),
        # The queue order's index is an expression index: intake.waitlist.search.
        CheckConstraint("seats_requested >= 1", name="seats_requested"),
        # Built from the state machine's table; a new status needs a migration too
        # (tests/test_migrations.py compares the database's list with the table).
        CheckConstraint(
            "status in ({})".format(", ".join(f"'{status}'" for status in STATUSES)),
            name="status",
        ),
    )


waitlist_search.register(Model.metadata)


class StatusEvent(Model):
    """One change of an application's status: who, when and why."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    # "applicant", "system" or "coordinator"
    actor: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="events")
    actor_user: Mapped[Coordinator | None] = relationship()


class ManageToken(Model):
    """A manage-my-application link. Only the SHA-256 of the token is stored.

    Tokens are minted by the delivery worker as it sends an e-mail (see
    intake.outbox.delivery), so not even the outbox holds a usable link.
    """

    __tablename__ = "manage_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    applicant: Mapped[Applicant] = relationship()


class ScreenerDraft(Model):
    """A finished screener's answers, waiting for the application form.

    They are kept here, not in the session cookie (signed, not encrypted: anyone
    holding the cookie could read the self-identification answer). The session holds
    only a random key; this row holds its SHA-256. Deleted when the application is
    sent; unused rows expire (SCREENER_DRAFT_MINUTES) and the waitlist tick purges them.
    """

    __tablename__ = "screener_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Model):
    """An e-mail waiting to leave, written in the same transaction as its cause."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One event never yields two messages: e.g. "received:42".
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    to_addr: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # An iCalendar invitation sent as an attachment (invite.ics), if any.
    ics: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8))
    # The recipient is not kept once the message is sent (a director's address
    # given by a staff member, for one referral message).
    forget_recipient: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The applicant it is for (shown in their timeline); its manage and action links
    # are minted for this applicant only.
    applicant_id: Mapped[int | None] = mapped_column(
        ForeignKey("applicants.id", ondelete="SET NULL"), index=True
    )
    # The application its action links act on (see ``links``).
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    # The named staff member it is for (their own link: kind "participant").
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    # A letter attached as a PDF, rendered by the worker as it sends.
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    # The coordinator it is for, when it carries a password link.
    coordinator_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL"), index=True
    )
    # The private links the message carries, as the app wrote them (intake.links):
    # [{"slot": "accept_url", "kind": "action", "purpose": …, "offer_id": …,
    # "expires_at": …}, …]. Whose links they are comes from this row's applicant,
    # application and coordinator, never from a spec. The worker mints each link as
    # it sends and puts it where the body holds this row's marker for its slot,
    # which carries ``link_nonce``: random, made with the row, so no text a person
    # typed can be a marker.
    links: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    link_nonce: Mapped[str | None] = mapped_column(String(32))
    # The program a message to coordinators is about (a cohort's notices name the
    # people offered its seats): only that program's coordinators read it in the
    # workspace (intake.auth.scope).
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)
    # "queued", "sent" or "failed"
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The delivery worker whose pass has taken this message, and until when: other
    # workers leave it alone till then (intake.outbox.delivery, "leases").
    lease_holder: Mapped[str | None] = mapped_column(String(32))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def readable(self, body: str) -> str:
        """``body`` (a stored part) with each link marker shown as words."""
        try:
            specs = link_specs.specs_from_json(self.links)
        except link_specs.SpecInvalid:
            specs = {}
        return link_specs.readable(body, self.link_nonce, specs)

    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        CheckConstraint("status in ('queued', 'sent', 'failed')", name="status"),
    )


class Coordinator(UserMixin, Model):
    """A person who runs the programs: role "coordinator" or "admin"; or a
    "facilitator", who sees only the rosters of their own cohorts (CohortFacilitator)
    and never self-identification answers."""

    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="coordinator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie; a new value ends every session (password change,
    # deactivation).
    session_token: Mapped[str] = mapped_column(String(64))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last one-time-password time step accepted: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The daily digest e-mail (intake.digest): on unless the person turned it off;
    # when the last one was queued (the next one covers what came after).
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    programs: Mapped[list[Program]] = relationship(secondary="coordinator_programs")

    __table_args__ = (
        CheckConstraint("role in ('coordinator', 'admin', 'facilitator')", name="role"),
    )

    # Flask-Login: UserMixin, but a deactivated coordinator is not active (nor so
    # authenticated), and the cookie holds the session token with the id, so a new
    # token ends every session (intake.auth.access.load_coordinator).
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    def coordinates(self, program_id: int) -> bool:
        """Is this person a coordinator of that program (and so may see its
        self-identification answers)?"""
        return any(p.id == program_id for p in self.programs)


class CoordinatorProgram(Model):
    __tablename__ = "coordinator_programs"

    coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("coordinators.id", ondelete="CASCADE"), primary_key=True
    )
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )


class Note(Model):
    """A coordinator's note on an application."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author: Mapped[Coordinator | None] = relationship()


class AuditEvent(Model):
    """A move in the queue that is not a status change (priority, duplicate
    resolution, a rule decision overridden), with its required reason."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    # "priority", "duplicate", "override"
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    actor: Mapped[Coordinator | None] = relationship()


class Cohort(Model):
    """A group: a program's cohort with a language, a schedule and a number of seats."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # One of intake.choices.LANGUAGES
    language: Mapped[str] = mapped_column(String(8))
    facilitator: Mapped[str] = mapped_column(String(200))
    # e.g. "First Tuesday of the month, 6-8 pm", and the slot it falls in
    # (intake.choices.AVAILABILITY) for matching applicants' days/times.
    schedule: Mapped[str] = mapped_column(String(200))
    # {"es": "…", "zh": "…"}: the schedule in other languages (admin-entered).
    schedule_translations: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    # How it meets: "online", "in_person" or "hybrid" (None: not set yet).
    delivery: Mapped[str | None] = mapped_column(String(10))
    time_slot: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer, default=8)
    # Counters kept by conditional UPDATEs, so the last seat is never given twice.
    seats_offered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    seats_enrolled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The facilitator's credential as the letter states it (e.g. "IMH-E® Mentor").
    facilitator_credential: Mapped[str | None] = mapped_column(String(200))
    # When the group's end was processed (completions, letters, survey): once.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the coordinators were told of seats an agency did not name: once.
    unnamed_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship()
    sessions: Mapped[list[CohortSession]] = relationship(
        back_populates="cohort", order_by="CohortSession.starts_at"
    )

    __table_args__ = (
        CheckConstraint("seats >= 2 AND seats <= 12", name="seats_range"),
        CheckConstraint("delivery in ('online', 'in_person', 'hybrid')", name="delivery"),
        CheckConstraint(
            "seats_offered >= 0 AND seats_enrolled >= 0"
            " AND seats_offered + seats_enrolled <= seats",
            name="seats_not_overbooked",
        ),
    )

    @property
    def seats_free(self) -> int:
        return self.seats - self.seats_offered - self.seats_enrolled


class Offer(Model):
    """Seats of a cohort held for one application until the offer is answered or
    expires. An agency's request is offered whole: ``seats`` is all of it."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    # "open", "accepted", "declined", "expired", "rescinded" or "withdrawn" (accepted,
    # then the person left the group)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    # Why this person was offered a seat out of queue order (required then).
    out_of_order_reason: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship()
    cohort: Mapped[Cohort] = relationship()

    __table_args__ = (
        Index("ix_offers_due", "status", "expires_at"),
        # One open offer per application, decided by the database.
        Index(
            "uq_offers_one_open_per_application",
            "application_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint(
            "status in ('open', 'accepted', 'declined', 'expired', 'rescinded', 'withdrawn')",
            name="status",
        ),
    )


class CohortFacilitator(Model):
    """A facilitator account's cohorts: the only rosters it sees."""

    __tablename__ = "cohort_facilitators"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("coordinators.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CohortSession(Model):
    """One meeting of a cohort: when, how long, where. Moved or cancelled one by one;
    ``sequence`` goes up with each change, as the calendar update's SEQUENCE."""

    __tablename__ = "cohort_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    # "online" (meeting_url) or "in_person" (place)
    location_kind: Mapped[str] = mapped_column(String(10), default="online")
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    place: Mapped[str | None] = mapped_column(Text)
    # "scheduled" or "cancelled"
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")

    __table_args__ = (
        Index("ix_cohort_sessions_cohort", "cohort_id", "starts_at"),
        Index("ix_cohort_sessions_due", "status", "starts_at"),
        CheckConstraint("minutes between 15 and 720", name="minutes"),
        CheckConstraint("location_kind in ('online', 'in_person')", name="location_kind"),
        CheckConstraint("status in ('scheduled', 'cancelled')", name="status"),
    )


class Participant(Model):
    """A person in a group: the applicant themself for an individual application, or
    a staff member an agency's director named for one of its seats. Attendance, hours
    and letters are theirs."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    # Set for an individual (the participant is the applicant); None for named staff.
    applicant_id: Mapped[int | None] = mapped_column(
        ForeignKey("applicants.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    access_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    access_needs_other: Mapped[str | None] = mapped_column(Text)
    # "active", "replaced" (by replaced_by), "withdrawn" or "completed"
    status: Mapped[str] = mapped_column(String(10), default="active")
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    cohort: Mapped[Cohort] = relationship()

    __table_args__ = (
        CheckConstraint(
            "status in ('active', 'replaced', 'withdrawn', 'completed')", name="status"
        ),
        # An individual is in a cohort once.
        Index(
            "uq_participants_applicant_cohort",
            "applicant_id",
            "cohort_id",
            unique=True,
            postgresql_where=text("applicant_id IS NOT NULL"),
            sqlite_where=text("applicant_id IS NOT NULL"),
        ),
    )


class ParticipantToken(Model):
    """A named staff member's own link (an individual uses their manage link). Only
    the SHA-256 is stored; the delivery worker mints it as it sends."""

    __tablename__ = "participant_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Model):
    """Whether a participant was at a session; one row per pair, changed in place."""

    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("cohort_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # "present", "absent" or "excused"
    status: Mapped[str] = mapped_column(String(8))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("status in ('present', 'absent', 'excused')", name="status"),)


class Letter(Model):
    """A letter documenting a participant's reflective supervision / consultation
    hours. ``facts`` is what it states, fixed when issued (the PDF is rendered from
    them); ``code`` is printed on it and opens the public verification page. A
    re-issued letter replaces this one (``replaced_by``)."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20), unique=True)
    # {"participant", "program", "cohort", "facilitator", "credential", "first_date",
    #  "last_date", "sessions": [{"date", "minutes"}], "credited_minutes"}
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))

    participant: Mapped[Participant] = relationship()

    __table_args__ = (
        # One current letter per participant: a re-issue replaces the old one first.
        Index(
            "uq_letters_one_current",
            "participant_id",
            unique=True,
            postgresql_where=text("replaced_at IS NULL"),
            sqlite_where=text("replaced_at IS NULL"),
        ),
    )


class SurveyResponse(Model):
    """An evaluation of a group, anonymous unless the person chose to give their name:
    it points at the cohort, not at the person (SurveyReceipt says who answered)."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    # {"question key": 1..5}
    ratings: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[str | None] = mapped_column(Text)
    # Only when the person ticked "you may use my name".
    named_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    # Only the day: an exact time could be matched with a receipt's.
    created_on: Mapped[date] = mapped_column(Date)


class SurveyReceipt(Model):
    """That a participant has answered the survey (once), kept apart from what they
    answered."""

    __tablename__ = "survey_receipts"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BulkMessage(Model):
    """One e-mail a coordinator sent to a filtered waitlist: a version per language,
    queued through the outbox as one message per person (dedup "bulk:<id>:<applicant>").
    """

    __tablename__ = "bulk_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The confirmation form's hidden token: a resubmitted form finds this row.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    # The waitlist filters it was sent to, as the waitlist's query string had them.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"en": {"subject": …, "body": …}, "es": {…}, "zh": {…}}
    versions: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    created_by: Mapped[Coordinator | None] = relationship()


# applications.match_mask's triggers, made with the tables (intake.manage.queue_bits).
queue_bits.register(Model.metadata)
