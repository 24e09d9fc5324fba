"""Cohorts for every coordinator: seats enrolled, offered and free, who holds them,
and offering them: the free seats to the next matching people, or a seat to one
chosen person, and taking an offer back.

Every change goes through intake.offers.services and is committed here, once.
Without JavaScript each form answers with a 303 back to the cohort page and a
flashed notice; with htmx, with the page's seats part (seats, people, both ways of
offering) and the notice in it. Refused input comes back with 422 and the answers
kept."""

from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import choices, clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope, visible_cohort
from intake.cohorts import services
from intake.cohorts.forms import OfferNextForm, OfferOneForm, rescind_form
from intake.cohorts.services import all_programs, cohorts_by_program
from intake.extensions import db
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.inputs import arg_str
from intake.models import Applicant, Application, Cohort, Offer
from intake.offers import services as offers
from intake.status.services import ReasonRequired
from intake.status.states import LABELS, WAITLISTED, TransitionNotAllowed
from intake.templating import moment

bp = workspace_blueprint("cohorts", __name__, url_prefix="/coord/cohorts", admin=False)

LANGUAGE_CODES = {code for code, _label in choices.LANGUAGES}


@bp.route("")
def index():
    programs = all_programs(current_scope())
    chosen_program = next((p for p in programs if p.slug == request.args.get("program")), None)
    language = request.args.get("language")
    if language not in LANGUAGE_CODES:
        language = None
    groups = cohorts_by_program([chosen_program] if chosen_program else programs, language)
    context = {
        "programs": programs,
        "languages": choices.LANGUAGES,
        "chosen_program": chosen_program,
        "language": language,
        "groups": groups,
        "total": sum(len(cohorts) for _program, cohorts in groups),
    }
    return page_or_fragment("cohorts/index.html", "cohort_list", context)


TEMPLATE = "cohorts/show.html"


def _load(cohort_id: int) -> Cohort:
    """The cohort, if its program is one of the reader's; 404 otherwise, before any
    form is read."""
    return visible_cohort(cohort_id, current_scope(), joinedload(Cohort.program))


def _context(cohort: Cohort, *, q: str = "", given: dict | None = None, notice=None) -> dict:
    """What the page shows; ``given`` holds a refused form to show as it was sent:
    "offer_one", or "rescind" as {offer id: form}."""
    given = given or {}
    holders = services.seat_holders(cohort)
    in_queue = services.queue(cohort)
    preview = services.offer_preview(cohort, in_queue)
    offer_one_form = given.get("offer_one") or OfferOneForm(formdata=None, data={"q": q})
    chosen = offer_one_form.application.data if "offer_one" in given else None
    refused = given.get("rescind", {})
    return {
        "cohort": cohort,
        "holders": holders,
        "preview": preview,
        "next_up": preview.chosen[0].application.id if preview.chosen else None,
        "next_form": OfferNextForm(
            formdata=None, data={"previewed": ",".join(str(i) for i in preview.ids)}
        ),
        "offer_one_form": offer_one_form,
        "chosen": chosen,
        "candidates": services.candidates(
            cohort, offer_one_form.q.data or "", keep=chosen, in_queue=in_queue
        ),
        "rescind_forms": {
            holder.offer.id: refused.get(holder.offer.id)
            or rescind_form(holder.offer.id, formdata=None)
            for holder in holders.offered
            if holder.offer is not None
        },
        "notice": notice,
        "display_name": display_name,
    }


@bp.route("/<int:cohort_id>")
def show(cohort_id: int):
    # The only htmx GET here is the search of the people to choose from.
    return page_or_fragment(TEMPLATE, "candidates", _context(_load(cohort_id), q=arg_str("q", "")))


def _respond(cohort_id: int, *, notice: str | None = None, status: int = 200, given=None):
    """The answer to a form of this page: without htmx a 303 back to the page with the
    notice flashed (or the page with errors, 422); with htmx the seats part."""
    if not is_htmx() and status == 200:
        if notice:
            flash(notice)
        return redirect_after_post(url_for("cohorts.show", cohort_id=cohort_id))
    context = _context(_load(cohort_id), given=given, notice=notice)
    return page_or_fragment(TEMPLATE, "seats", context, status=status)


def _me():
    return current_user._get_current_object()


def display_name(application: Application) -> str:
    """An agency by its name, a person by theirs."""
    applicant = application.applicant
    return applicant.agency.agency_name if applicant.agency else applicant.name


def _who(application: Application) -> str:
    return f"{display_name(application)} ({application.reference})"


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


def _until(when) -> str:
    return moment(when)


@bp.post("/<int:cohort_id>/offer-next")
def offer_next(cohort_id: int):
    cohort = _load(cohort_id)
    form = OfferNextForm()
    if not form.validate_on_submit():
        return _respond(cohort_id, notice="The form could not be read. Nothing was offered.")
    previewed = form.previewed_ids()
    made = offers.offer_next(cohort, now=clock.now(), actor=_me())
    db.session.commit()
    return _respond(cohort_id, notice=_offers_made(previewed, made))


def _offers_made(previewed: list[int], made: list[Offer]) -> str:
    if not made:
        if previewed:
            return (
                f"No offers were made. The {len(previewed)} you previewed could not be made: "
                "someone else offered these seats, or the people in your preview stopped "
                "waiting, since you looked. The page now shows where things stand."
            )
        return "No offers were made: no seats are free, or nobody waiting fits this cohort."
    who = "; ".join(_who(offer.application) for offer in made)
    seats = _seats(sum(offer.seats for offer in made))
    if len(made) < len(previewed):
        return (
            f"Only {len(made)} of the {len(previewed)} offers you previewed were made "
            f"({seats}): someone else offered seats or people in your preview meanwhile. "
            f"Offered to {who}. Their e-mails are on their way."
        )
    several = len(made) > 1
    text = f"{len(made)} offer{'s' if several else ''} made ({seats}): {who}. " + (
        "Their e-mails are on their way." if several else "The e-mail is on its way."
    )
    if [offer.application_id for offer in made] != previewed:
        text += " The queue changed since you looked, so this is not exactly your preview."
    return text


@bp.post("/<int:cohort_id>/offer-one")
def offer_one(cohort_id: int):
    cohort = _load(cohort_id)
    form = OfferOneForm()
    if not form.validate_on_submit():
        return _respond(cohort_id, given={"offer_one": form}, status=422)
    application = db.session.scalar(
        current_scope()
        .applications(select(Application))
        .where(Application.id == form.application.data)
        .options(joinedload(Application.applicant).joinedload(Applicant.agency))
    )
    if application is None or application.program_id != cohort.program_id:
        return _respond(
            cohort_id,
            notice="That application is not one of this program's. Nothing was offered.",
        )
    try:
        offer = offers.offer_one(
            cohort, application, now=clock.now(), actor=_me(), reason=form.reason.data
        )
    except ReasonRequired:
        db.session.rollback()
        form.reason.errors = [
            f"{_who(application)} is not next in line: give the reason for offering them "
            "a seat out of queue order."
        ]
        return _respond(cohort_id, given={"offer_one": form}, status=422)
    except (offers.NotOfferable, TransitionNotAllowed):
        db.session.rollback()
        db.session.refresh(application)
        return _respond(cohort_id, notice=_not_offerable(application))
    except offers.SeatsTaken:
        db.session.rollback()
        db.session.refresh(cohort)
        return _respond(
            cohort_id,
            notice=(
                f"Not enough seats are free for {_who(application)}: they need "
                f"{_seats(application.seats_requested)} and {cohort.seats_free} "
                f"{'is' if cohort.seats_free == 1 else 'are'} free now (someone may have "
                "offered them a moment ago). Nothing was offered."
            ),
        )
    db.session.commit()
    notice = f"Seat offered to {_who(application)} until {_until(offer.expires_at)}."
    if offer.out_of_order_reason:
        notice += " Out of queue order; your reason is recorded with the offer."
    return _respond(cohort_id, notice=notice + " Their e-mail is on its way.")


def _not_offerable(application: Application) -> str:
    if application.status != WAITLISTED:
        return (
            f"{_who(application)} is no longer waiting for a seat (now "
            f"{LABELS.get(application.status, application.status)}). Nothing was offered."
        )
    return (
        f"{_who(application)} does not fit this cohort: its language or days and times do "
        "not match theirs, or they turned down or let lapse an offer of it. Nothing was "
        "offered."
    )


@bp.post("/<int:cohort_id>/offers/<int:offer_id>/rescind")
def rescind(cohort_id: int, offer_id: int):
    _load(cohort_id)
    offer = db.one_or_404(
        select(Offer)
        .where(Offer.id == offer_id, Offer.cohort_id == cohort_id)
        .options(
            joinedload(Offer.application)
            .joinedload(Application.applicant)
            .joinedload(Applicant.agency)
        )
    )
    if offer.status != offers.OPEN:
        return _respond(cohort_id, notice=_closed(offer))
    form = rescind_form(offer_id)
    if not form.validate_on_submit():
        return _respond(cohort_id, given={"rescind": {offer_id: form}}, status=422)
    try:
        offers.rescind(offer, now=clock.now(), actor=_me(), reason=form.reason.data)
    except ReasonRequired:
        db.session.rollback()
        form.reason.errors = ["Give a reason for taking the offer back."]
        return _respond(cohort_id, given={"rescind": {offer_id: form}}, status=422)
    except (offers.OfferClosed, TransitionNotAllowed):
        db.session.rollback()
        db.session.refresh(offer)
        return _respond(cohort_id, notice=_closed(offer))
    db.session.commit()
    return _respond(
        cohort_id,
        notice=(
            f"Offer to {_who(offer.application)} taken back: {_seats(offer.seats)} free again. "
            "They keep their place on the waitlist and are e-mailed that the offer was "
            "withdrawn."
        ),
    )


CLOSED_AS = {
    offers.ACCEPTED: "was accepted",
    offers.DECLINED: "was declined",
    offers.EXPIRED: "expired",
    offers.RESCINDED: "was already taken back",
}


def _closed(offer: Offer) -> str:
    how = CLOSED_AS.get(offer.status, f"is {offer.status}")
    return (
        f"The offer to {_who(offer.application)} is no longer open: it {how}. Nothing was changed."
    )
