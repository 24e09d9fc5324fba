"""The applicant's manage pages, reached by the secret link in every e-mail.

Every page under /manage/<token> is shown in the applicant's language (or the one
they pick with the language links), is never cached (``Cache-Control: no-store``, which
intake.security sets on every page), and works as plain links and forms; with htmx,
forms swap themselves.

A link works for MANAGE_LINK_DAYS after the e-mail carrying it was sent; after that
every page under it (the data download included) shows only "this link has expired"
and the way to a new one. The token stays in the path: the access log redacts it
(intake.logredact), and the pages are never cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale

from intake import clock, links, ratelimits
from intake.extensions import db
from intake.forms import shows_form_again_on_csrf_error
from intake.htmx import form_page, redirect_after_post
from intake.i18n import choose_language, get_locale
from intake.i18n import gettext as _
from intake.manage import services
from intake.manage.forms import DeleteForm, RequestLinkForm, WithdrawForm, details_form_class
from intake.manage.tokens import hash_token, manage_link
from intake.models import Applicant, ManageToken
from intake.offers.services import OfferClosed
from intake.participants import services as participants
from intake.participants.forms import StaffForm
from intake.status.states import WITHDRAWN, TransitionNotAllowed

bp = Blueprint("manage", __name__, url_prefix="/manage")
# The "manage my application" link in every e-mail to an applicant opens the status page.
links.register_link_kind(bp, links.ManageLink.kind, ".status", manage_link)

# The language a person picked with the language links on these pages; otherwise
# the pages speak the language they applied in.
LANG_KEY = "manage_lang"
# The hash of the link a person just deleted their data with, so a second click on
# the button shows the final page again instead of "this link does not work".
DELETED_KEY = "manage_deleted"
DELETED_LANG_KEY = "manage_deleted_lang"


def link_expired(link: ManageToken, now: datetime) -> bool:
    """A manage link works for MANAGE_LINK_DAYS from the e-mail it came in. Using it
    does not extend it: a new link comes with every e-mail, or on request."""
    lifetime = timedelta(days=current_app.config["MANAGE_LINK_DAYS"])
    return link.created_at + lifetime <= now


def _invalid():
    return render_template("manage/invalid.html"), 404


def _expired():
    # Changes nothing and shows nothing of the application: only the way to a new link.
    days = current_app.config["MANAGE_LINK_DAYS"]
    return render_template("manage/expired.html", days=days), 410


def with_applicant(view: Callable) -> Callable:
    """Look the applicant up by the link's token (its SHA-256), and run the view in
    their language; an unknown token gets the "this link does not work" page, an
    expired one the "this link has expired" page (in the applicant's language)."""

    @wraps(view)
    def wrapper(token: str, **kwargs):
        found = services.find_by_token(token)
        if found is None:
            return _invalid()
        applicant, link = found
        with force_locale(choose_language(applicant.locale, remember=LANG_KEY)):
            if link_expired(link, clock.now()):
                return _expired()
            return view(applicant, token, **kwargs)

    return wrapper


# Status -------------------------------------------------------------------------------


@bp.route("/<token>")
@with_applicant
def status(applicant: Applicant, token: str):
    items = services.overview(applicant, clock.today())
    now = clock.now()
    # An individual in a group sees it ("my group"); an agency's director, the people
    # named for its seats.
    groups, staff = {}, {}
    for item in items:
        application = item.application
        if application.status not in services.HOLDS_SEAT:
            continue
        if applicant.kind == "agency":
            staff[application.id] = participants.holding_seats(
                participants.named_staff(application.id)
            )
        elif (participant := participants.participant_of(application)) is not None:
            groups[application.id] = participants.group_view(participant, now)
    return render_template(
        "manage/status.html",
        applicant=applicant,
        token=token,
        items=items,
        groups=groups,
        staff=staff,
    )


# Naming staff (agencies) --------------------------------------------------------------


def _staff_context(applicant: Applicant, token: str, application, offer, form, now):
    people = participants.named_staff(application.id)
    return {
        "applicant": applicant,
        "token": token,
        "application": application,
        "offer": offer,
        "people": people,
        "holding": participants.holding_seats(people),
        "deadline": participants.naming_deadline(offer.cohort),
        "can_replace": participants.can_replace(offer.cohort, now),
        "replace_until": offer.cohort.program.staff_replace_until_session,
        "form": form,
    }


@bp.route("/<token>/staff/<reference>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@with_applicant
def staff(applicant: Applicant, token: str, reference: str):
    """The director names a staff member for each seat the agency accepted."""
    application = services.find_application(applicant, reference)
    offer = participants.accepted_offer(application) if application else None
    if application is None or offer is None:
        return _invalid()
    here = url_for("manage.staff", token=token, reference=reference)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            person = participants.name_staff(application, form.details(), clock.now())
            db.session.commit()
            flash(
                _(
                    "%(name)s is named for a seat. We have e-mailed them their own link.",
                    name=person.name,
                )
            )
        except participants.TooManyNamed:
            db.session.rollback()
            flash(_("Every seat already has someone named, so nobody was added."))
        except participants.NotNaming:
            db.session.rollback()
            flash(_("Your agency's seats changed a moment ago, so nobody was added."))
        return redirect_after_post(here)
    return form_page(
        "manage/staff.html",
        "staff_form",
        _staff_context(applicant, token, application, offer, form, clock.now()),
    )


@bp.route("/<token>/staff/<reference>/replace/<int:participant_id>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@with_applicant
def replace_staff(applicant: Applicant, token: str, reference: str, participant_id: int):
    """The director puts someone else in a named person's seat, until the program's
    set session has been held."""
    application = services.find_application(applicant, reference)
    offer = participants.accepted_offer(application) if application else None
    person = (
        next(
            (p for p in participants.named_staff(application.id) if p.id == participant_id),
            None,
        )
        if offer is not None and application is not None
        else None
    )
    if application is None or offer is None or person is None:
        return _invalid()
    back = url_for("manage.staff", token=token, reference=reference)
    now = clock.now()
    if person.status != participants.ACTIVE:
        flash(_("%(name)s is no longer in this seat. Nothing more to do.", name=person.name))
        return redirect_after_post(back)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            new = participants.replace_staff(application, person.id, form.details(), now)
            db.session.commit()
            flash(
                _(
                    "%(new)s now has %(old)s's seat. We have e-mailed them their own link.",
                    new=new.name,
                    old=person.name,
                )
            )
        except participants.ReplaceClosed:
            db.session.rollback()
            flash(_("It is too late to replace someone in this group."))
        except (participants.NotReplaceable, participants.NotNaming):
            db.session.rollback()
            flash(_("This seat changed a moment ago, so nothing was done."))
        return redirect_after_post(back)
    context = _staff_context(applicant, token, application, offer, form, now)
    return form_page("manage/replace.html", "replace_form", {**context, "person": person})


# Details ------------------------------------------------------------------------------


@bp.route("/<token>/details", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@with_applicant
def details(applicant: Applicant, token: str):
    form_class = details_form_class(applicant.kind)
    if request.method == "GET":
        form = form_class(
            data={
                "name": applicant.name,
                "phone": applicant.phone,
                "languages": applicant.language_codes,
                "availability": applicant.availability,
            }
        )
    else:
        form = form_class()
    if form.validate_on_submit():
        services.update_details(
            applicant,
            name=form.name.data,
            phone=form.phone.data,
            languages=form.languages.data,
            availability=form.availability.data,
            now=clock.now(),
        )
        db.session.commit()
        flash(_("Saved. Your details are up to date."))
        return redirect_after_post(url_for("manage.status", token=token))
    return form_page(
        "manage/details.html",
        "details_form",
        {"applicant": applicant, "token": token, "form": form},
    )


# Withdraw -----------------------------------------------------------------------------


@bp.route("/<token>/withdraw/<reference>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@with_applicant
def withdraw(applicant: Applicant, token: str, reference: str):
    application = services.find_application(applicant, reference)
    if application is None:
        return _invalid()
    back = url_for("manage.status", token=token)
    form = WithdrawForm()
    if not services.ApplicationOverview(application).can_withdraw:
        # A second click, or a status that has no way out: show where it stands.
        if application.status == WITHDRAWN:
            flash(_("This application is withdrawn. Nothing more to do."))
        else:
            flash(_("This application is closed, so there is nothing to withdraw."))
        return redirect_after_post(back)
    if form.validate_on_submit():
        try:
            services.withdraw(application, reason=form.reason.data, now=clock.now())
            db.session.commit()
            flash(
                _(
                    "Your application %(reference)s is withdrawn. We have sent you an e-mail "
                    "to confirm.",
                    reference=application.reference,
                )
            )
        except services.AlreadyWithdrawn:
            db.session.rollback()
            flash(_("This application is withdrawn. Nothing more to do."))
        except (TransitionNotAllowed, OfferClosed):
            db.session.rollback()
            flash(
                _(
                    "Your application changed a moment ago, so nothing was done. Please look "
                    "at it below and try again if you still want to leave."
                )
            )
        return redirect_after_post(back)
    return form_page(
        "manage/withdraw.html",
        "withdraw_form",
        {"applicant": applicant, "token": token, "application": application, "form": form},
    )


# Download my data ---------------------------------------------------------------------


@bp.route("/<token>/data.json")
@with_applicant
def download(applicant: Applicant, _token: str):
    data = services.export_data(applicant, clock.now())
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={
            "Content-Disposition": (f'attachment; filename="{services.export_filename(applicant)}"')
        },
    )


# Delete my data -----------------------------------------------------------------------


@bp.route("/<token>/delete", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
def delete(token: str):
    if request.method == "POST" and session.get(DELETED_KEY) == hash_token(token):
        # The second click of a double click: the first deleted the link already.
        return redirect_after_post(url_for("manage.deleted"))
    return _delete(token)


@with_applicant
def _delete(applicant: Applicant, token: str):
    form = DeleteForm()
    if form.validate_on_submit():
        try:
            services.delete_personal_data(applicant, clock.now())
            db.session.commit()
        except (TransitionNotAllowed, OfferClosed):
            db.session.rollback()
            flash(
                _(
                    "Your application changed a moment ago, so nothing was deleted. "
                    "Please try again."
                )
            )
            return redirect_after_post(url_for("manage.delete", token=token))
        session[DELETED_KEY] = hash_token(token)
        session[DELETED_LANG_KEY] = str(get_locale())
        return redirect_after_post(url_for("manage.deleted"))
    return form_page(
        "manage/delete.html",
        "delete_form",
        {"applicant": applicant, "token": token, "form": form},
    )


@bp.route("/deleted")
def deleted():
    # In the language of the pages the person deleted their data from.
    language = session.get(DELETED_LANG_KEY)
    if language not in current_app.config["LANGUAGES"] or "lang" in request.args:
        return render_template("manage/deleted.html")
    with force_locale(language):
        return render_template("manage/deleted.html")


# "E-mail me my link again" ------------------------------------------------------------


@bp.route("/link", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(
    ratelimits.per_address("RATELIMIT_MANAGE_LINK", "manage-link"),
    ratelimits.per_email("RATELIMIT_MANAGE_LINK_EMAIL", "manage-link"),
    ratelimits.per_session("RATELIMIT_MANAGE_LINK_SESSION", "manage-link"),
)
def request_link():
    form = RequestLinkForm()
    if not ratelimits.refused(form) and form.validate_on_submit():
        # The same answer whether or not the address is known: nobody can use this
        # page to learn who applied.
        services.send_manage_link(form.email.data, clock.now())
        db.session.commit()
        return redirect_after_post(url_for("manage.link_sent"))
    return form_page("manage/request_link.html", "link_form", {"form": form})


@bp.route("/link/sent")
def link_sent():
    return render_template("manage/link_sent.html")
