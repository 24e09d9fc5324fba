import secrets
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from intake import clock, ratelimits
from intake.applications.forms import AgencyApplicationForm, IndividualApplicationForm
from intake.applications.once import commit_once
from intake.applications.services import find_by_form_token, submit_application
from intake.cycles.current import (
    availability_of,
    open_programs_with_windows,
    request_now,
    taking,
)
from intake.cycles.services import ProgramClosed
from intake.extensions import db
from intake.fields import select_choices
from intake.forms import Form, shows_form_again_on_csrf_error
from intake.htmx import form_page, redirect_after_post
from intake.i18n import get_locale
from intake.i18n import gettext as _
from intake.inputs import arg_str
from intake.models import Applicant
from intake.programs.seats import request_limits
from intake.programs.services import is_open_program, program_plain
from intake.screener import drafts
from intake.screener.forms import AGENCY, INDIVIDUAL, Screener
from intake.screener.services import applicable, screen
from intake.templating import format_hint, program_html

bp = Blueprint("applications", __name__, url_prefix="/apply")

RECEIVED_KEY = "received_applicant_id"


@dataclass(frozen=True)
class Path:
    """One way to apply: the screener before it, its form and its page."""

    screener: Screener
    form_class: type[Form]
    template: str

    @property
    def kind(self) -> str:
        return self.screener.kind


INDIVIDUAL_PATH = Path(INDIVIDUAL, IndividualApplicationForm, "applications/individual.html")
AGENCY_PATH = Path(AGENCY, AgencyApplicationForm, "applications/agency.html")


# Both forms count together: one person, one allowance.
SUBMIT_LIMITS = (
    ratelimits.per_address("RATELIMIT_SUBMIT", "submit"),
    ratelimits.per_email("RATELIMIT_SUBMIT_EMAIL", "submit"),
    ratelimits.per_session("RATELIMIT_SUBMIT_SESSION", "submit"),
)


@bp.route("", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(*SUBMIT_LIMITS)
def individual():
    return _apply(INDIVIDUAL_PATH)


@bp.route("/agency", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(*SUBMIT_LIMITS)
def agency():
    return _apply(AGENCY_PATH)


def _apply(path: Path):
    chosen = arg_str("program")
    if chosen and not is_open_program(chosen):
        abort(404)
    draft_key = session.get(path.screener.session_key)
    # Renewed while the form is filled in, so the answers do not expire under someone
    # typing (intake.screener.drafts).
    answers, renewed = drafts.load_renewing(draft_key, path.kind, clock.now())
    if renewed:
        db.session.commit()
    if answers is None and request.method == "POST":
        # The second click of a double click, after the first sent the application
        # and deleted the screener answers: show what the first one created.
        sent = find_by_form_token(request.form.get("form_token") or "")
        if sent is not None:
            return _received(sent.id)
    if answers is None:
        return _screener_first(path, chosen, answered=draft_key is not None)

    form = path.form_class()
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
        if path is AGENCY_PATH:
            form.service_zips.data = ", ".join(answers.get("service_zips") or [])
    programs = open_programs_with_windows(path.kind)
    known = {program.id: availability_of(program) for program in programs}
    results = screen(programs, _answers_for(form, answers))
    # A program whose cycle is closed fits, but cannot be chosen; one that closed
    # while this form was open is refused when the form comes back.
    options = [r for r in applicable(results) if taking(r.program)]
    closed = [r for r in applicable(results) if not taking(r.program)]
    form.programs.choices = select_choices(
        (r.program.slug, program_html(r.program, "name")) for r in options
    )
    form.availability.description = format_hint(
        [r.program for r in options], str(form.availability.description)
    )
    if isinstance(form, AgencyApplicationForm):
        _bound_seats(form, options)
    if request.method == "GET":
        if chosen in {r.program.slug for r in options}:
            form.programs.data = [chosen]
        elif len(options) == 1:
            form.programs.data = [options[0].program.slug]

    if not ratelimits.refused(form) and options and form.validate_on_submit():
        sent = _submit(path, form, options, _answers_for(form, answers), draft_key, known)
        if sent is not None:
            return sent
    late = _closed_chosen(form, closed)
    if form.form_token.errors:
        # Not a token this page made: a new one, so the form can be sent again.
        form.form_token.data = secrets.token_urlsafe(24)

    return form_page(
        path.template,
        "application_form",
        {
            "form": form,
            "options": options,
            "closed": closed,
            "show_form": bool(options) or late,
            "results": results,
            "answers": answers,
        },
    )


def _screener_first(path: Path, chosen: str | None, *, answered: bool):
    """To the screener: not answered yet, or its answers expired (the session still
    names them). A form sent back is answered as any post is (for htmx a full page
    load, not the screener swapped into the form)."""
    session.pop(path.screener.session_key, None)
    if answered:
        flash(
            _(
                "We keep your answers to the short questions only for a while, and that "
                "time ran out. Please answer them again; then you can send the form."
            )
        )
    else:
        flash(_("Please answer a few short questions first, so we can show what fits you."))
    location = url_for(f"screener.{path.kind}", program=chosen)
    return redirect_after_post(location) if request.method == "POST" else redirect(location)


def _bound_seats(form: AgencyApplicationForm, options) -> None:
    """An agency asks at most what each program can offer now (the seats of its
    planned groups, at least one group's most: intake.programs.seats)."""
    limits = request_limits([r.program.id for r in options], clock.today())
    form.seat_limits = {r.program.slug: limits[r.program.id] for r in options}
    if limits:
        most = _("Between 1 and %(num)d.", num=max(limits.values()))
        form.seats.description = f"{most} {form.seats.description}"


def _refuse_closed(form, programs) -> None:
    form.programs.errors = [
        _(
            "%(program)s is not taking applications now, so this application cannot go to "
            "it. Everything you typed is still here: choose another program, or ask us to "
            "e-mail you when it opens again.",
            program=program_plain(program, "name"),
        )
        for program in programs
    ]


def _closed_chosen(form, closed) -> bool:
    """Whether the form came back choosing a program that closed meanwhile; if so,
    its field says so (the rest of the form is kept, nothing is sent)."""
    if request.method != "POST":
        return False
    posted = set(request.form.getlist("programs"))
    late = [r.program for r in closed if r.program.slug in posted]
    if late:
        _refuse_closed(form, late)
    return bool(late)


def _answers_for(form, answers: dict) -> dict:
    """The screener's answers, updated with what the application form says again.

    An agency's service ZIPs can be corrected on the form; the rules then read the
    corrected list, so the stored decision matches what the agency told us last.
    """
    if isinstance(form, AgencyApplicationForm) and form.service_zips.data:
        return {**answers, "service_zips": form.service_zips.zip_codes}
    return answers


def _submit(path: Path, form, options, answers, draft_key, known):
    # The same form sent twice (double click, back-and-resubmit) is one application
    # (intake.applications.once).
    token = form.form_token.data or ""
    if not token:
        abort(400)
    by_slug = {r.program.slug: r.program for r in options}
    chosen = [by_slug[slug] for slug in form.programs.data]

    def add(attempt: int) -> Applicant:
        applicant = submit_application(
            kind=path.kind,
            programs=chosen,
            answers=answers,
            details=form.details(),
            locale=str(get_locale()),
            form_token=token,
            now=request_now(),
            known=known if attempt == 0 else None,
        )
        drafts.discard(draft_key)
        return applicant

    try:
        applicant_id, _ = commit_once(add, token)
    except ProgramClosed as exc:
        db.session.rollback()
        _refuse_closed(form, [exc.program])
        return None
    session.pop(path.screener.session_key, None)
    return _received(applicant_id)


def _received(applicant_id: int):
    session[RECEIVED_KEY] = applicant_id
    return redirect_after_post(url_for("applications.received"))


@bp.route("/received")
def received():
    applicant_id = session.get(RECEIVED_KEY)
    applicant = (
        db.session.scalar(select(Applicant).where(Applicant.id == applicant_id))
        if applicant_id
        else None
    )
    if applicant is None:
        return redirect(url_for("home.index"))
    return render_template("applications/received.html", applicant=applicant)
