"""Participant link tokens: random, one per e-mail, only their SHA-256 stored."""

from __future__ import annotations

import secrets
from datetime import datetime

from intake.extensions import db
from intake.links import CannotMint, LinkSpec
from intake.manage.tokens import hash_token
from intake.models import OutboxMessage, Participant, ParticipantToken


def mint_participant_token(participant_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        ParticipantToken(
            participant_id=participant_id, token_hash=hash_token(token), created_at=now
        )
    )
    return token


def participant_link(row: OutboxMessage, _spec: LinkSpec, now: datetime) -> dict[str, str]:
    """The participant page's values for the message's own participant, a new token
    each time (the link kind "participant", see intake.links)."""
    participant = db.session.get(Participant, row.participant_id) if row.participant_id else None
    if participant is None:
        raise CannotMint("participant link: the message has no participant")
    return {"token": mint_participant_token(participant.id, now)}
