"""Survey links (the link kind "survey", see intake.links): signed with SECRET_KEY for
one participant, until an expiry time. The worker mints one per message, for the
message's own participant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from intake.extensions import db
from intake.links import CannotMint, LinkSpec, SurveyLink
from intake.models import OutboxMessage, Participant

# A real token is about 40 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 200


class TokenInvalid(Exception):
    """Tampered with, or not a survey link at all."""


class TokenExpired(Exception):
    def __init__(self, participant_id: int):
        super().__init__("survey link expired")
        self.participant_id = participant_id


@dataclass(frozen=True)
class SurveyClaims:
    participant_id: int
    expires_at: datetime


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-link")


def sign(participant_id: int, expires_at: datetime) -> str:
    return _serializer().dumps([participant_id, int(expires_at.timestamp())])


def verify(token: str, now: datetime) -> SurveyClaims:
    """The link's claims; TokenInvalid if forged, TokenExpired once past its time."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid()
    try:
        participant_id, expires = _serializer().loads(token)
        claims = SurveyClaims(int(participant_id), datetime.fromtimestamp(int(expires), UTC))
    except (BadSignature, ValueError, TypeError, OverflowError, OSError) as exc:
        raise TokenInvalid() from exc
    if now >= claims.expires_at:
        raise TokenExpired(claims.participant_id)
    return claims


def survey_link(row: OutboxMessage, spec: LinkSpec, _now: datetime) -> dict[str, str]:
    """The survey page's token, only for the row's own participant (and, for an
    individual, only when the row is also theirs as the applicant)."""
    if not isinstance(spec, SurveyLink):
        raise CannotMint(f"not a survey link: {spec!r}")
    participant = db.session.get(Participant, row.participant_id) if row.participant_id else None
    if participant is None:
        raise CannotMint("survey link: the message has no participant")
    if participant.applicant_id is not None and participant.applicant_id != row.applicant_id:
        raise CannotMint("survey link: the participant is not the recipient")
    return {"token": sign(participant.id, spec.expires_at)}
