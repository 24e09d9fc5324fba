"""Action links as the delivery worker mints them (the link kind "action", see
intake.links): signed for the message's own application, and the offer of it."""

from __future__ import annotations

from datetime import datetime

from intake.extensions import db
from intake.links import ActionLink, CannotMint, LinkSpec, sign
from intake.models import Application, Offer, OutboxMessage


def action_link(row: OutboxMessage, spec: LinkSpec, _now: datetime) -> dict[str, str]:
    """The respond page's values: purpose and a signed token, only for the row's own
    applicant's application (and that application's offer)."""
    if not isinstance(spec, ActionLink):
        raise CannotMint(f"not an action link: {spec!r}")
    application = db.session.get(Application, row.application_id) if row.application_id else None
    if application is None or application.applicant_id != row.applicant_id:
        raise CannotMint("action link: the application is not the recipient's")
    if spec.offer_id is not None:
        offer = db.session.get(Offer, spec.offer_id)
        if offer is None or offer.application_id != application.id:
            raise CannotMint("action link: the offer is not the application's")
    token = sign(spec.purpose, application.id, spec.offer_id, spec.expires_at)
    return {"purpose": spec.purpose, "token": token}
