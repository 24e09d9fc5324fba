"""The private links in e-mails: signed action links, manage links and coordinators'
password links.

No link is ever parsed out of a message's text. A service that queues an e-mail
names the links it carries as structured *link specs* (``ActionLink``,
``ManageLink``, ``PasswordLink``), keyed by the template variable (the *slot*) that
shows them. The outbox row stores those specs and a random nonce made for that row;
the template gets a marker holding the nonce in each slot's place. The delivery
worker mints a link for each spec, for the row's own applicant (or coordinator), and
replaces that row's markers only. Text a person typed (a name, a referral's "your
name") is rendered into the body when the row is made, before its nonce exists
anywhere outside the server, so it can never hold a marker: whatever it looks like,
it stays text. The database never holds a usable link: tokens are minted as each
message is sent.

Action links are bound to a purpose, an application (and an offer), and an expiry
time. Opening one (GET) only shows what will happen; the page's button (POST,
CSRF-protected) acts.

Every link in an e-mail, private or not, is made by ``public_url_for``: from the
route's endpoint, under PUBLIC_BASE_URL, so moving a route moves its links. The
delivery worker turns a spec into a link through the *link kinds* the owning
features register at app setup (``register_link_kind``): the endpoint the link
opens and how to mint its token. The outbox knows no feature's tokens.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState
from itsdangerous import BadSignature, URLSafeSerializer

if TYPE_CHECKING:
    from intake.models import OutboxMessage

PURPOSES = frozenset(
    {"offer_accept", "offer_decline", "checkin_yes", "checkin_leave", "reactivate"}
)


class LinkInvalid(Exception):
    """Tampered with, for another purpose, or not a link at all."""


class LinkExpired(Exception):
    def __init__(self, claims: LinkClaims):
        super().__init__("link expired")
        self.claims = claims


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    application_id: int
    offer_id: int | None
    expires_at: datetime


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"action-link:{purpose}")


def sign(purpose: str, application_id: int, offer_id: int | None, expires_at: datetime) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    payload = [application_id, offer_id or 0, int(expires_at.timestamp())]
    return _serializer(purpose).dumps(payload)


def verify(purpose: str, token: str, now: datetime) -> LinkClaims:
    """The link's claims; LinkInvalid if forged or for another purpose, LinkExpired
    (carrying the claims, to show the current state) once past its time."""
    if purpose not in PURPOSES:
        raise LinkInvalid(purpose)
    try:
        application_id, offer_id, expires = _serializer(purpose).loads(token)
        claims = LinkClaims(
            purpose=purpose,
            application_id=int(application_id),
            offer_id=int(offer_id) or None,
            expires_at=datetime.fromtimestamp(int(expires), UTC),
        )
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid(purpose) from exc
    if now >= claims.expires_at:
        raise LinkExpired(claims)
    return claims


# Link specs: what the app stores on an outbox row ---------------------------------------

# Template variables that show a link: lower-case words, as in "accept_url".
_SLOT = re.compile(r"[a-z][a-z_]{0,39}")
PASSWORD_PURPOSES = frozenset({"reset", "welcome"})


class SpecInvalid(ValueError):
    """A stored link spec that does not say what the app writes."""


@dataclass(frozen=True)
class ManageLink:
    """The applicant's "manage my application" page (a fresh token per message)."""

    kind = "manage"

    def to_json(self) -> dict:
        return {"kind": self.kind}


@dataclass(frozen=True)
class ActionLink:
    """A signed action link for the row's own application (and this offer of it)."""

    purpose: str
    expires_at: datetime
    offer_id: int | None = None
    kind = "action"

    def __post_init__(self):
        if self.purpose not in PURPOSES:
            raise SpecInvalid(self.purpose)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "purpose": self.purpose,
            "offer_id": self.offer_id,
            "expires_at": int(self.expires_at.timestamp()),
        }


@dataclass(frozen=True)
class PasswordLink:
    """A coordinator's password link: "reset" (forgotten password) or "welcome"
    (a new account's first password, longer-lived)."""

    purpose: str
    kind = "password"

    def __post_init__(self):
        if self.purpose not in PASSWORD_PURPOSES:
            raise SpecInvalid(self.purpose)

    def to_json(self) -> dict:
        return {"kind": self.kind, "purpose": self.purpose}


@dataclass(frozen=True)
class SurveyLink:
    """A participant's evaluation survey after their group (signed for the row's own
    participant, until ``expires_at``)."""

    expires_at: datetime
    kind = "survey"

    def to_json(self) -> dict:
        return {"kind": self.kind, "expires_at": int(self.expires_at.timestamp())}


@dataclass(frozen=True)
class ParticipantLink:
    """A named staff member's own page (a fresh token per message, for the row's
    ``participant_id``)."""

    kind = "participant"

    def to_json(self) -> dict:
        return {"kind": self.kind}


LinkSpec = ManageLink | ActionLink | PasswordLink | SurveyLink | ParticipantLink


def _int(value) -> int:
    # bool is an int to Python; a stored spec never holds one.
    if not isinstance(value, int) or isinstance(value, bool):
        raise SpecInvalid(value)
    return value


def spec_from_json(data: Mapping) -> LinkSpec:
    """A stored spec back as its type; SpecInvalid for anything the app did not write."""
    try:
        kind = data["kind"]
        if kind == ManageLink.kind:
            return ManageLink()
        if kind == ActionLink.kind:
            offer_id = data.get("offer_id")
            return ActionLink(
                purpose=data["purpose"],
                expires_at=datetime.fromtimestamp(_int(data["expires_at"]), UTC),
                offer_id=None if offer_id is None else _int(offer_id),
            )
        if kind == PasswordLink.kind:
            return PasswordLink(purpose=data["purpose"])
        if kind == SurveyLink.kind:
            return SurveyLink(expires_at=datetime.fromtimestamp(_int(data["expires_at"]), UTC))
        if kind == ParticipantLink.kind:
            return ParticipantLink()
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        raise SpecInvalid(repr(data)) from exc
    raise SpecInvalid(repr(data))


def specs_to_json(specs: Mapping[str, LinkSpec]) -> list[dict]:
    rows = []
    for slot, spec in specs.items():
        if not _SLOT.fullmatch(slot):
            raise SpecInvalid(slot)
        rows.append({"slot": slot, **spec.to_json()})
    return rows


def specs_from_json(rows: Iterable[Mapping] | None) -> dict[str, LinkSpec]:
    specs = {}
    for row in rows or ():
        slot = row.get("slot") if isinstance(row, Mapping) else None
        if not isinstance(slot, str) or not _SLOT.fullmatch(slot):
            raise SpecInvalid(repr(row))
        specs[slot] = spec_from_json(row)
    return specs


# Markers: what a stored body holds where a link goes -------------------------------------


def new_nonce() -> str:
    """128 random bits, made when the row is: nobody can type its markers beforehand."""
    return secrets.token_hex(16)


def marker(nonce: str, slot: str) -> str:
    return f"%%LINK:{nonce}:{slot}%%"


_LABELS = {
    ManageLink.kind: "private link to the applicant's page",
    PasswordLink.kind: "private password link",
    SurveyLink.kind: "private link to the survey",
    ParticipantLink.kind: "private link to the participant's page",
}


def label(spec: LinkSpec) -> str:
    """How a stored body shows a link to coordinators: words, never a link."""
    if isinstance(spec, ActionLink):
        return f"private link: {spec.purpose.replace('_', ' ')}"
    return _LABELS[spec.kind]


def readable(body: str, nonce: str | None, specs: Mapping[str, LinkSpec]) -> str:
    """A stored body with its markers replaced by words saying which link goes there."""
    if not nonce:
        return body
    for slot, spec in specs.items():
        body = body.replace(marker(nonce, slot), f"[{label(spec)}]")
    return body


# Public URLs ----------------------------------------------------------------------------


def public_url_for(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint`` for an e-mail, under PUBLIC_BASE_URL.

    Never from the request's Host (a forged Host header must not reach an e-mail),
    and the same inside a request and in the worker, which has none. A base with a
    path (``https://example.org/intake``, the app served under a prefix) is the
    script root: the route's path goes after it, once.
    """
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def public_host() -> str:
    """The host name of PUBLIC_BASE_URL (for Message-IDs and calendar UIDs)."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


# Link kinds: how the worker turns a spec into a link ------------------------------------


class CannotMint(Exception):
    """The outbox row cannot carry the link its spec names (no such applicant,
    another person's application …): the message is not sent."""


# The endpoint's values (its token) for this row's own applicant, application or
# coordinator, minted now; raises CannotMint.
Mint = Callable[["OutboxMessage", "LinkSpec", datetime], dict[str, Any]]


@dataclass(frozen=True)
class LinkKind:
    kind: str  # a spec's ``kind``: "manage", "action", "password"
    endpoint: str  # the page the link opens
    mint: Mint


_KINDS = "intake.link_kinds"


def register_link_kind(bp: Blueprint, kind: str, endpoint: str, mint: Mint) -> None:
    """Register, for every app ``bp`` is registered on, how specs of ``kind`` become
    links to ``endpoint`` (".view" is a view of ``bp``). Called by the feature that
    owns the page and its tokens, next to its route."""

    def record(state: BlueprintSetupState) -> None:
        full = f"{state.name}{endpoint}" if endpoint.startswith(".") else endpoint
        kinds = state.app.extensions.setdefault(_KINDS, {})
        if kind in kinds:
            raise ValueError(f"link kind {kind!r} is registered twice")
        kinds[kind] = LinkKind(kind=kind, endpoint=full, mint=mint)

    bp.record_once(record)


def link_kinds() -> Mapping[str, LinkKind]:
    """The link kinds the current app knows, by kind."""
    return current_app.extensions.get(_KINDS, {})


def mint_link(row: OutboxMessage, spec: LinkSpec, now: datetime) -> str:
    """The link ``spec`` stands for, minted now for ``row``; CannotMint when the row
    cannot carry it."""
    kind = link_kinds().get(spec.kind)
    if kind is None:
        raise CannotMint(f"unknown link {spec!r}")
    return public_url_for(kind.endpoint, **kind.mint(row, spec, now))
