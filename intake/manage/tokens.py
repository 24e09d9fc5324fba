"""Manage link tokens: random, one per e-mail, only their SHA-256 stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from intake.extensions import db
from intake.links import CannotMint, LinkSpec
from intake.models import ManageToken, OutboxMessage


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_manage_token(applicant_id: int, now: datetime) -> str:
    """Create a manage link token for an applicant; store only its hash."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ManageToken(applicant_id=applicant_id, token_hash=hash_token(token), created_at=now)
    )
    return token


def manage_link(row: OutboxMessage, _spec: LinkSpec, now: datetime) -> dict[str, str]:
    """The manage page's values for the message's own applicant, a new token each time
    (the link kind "manage", see intake.links)."""
    if row.applicant_id is None:
        raise CannotMint("manage link: the message has no applicant")
    return {"token": mint_manage_token(row.applicant_id, now)}
