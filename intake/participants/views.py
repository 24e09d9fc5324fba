"""A named staff member's own page, reached by the private link in their e-mails:
their group's sessions, what they attended, their hours and letters.

Only the token's SHA-256 is stored. The page speaks the person's language (or the
one picked with the language links), is never cached, and sends only the origin as
Referer (intake.security: the token is in the path). A person who was replaced, or
whose agency left the group, gets "this link does not work".
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import force_locale
from sqlalchemy import select

from intake import clock, links
from intake.extensions import db
from intake.i18n import choose_language
from intake.manage.tokens import hash_token
from intake.models import Participant, ParticipantToken
from intake.participants import services
from intake.participants.records import ACTIVE, COMPLETED
from intake.participants.tokens import participant_link

bp = Blueprint("participants", __name__, url_prefix="/participant")
links.register_link_kind(bp, links.ParticipantLink.kind, ".show", participant_link)

LANG_KEY = "participant_lang"
MAX_TOKEN_LENGTH = 100


def _find(token: str) -> Participant | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        select(Participant)
        .join(ParticipantToken, ParticipantToken.participant_id == Participant.id)
        .where(ParticipantToken.token_hash == hash_token(token))
    )


@bp.route("/<token>")
def show(token: str):
    participant = _find(token)
    if participant is None or participant.status not in (ACTIVE, COMPLETED):
        return render_template("participants/invalid.html"), 404
    applicant = participant.application.applicant
    with force_locale(choose_language(participant.locale, remember=LANG_KEY)):
        return render_template(
            "participants/show.html",
            participant=participant,
            agency=applicant.organisation or applicant.name,
            view=services.group_view(participant, clock.now()),
        )
