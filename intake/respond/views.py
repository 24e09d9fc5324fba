"""The pages behind the action links in applicants' e-mails: /respond/<purpose>/<token>.

Mail systems open links to scan them, so a GET never changes anything: it checks the
link and shows what will happen, with a button. The button POSTs (CSRF-protected)
and acts through the offers and check-ins services. Each action happens once: the
services change rows only by conditional UPDATEs, and once done, the same link (GET
or a second POST) shows where things stand instead of a button. Expired, forged
and superseded links (an offer taken back, answered or ended) show a clear page and
change nothing.

Pages are in the applicant's language (``Applicant.locale``), unless the reader picks
another with the language chooser (``?lang=``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock, links
from intake.checkins import services as checkins
from intake.extensions import db, limiter
from intake.forms import Form, shows_form_again_on_csrf_error
from intake.htmx import redirect_after_post
from intake.i18n import choose_language
from intake.models import Applicant, Application, Offer, StatusEvent
from intake.offers import services as offers
from intake.respond.forms import DEFER, ConfirmForm, DeclineForm
from intake.respond.tokens import action_link
from intake.status import states

bp = Blueprint("respond", __name__, url_prefix="/respond")
# Action links in e-mails (offers, check-ins, reactivation) open the "act" page below.
links.register_link_kind(bp, links.ActionLink.kind, ".act", action_link)

# A real token is about 60 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 300
OFFER_PURPOSES = frozenset({"offer_accept", "offer_decline"})
# Cache-Control: no-store comes with every page (intake.security).
NOINDEX = {"X-Robots-Tag": "noindex"}


def _respond_limit():
    return current_app.config["RATELIMIT_RESPOND"]


@dataclass
class Target:
    """What a verified link points at."""

    claims: links.LinkClaims
    application: Application
    offer: Offer | None

    @property
    def applicant(self) -> Applicant:
        return self.application.applicant


@dataclass(frozen=True)
class Action:
    form: type[Form]
    # Is the thing the link asks for still possible? If not, the page shows where
    # things stand and the button is not offered.
    possible: Callable[[Target], bool]
    perform: Callable[[Target, Form, datetime], object]


def _offer(target: Target) -> Offer:
    """The offer of an offer link (only the other links have none)."""
    if target.offer is None:
        raise LookupError("this link names no offer")
    return target.offer


def _offer_open(target: Target) -> bool:
    return (
        target.offer is not None
        and target.offer.status == offers.OPEN
        and target.application.status == states.OFFERED
    )


def _checkin_pending(target: Target) -> bool:
    application = target.application
    return application.status == states.WAITLISTED and application.checkin_sent_at is not None


ACTIONS: dict[str, Action] = {
    "offer_accept": Action(
        ConfirmForm,
        _offer_open,
        lambda target, _form, now: offers.accept(_offer(target), now=now),
    ),
    "offer_decline": Action(
        DeclineForm,
        _offer_open,
        lambda target, form, now: offers.decline(
            _offer(target), now=now, defer=form.choice.data == DEFER
        ),
    ),
    "checkin_yes": Action(
        ConfirmForm,
        _checkin_pending,
        lambda target, _form, now: checkins.confirm(target.application, now),
    ),
    "checkin_leave": Action(
        ConfirmForm,
        lambda target: checkins.can_leave(target.application),
        lambda target, _form, now: checkins.leave(target.application, now),
    ),
    "reactivate": Action(
        ConfirmForm,
        lambda target: target.application.status == states.INACTIVE,
        lambda target, _form, now: checkins.reactivate(target.application, now),
    ),
}

# The other answer to the same question, offered on the page as a plain link.
SIBLING = {
    "offer_accept": "offer_decline",
    "offer_decline": "offer_accept",
    "checkin_yes": "checkin_leave",
    "checkin_leave": "checkin_yes",
}

# Raised by the services when someone (or another click) acted first.
ALREADY_CHANGED = (
    offers.OfferClosed,
    states.TransitionNotAllowed,
    checkins.NothingPending,
)


@bp.route("/<purpose>/<token>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@limiter.limit(_respond_limit, methods=["POST"])
def act(purpose: str, token: str):
    now = clock.now()
    if purpose not in ACTIONS or len(token) > MAX_TOKEN_LENGTH:
        return _invalid()
    try:
        claims = links.verify(purpose, token, now)
    except links.LinkInvalid:
        return _invalid()
    except links.LinkExpired as expired:
        target = _load(expired.claims)
        if target is None:
            return _invalid()
        return _page("respond/expired.html", target, 410)

    target = _load(claims)
    if target is None:
        return _invalid()
    action = ACTIONS[purpose]
    here = url_for(".act", purpose=purpose, token=token)

    if request.method == "POST":
        if not action.possible(target):
            # Done already, or overtaken: nothing to do, show where things stand.
            return redirect_after_post(here)
        form = action.form()
        if not form.validate_on_submit():
            return _page("respond/confirm.html", target, 422, form=form, action_url=here)
        try:
            action.perform(target, form, now)
            db.session.commit()
        except ALREADY_CHANGED:
            db.session.rollback()
        except offers.SeatsTaken:
            # The seat counters disagree with the offer: never guess, ask a human.
            db.session.rollback()
            return _page("respond/problem.html", target, 409)
        return redirect_after_post(here)

    if action.possible(target):
        form = action.form(formdata=None)
        return _page("respond/confirm.html", target, form=form, action_url=here)
    return _page("respond/state.html", target)


def _load(claims: links.LinkClaims) -> Target | None:
    """The application (and offer) a link names, or None if they are gone or do
    not belong together."""
    application = db.session.scalar(
        select(Application)
        .options(joinedload(Application.applicant), joinedload(Application.program))
        .where(Application.id == claims.application_id)
    )
    if application is None:
        return None
    offer = None
    if claims.purpose in OFFER_PURPOSES:
        offer = db.session.scalar(
            select(Offer)
            .options(joinedload(Offer.cohort))
            .where(Offer.id == claims.offer_id, Offer.application_id == application.id)
        )
        if offer is None:
            return None
    return Target(claims=claims, application=application, offer=offer)


def _latest_move(application: Application) -> StatusEvent | None:
    """The move that brought the application to its current status (when, by whom)."""
    return db.session.scalar(
        select(StatusEvent)
        .where(
            StatusEvent.application_id == application.id,
            StatusEvent.to_status == application.status,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )


def _sibling_url(claims: links.LinkClaims) -> str | None:
    other = SIBLING.get(claims.purpose)
    if other is None:
        return None
    token = links.sign(other, claims.application_id, claims.offer_id, claims.expires_at)
    return url_for(".act", purpose=other, token=token)


def _page(template: str, target: Target, status: int = 200, **context):
    # A reader's pick with ?lang= holds for this page only.
    with force_locale(choose_language(target.applicant.locale, remember=None)):
        body = render_template(
            template,
            purpose=target.claims.purpose,
            claims=target.claims,
            application=target.application,
            applicant=target.applicant,
            offer=target.offer,
            cohort=target.offer.cohort if target.offer else None,
            latest_move=_latest_move(target.application),
            sibling_url=_sibling_url(target.claims),
            **context,
        )
    return body, status, NOINDEX


def _invalid():
    body = render_template("respond/invalid.html")
    return body, 404, NOINDEX
