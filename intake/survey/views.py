"""The survey page behind the link in the invitation: /survey/<token>.

Public (the signed token is the key), in the participant's language unless the reader
picks another (``?lang=``). A GET shows the questions; the POST keeps the answers once
and shows "thank you". After that, the link (or a second press, or another tab) only
says that we have the answers. The token is the view argument ``token``, so the page
is served with the strict-origin referrer policy (intake.security).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock, links
from intake.extensions import db, limiter
from intake.forms import shows_form_again_on_csrf_error
from intake.htmx import form_page, redirect_after_post
from intake.i18n import choose_language, get_locale
from intake.models import Cohort, Participant
from intake.survey import services, tokens
from intake.survey.forms import SurveyForm

bp = Blueprint("survey", __name__, url_prefix="/survey")
links.register_link_kind(bp, links.SurveyLink.kind, ".answer", tokens.survey_link)

TEMPLATE = "survey/answer.html"
NOINDEX = {"X-Robots-Tag": "noindex"}


def _respond_limit():
    return current_app.config["RATELIMIT_RESPOND"]


@bp.route("/<token>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@limiter.limit(_respond_limit, methods=["POST"])
def answer(token: str):
    now = clock.now()
    try:
        claims = tokens.verify(token, now)
    except tokens.TokenInvalid:
        return _page(None, "survey/invalid.html", 404)
    except tokens.TokenExpired as expired:
        participant = _participant(expired.participant_id)
        if participant is None:
            return _page(None, "survey/invalid.html", 404)
        if services.has_answered(participant.id):
            return _page(participant, "survey/thanks.html", just_sent=False)
        return _page(participant, "survey/expired.html", 410)

    participant = _participant(claims.participant_id)
    if participant is None or not services.may_answer(participant):
        return _page(None, "survey/invalid.html", 404)
    here = url_for(".answer", token=token, **_picked_language())
    if services.has_answered(participant.id):
        if request.method == "POST":
            return redirect_after_post(here)
        return _page(participant, "survey/thanks.html", just_sent=request.args.get("sent") == "1")

    with force_locale(_language(participant)):
        form = SurveyForm()
        if form.validate_on_submit():
            try:
                services.record_response(
                    participant,
                    ratings=form.ratings(),
                    comments=form.comments.data,
                    use_my_name=form.use_my_name.data,
                    locale=str(get_locale()),
                    now=now,
                )
                db.session.commit()
            except services.AlreadyAnswered:
                db.session.rollback()
                return redirect_after_post(here)
            return redirect_after_post(
                url_for(".answer", token=token, sent=1, **_picked_language())
            )
        response = form_page(
            TEMPLATE,
            "survey_form",
            {
                "form": form,
                "participant": participant,
                "cohort": participant.cohort,
                "action_url": here,
            },
        )
    response.headers.update(NOINDEX)
    return response


def _picked_language() -> dict[str, Any]:
    """The language the reader picked with ?lang=, kept in the form's address."""
    picked = request.args.get("lang")
    return (
        {"lang": picked} if picked is not None and picked in current_app.config["LANGUAGES"] else {}
    )


def _language(participant: Participant) -> str:
    return choose_language(participant.locale, remember=None)


def _participant(participant_id: int) -> Participant | None:
    return db.session.scalar(
        select(Participant)
        .options(joinedload(Participant.cohort).joinedload(Cohort.program))
        .where(Participant.id == participant_id)
    )


def _page(participant: Participant | None, template: str, status: int = 200, **context):
    language = _language(participant) if participant else choose_language(remember=None)
    with force_locale(language):
        body = render_template(
            template,
            participant=participant,
            cohort=participant.cohort if participant else None,
            **context,
        )
    return body, status, NOINDEX
