"""What admins change: programs and coordinator accounts."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from intake.auth import services as accounts
from intake.eligibility.rules import AGENCY_RULE_KEYS, RULES
from intake.extensions import db
from intake.models import Cohort, CohortFacilitator, Coordinator, Program

KINDS = ("individual", "agency")

# The rules that read the answers of each kind's screener: a rule asking about the
# other screener's questions would find them unanswered and send everyone to review.
INDIVIDUAL_RULE_KEYS = [
    "prenatal_to_five",
    "bipoc_self_identification",
    "retreat_attendance",
    "works_in_illinois",
]
RULE_KEYS_BY_KIND = {"individual": INDIVIDUAL_RULE_KEYS, "agency": list(AGENCY_RULE_KEYS)}

# Inclusive ranges of a program's numbers, shared with the form's validators.
OFFER_WINDOW_DAYS = (1, 60)
CHECKIN_INTERVAL_DAYS = (7, 365)
CHECKIN_WINDOW_DAYS = (1, 60)
POSITION = (0, 9999)
SESSION_COUNT = (1, 52)
SESSION_MINUTES = (15, 720)
CREDIT_MINUTES = (0, 720)
CREDIT_CAP_MINUTES = (15, 60 * 200)
COMPLETION_PERCENT = (1, 100)
PATTERNS = ("weekly", "biweekly", "monthly")

SLUG_MAX = 64


class AdminError(Exception):
    """A change the rules of the workspace do not allow; the message says why."""


class RulesDoNotFitKind(AdminError):
    def __init__(self, kind: str, keys: list[str]):
        self.keys = keys
        other = "agency" if kind == "individual" else "individual"
        super().__init__(
            f"These rules read the {other} screener's answers, which an {kind} program "
            f"never has: {', '.join(keys)}."
        )


class CannotChangeOwnAccess(AdminError):
    pass


@dataclass(frozen=True)
class ProgramFields:
    """What an admin may set on a program (kind only when creating it)."""

    name: str
    audience: str
    summary: str
    shape: str
    rule_keys: list[str]
    is_open: bool
    offer_window_days: int
    checkin_interval_days: int
    checkin_window_days: int
    auto_offer: bool
    coordinator_email: str | None
    position: int
    # A group's shape: what a cohort's sessions are generated from, and the credit
    # rules of intake.hours.
    session_count: int = 6
    session_minutes: int = 90
    session_pattern: str = "weekly"
    credit_minutes_per_session: int | None = None
    credit_cap_minutes: int | None = None
    has_in_person_part: bool = False
    completion_percent: int = 80
    # How the groups meet, as the program's page says it (None: each cohort says it),
    # and the texts in other languages (intake.programs.texts).
    format_note: str | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def slugify(name: str) -> str:
    """A URL-safe ASCII slug from a name: "Grupo en Español" -> "grupo-en-espanol"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    # Room for a "-NN" suffix when the slug is taken.
    return slug[: SLUG_MAX - 4].rstrip("-") or "program"


def _free_slug(base: str) -> str:
    taken = set(
        db.session.scalars(
            select(Program.slug).where(or_(Program.slug == base, Program.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def check_rules(kind: str, rule_keys: list[str]) -> None:
    unknown = [key for key in rule_keys if key not in RULES]
    if unknown:
        raise AdminError(f"Unknown rules: {', '.join(unknown)}.")
    misfits = [key for key in rule_keys if key not in RULE_KEYS_BY_KIND[kind]]
    if misfits:
        raise RulesDoNotFitKind(kind, misfits)


def _check_ranges(fields: ProgramFields) -> None:
    for name, (low, high) in (
        ("offer_window_days", OFFER_WINDOW_DAYS),
        ("checkin_interval_days", CHECKIN_INTERVAL_DAYS),
        ("checkin_window_days", CHECKIN_WINDOW_DAYS),
        ("position", POSITION),
        ("session_count", SESSION_COUNT),
        ("session_minutes", SESSION_MINUTES),
        ("credit_minutes_per_session", CREDIT_MINUTES),
        ("credit_cap_minutes", CREDIT_CAP_MINUTES),
        ("completion_percent", COMPLETION_PERCENT),
    ):
        value = getattr(fields, name)
        if value is not None and not low <= value <= high:
            raise AdminError(f"{name} must be between {low} and {high}.")
    if fields.session_pattern not in PATTERNS:
        raise AdminError(f"Unknown session pattern {fields.session_pattern!r}.")


def _ordered_rules(rule_keys: list[str]) -> list[str]:
    # Stored in the rules' own order, so results always read in the same order.
    return [key for key in RULES if key in set(rule_keys)]


def create_program(*, kind: str, fields: ProgramFields, now: datetime) -> Program:
    """A new program with a slug made from its name, unique, never changed after.

    The unique constraint decides between two admins creating the same name at once:
    the loser's insert is retried with the next free suffix.
    """
    if kind not in KINDS:
        raise AdminError(f"Unknown kind {kind!r}.")
    check_rules(kind, fields.rule_keys)
    _check_ranges(fields)
    values = {**asdict(fields), "rule_keys": _ordered_rules(fields.rule_keys)}
    base = slugify(fields.name)
    for _attempt in range(5):
        program = Program(kind=kind, slug=_free_slug(base), created_at=now, **values)
        try:
            with db.session.begin_nested():
                db.session.add(program)
        except IntegrityError:
            continue
        return program
    raise AdminError("Could not find a free address for this program; try another name.")


def update_program(program: Program, fields: ProgramFields) -> Program:
    """Change a program's texts and settings; its kind and slug stay."""
    check_rules(program.kind, fields.rule_keys)
    _check_ranges(fields)
    for name, value in asdict(fields).items():
        setattr(program, name, value)
    program.rule_keys = _ordered_rules(fields.rule_keys)
    db.session.flush()
    return program


def cohort_counts() -> dict[int, int]:
    """Number of cohorts per program id."""
    rows = db.session.execute(select(Cohort.program_id, func.count()).group_by(Cohort.program_id))
    return dict(rows.all())


# Coordinator accounts -------------------------------------------------------------


def invite_coordinator(
    *, email: str, name: str, role: str, programs: list[Program], now: datetime
) -> Coordinator:
    """Create an account with a random password nobody knows and e-mail the person a
    link to choose their own (the password-reset e-mail, through the outbox)."""
    try:
        with db.session.begin_nested():
            coordinator = accounts.create_coordinator(
                email=email,
                name=name,
                password=secrets.token_urlsafe(32),
                now=now,
                role=role,
                programs=programs,
            )
    except IntegrityError as exc:
        # Another admin created the same address a moment ago.
        raise accounts.AccountError(f"an account for {email} already exists") from exc
    accounts.request_password_reset(coordinator.email, now, welcome=True)
    return coordinator


def update_coordinator(
    actor: Coordinator,
    coordinator: Coordinator,
    *,
    name: str,
    role: str,
    programs: list[Program],
) -> Coordinator:
    """Change a person's name, role and programs. A facilitator runs no program (their
    groups are set on each cohort); an account that stops being a facilitator stops
    leading its groups."""
    if role not in accounts.ROLES:
        raise AdminError(f"Unknown role {role!r}.")
    if coordinator.id == actor.id and actor.is_admin and role != "admin":
        raise CannotChangeOwnAccess(
            "You cannot remove your own admin role. Ask another admin to do it."
        )
    coordinator.name = name
    coordinator.role = role
    coordinator.programs = [] if role == "facilitator" else list(programs)
    if role != "facilitator":
        db.session.execute(
            delete(CohortFacilitator).where(CohortFacilitator.coordinator_id == coordinator.id)
        )
    db.session.flush()
    return coordinator


def deactivate_coordinator(actor: Coordinator, coordinator: Coordinator) -> None:
    """Deactivate an account; its sessions end at once (the session token rotates)."""
    if coordinator.id == actor.id:
        raise CannotChangeOwnAccess(
            "You cannot deactivate your own account. Ask another admin to do it."
        )
    accounts.deactivate(coordinator)
    db.session.flush()


def reactivate_coordinator(coordinator: Coordinator) -> None:
    """Let the person sign in again with their password. Sessions ended at
    deactivation stay ended."""
    coordinator.active = True
    db.session.flush()


def reset_two_step(actor: Coordinator, coordinator: Coordinator) -> None:
    """Forget the person's authenticator app (e.g. a lost phone), so they set up a new
    one. Their sessions end too, in case the phone was stolen along with a laptop;
    an admin resetting their own is taken straight to setting up a new one."""
    coordinator.totp_secret = None
    coordinator.totp_confirmed_at = None
    coordinator.totp_last_step = None
    if coordinator.id != actor.id:
        coordinator.session_token = secrets.token_hex(16)
    db.session.flush()


def programs_by_ids(ids: list[int]) -> list[Program]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Program).where(Program.id.in_(ids)).order_by(Program.position, Program.id)
        )
    )


# Facilitators of a cohort ----------------------------------------------------------


def facilitator_accounts() -> list[Coordinator]:
    """Every active facilitator account, by name: those an admin may add to a cohort."""
    return list(
        db.session.scalars(
            select(Coordinator)
            .where(Coordinator.role == "facilitator", Coordinator.active.is_(True))
            .order_by(Coordinator.name, Coordinator.id)
        )
    )


def cohort_facilitator_ids(cohort: Cohort) -> list[int]:
    return list(
        db.session.scalars(
            select(CohortFacilitator.coordinator_id).where(CohortFacilitator.cohort_id == cohort.id)
        )
    )


def set_cohort_facilitators(cohort: Cohort, coordinator_ids: list[int]) -> None:
    """The facilitator accounts who lead ``cohort`` (and so see its rosters): exactly
    these. Ids that are not active facilitators are ignored."""
    allowed = {c.id for c in facilitator_accounts()}
    wanted = set(coordinator_ids) & allowed
    current = set(cohort_facilitator_ids(cohort))
    gone = current - wanted
    if gone:
        db.session.execute(
            delete(CohortFacilitator).where(
                CohortFacilitator.cohort_id == cohort.id,
                CohortFacilitator.coordinator_id.in_(sorted(gone)),
            )
        )
    for coordinator_id in sorted(wanted - current):
        try:
            with db.session.begin_nested():
                db.session.add(
                    CohortFacilitator(cohort_id=cohort.id, coordinator_id=coordinator_id)
                )
        except IntegrityError:
            pass  # another admin added the same person a moment ago
    db.session.flush()
