"""Coordinator accounts: passwords (argon2), one-time passwords (TOTP), resets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from intake.extensions import db
from intake.links import CannotMint, LinkSpec, PasswordLink
from intake.models import Coordinator, OutboxMessage, Program
from intake.outbox.services import enqueue
from intake.rows import update_guarded

MIN_PASSWORD_LENGTH = 12


@cache
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def hasher() -> PasswordHasher:
    """argon2id with the configured cost (argon2-cffi's defaults unless the tests
    lower it)."""
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@cache
def _dummy_hash(ph: PasswordHasher) -> str:
    # Verified against when the e-mail is unknown, so a wrong address takes as long
    # as a wrong password and the timing does not tell which addresses have accounts.
    return ph.hash("not a real password, only for timing")


class AccountError(Exception):
    pass


def find_by_email(email: str) -> Coordinator | None:
    return db.session.scalar(select(Coordinator).where(Coordinator.email == email.lower()))


ROLES = ("coordinator", "admin", "facilitator")


def create_coordinator(
    *,
    email: str,
    name: str,
    password: str,
    now: datetime,
    admin: bool = False,
    programs: list[Program] | None = None,
    role: str | None = None,
) -> Coordinator:
    """A new account: ``role`` "coordinator", "admin" or "facilitator" (by default
    admin or coordinator, per ``admin``). A facilitator runs no program: their groups
    are assigned on each cohort (CohortFacilitator)."""
    role = role or ("admin" if admin else "coordinator")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    email = email.strip().lower()
    if find_by_email(email) is not None:
        raise AccountError(f"an account for {email} already exists")
    check_password_strength(password)
    coordinator = Coordinator(
        email=email,
        name=name.strip(),
        password_hash=hasher().hash(password),
        role=role,
        active=True,
        session_token=secrets.token_hex(16),
        created_at=now,
        programs=[] if role == "facilitator" else list(programs or []),
    )
    db.session.add(coordinator)
    db.session.flush()
    return coordinator


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def authenticate(email: str, password: str) -> Coordinator | None:
    """The active coordinator with this e-mail and password, or None."""
    coordinator = find_by_email(email)
    ph = hasher()
    try:
        ph.verify(coordinator.password_hash if coordinator else _dummy_hash(ph), password)
    except (VerificationError, InvalidHashError):
        return None
    if coordinator is None or not coordinator.active:
        return None
    if ph.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = ph.hash(password)
    return coordinator


def set_password(coordinator: Coordinator, password: str) -> None:
    """Change the password and end every session of this account."""
    check_password_strength(password)
    coordinator.password_hash = hasher().hash(password)
    end_sessions(coordinator)


def deactivate(coordinator: Coordinator) -> None:
    coordinator.active = False
    end_sessions(coordinator)


def end_sessions(coordinator: Coordinator) -> None:
    """End every session of this account: the login cookie holds the session token,
    so a cookie kept from before (copied, or left in another browser) stops working."""
    coordinator.session_token = secrets.token_hex(16)


# One-time passwords ---------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(coordinator: Coordinator, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=coordinator.email, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a code belongs to (this one, or one either side), or None."""
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now.timestamp() + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def confirm_totp(coordinator: Coordinator, secret: str, code: str, now: datetime) -> bool:
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    coordinator.totp_secret = secret
    coordinator.totp_confirmed_at = now
    coordinator.totp_last_step = step
    return True


def verify_totp(coordinator: Coordinator, code: str, now: datetime) -> bool:
    """Check a code at login. Each time step is accepted once (no replay), and the
    database decides "once": a conditional UPDATE that only a later step passes, so
    several sign-ins sending the same code at the same moment get one success (on
    PostgreSQL the others wait for the row and then find the step taken)."""
    if not coordinator.totp_secret:
        return False
    step = _matching_step(coordinator.totp_secret, code, now)
    if step is None:
        return False
    if not update_guarded(
        update(Coordinator)
        .where(
            Coordinator.id == coordinator.id,
            or_(Coordinator.totp_last_step.is_(None), Coordinator.totp_last_step < step),
        )
        .values(totp_last_step=step)
    ):
        return False
    set_committed_value(coordinator, "totp_last_step", step)
    return True


# Password reset -------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Reads time from the app's clock (intake.clock), so expiry can be tested."""

    def get_timestamp(self) -> int:
        return int(current_app.config["CLOCK"]().timestamp())


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="password-reset", signer=_ClockSigner
    )


def _password_fingerprint(coordinator: Coordinator) -> str:
    # Changes when the password does, so a reset link works once.
    return hashlib.sha256(coordinator.password_hash.encode()).hexdigest()[:16]


# A welcome link (a new account choosing its first password) lasts longer than a
# reset link: the person may not read their e-mail within the hour.
WELCOME = "welcome"
RESET = "reset"


def _max_age(kind: str) -> int:
    config = current_app.config
    if kind == WELCOME:
        return config["WELCOME_LINK_MAX_AGE_SECONDS"]
    return config["PASSWORD_RESET_MAX_AGE_SECONDS"]


def make_reset_token(coordinator: Coordinator, kind: str = RESET) -> str:
    return _reset_serializer().dumps([coordinator.id, _password_fingerprint(coordinator), kind])


def password_link(row: OutboxMessage, spec: LinkSpec, _now: datetime) -> dict[str, str]:
    """The reset page's values for the message's own coordinator (the link kind
    "password", see intake.links)."""
    if not isinstance(spec, PasswordLink):
        raise CannotMint(f"not a password link: {spec!r}")
    coordinator = db.session.get(Coordinator, row.coordinator_id) if row.coordinator_id else None
    if coordinator is None:
        raise CannotMint("password link: the coordinator is gone")
    return {"token": make_reset_token(coordinator, spec.purpose)}


def load_reset_token(token: str) -> Coordinator | None:
    """The coordinator a reset link is for, or None if it is expired, used or forged."""
    serializer = _reset_serializer()
    try:
        payload = serializer.loads(token, max_age=_max_age(WELCOME))
        coordinator_id, fingerprint, kind = payload
        serializer.loads(token, max_age=_max_age(kind))
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    coordinator = db.session.get(Coordinator, coordinator_id)
    if coordinator is None or not coordinator.active:
        return None
    if not secrets.compare_digest(_password_fingerprint(coordinator), str(fingerprint)):
        return None
    return coordinator


def request_password_reset(email: str, now: datetime, welcome: bool = False) -> None:
    """Queue a reset e-mail if the address belongs to an active account; otherwise
    do nothing (the page says the same either way). ``welcome`` sends a new account
    its first-password e-mail instead, with a longer-lived link."""
    coordinator = find_by_email(email)
    if coordinator is None or not coordinator.active:
        return
    enqueue(
        template="coordinator_welcome" if welcome else "password_reset",
        to=coordinator.email,
        dedup_key=f"reset:{coordinator.id}:{int(now.timestamp())}",
        locale="en",
        now=now,
        coordinator_id=coordinator.id,
        links={"reset_url": PasswordLink(WELCOME if welcome else RESET)},
        context={"coordinator": coordinator},
    )


def set_digest(coordinator: Coordinator, enabled: bool) -> None:
    """Turn the account's daily digest e-mail on or off (intake.digest)."""
    coordinator.digest_enabled = enabled
    db.session.flush()
