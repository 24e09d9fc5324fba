"""Signed action links for e-mails: bound to a purpose, an application (and an
offer), and an expiry time.

The outbox stores a placeholder (``action_placeholder``) instead of the link; the
delivery worker signs it as it sends (``fill_action_links``), so the database never
holds a usable link. Opening a link (GET) only shows what will happen; the page's
button (POST, CSRF-protected) acts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

PURPOSES = frozenset(
    {"offer_accept", "offer_decline", "checkin_yes", "checkin_leave", "reactivate"}
)

_PLACEHOLDER = re.compile(r"%%ACTION:([a-z_]+):(\d+):(\d+):(\d+)%%")


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


def action_placeholder(
    purpose: str, application_id: int, offer_id: int | None, expires_at: datetime
) -> str:
    """What an e-mail template gets in place of the link; see fill_action_links."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return f"%%ACTION:{purpose}:{application_id}:{offer_id or 0}:{int(expires_at.timestamp())}%%"


def fill_action_links(body: str, url_for_token) -> str:
    """Replace every action placeholder in a body by its signed URL."""

    def replace(match: re.Match) -> str:
        purpose, application_id, offer_id, expires = match.groups()
        token = sign(
            purpose,
            int(application_id),
            int(offer_id) or None,
            datetime.fromtimestamp(int(expires), UTC),
        )
        return url_for_token(purpose, token)

    return _PLACEHOLDER.sub(replace, body)
