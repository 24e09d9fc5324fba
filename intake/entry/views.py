"""Entering an application for someone: phone or paper intake, in the workspace.

One page per kind (a person, an agency) with the public screener's questions and the
public application form (the same form classes, so the same validation), and the
rules run by the same services. Answering a question checks the programs (htmx, or
the "Check" button without JavaScript); nothing is kept until the form is sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import flash, make_response, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_blocks

from intake import clock
from intake.applications.forms import AgencyApplicationForm, IndividualApplicationForm
from intake.applications.once import commit_once
from intake.applications.services import NotEligible, find_by_form_token
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope
from intake.cycles.services import ProgramClosed
from intake.entry import services
from intake.entry.forms import EntryForm
from intake.extensions import db
from intake.fields import select_choices
from intake.forms import Form
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.i18n import LANGUAGE_NAMES
from intake.inputs import arg_str
from intake.models import Applicant
from intake.programs.services import rules_of
from intake.screener import forms as screeners
from intake.screener.services import screen

bp = workspace_blueprint("entry", __name__, url_prefix="/coord/enter")

TEMPLATE = "entry/enter.html"
SENT_AGAIN = "This form could not be sent as it was. Please send it again."


@dataclass(frozen=True)
class Kind:
    kind: str
    screener: screeners.Screener
    application_form: type[Form]
    # Questions shown only after another answer (swapped in when it changes).
    followups: tuple[str, ...]


INDIVIDUAL = Kind(
    "individual",
    screeners.INDIVIDUAL,
    IndividualApplicationForm,
    ("followup_role_other", "followup_retreat"),
)
AGENCY = Kind("agency", screeners.AGENCY, AgencyApplicationForm, ())


@bp.route("", methods=["GET", "POST"])
def individual():
    return _enter(INDIVIDUAL)


@bp.route("/agency", methods=["GET", "POST"])
def agency():
    return _enter(AGENCY)


def _answers(kind: Kind, screener, form) -> dict:
    """The screener's answers; an agency's service ZIP codes are one field of this page
    that both forms read, and the rules read what it says (as on the public form,
    where the application form's list corrects the screener's)."""
    answers = screener.answers()
    if kind is AGENCY and form.service_zips.data:
        answers = {**answers, "service_zips": form.service_zips.zip_codes}
    return answers


def _enter(kind: Kind):
    scope = current_scope()
    programs = services.programs_for(scope, kind.kind)
    screener = kind.screener.form(rules_of(programs, kind.kind))
    entry, form = EntryForm(), kind.application_form()
    form.programs.choices = select_choices((p.slug, p.name) for p in programs)
    checking = request.method == "POST" and "check" in request.form
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
        chosen = arg_str("program")
        if chosen in {p.slug for p in programs}:
            form.programs.data = [chosen]
        elif len(programs) == 1:
            form.programs.data = [programs[0].slug]

    submitting = request.method == "POST" and not checking
    valid = False
    if submitting:
        # Every form checked, so every problem shows at once.
        checked = [f.validate_on_submit() for f in (entry, screener, form)]
        valid = all(checked)
        if kind is AGENCY and screener.service_zips.errors and not form.service_zips.errors:
            form.service_zips.errors = list(screener.service_zips.errors)
    answers = _answers(kind, screener, form)
    results = screen(programs, answers) if any(answers.values()) else []

    if submitting:
        by_slug = {r.program.slug: r for r in results}
        refused = [
            by_slug[slug].program.name
            for slug in form.programs.data or []
            if slug in by_slug and not by_slug[slug].can_apply
        ]
        if refused:
            form.programs.errors = [
                "Not eligible with these answers: "
                + ", ".join(refused)
                + ". See why under “Programs and the rules”, and untick it."
            ]
            valid = False
        if valid and not form.form_token.data:
            form.form_errors.append(SENT_AGAIN)
            valid = False
        if valid:
            chosen = [by_slug[slug].program for slug in form.programs.data]
            response = _submit(kind, entry, form, answers, chosen)
            if response is not None:
                return response
        if form.form_token.errors or not form.form_token.data:
            form.form_token.data = secrets.token_urlsafe(24)

    context = {
        "kind": kind.kind,
        "entry": entry,
        "screener": screener,
        "form": form,
        "programs": programs,
        "results": results,
        "show_errors": submitting,
        "action": url_for(f"entry.{kind.kind}"),
    }
    if checking and is_htmx():
        # An answer changed (or "Check" was pressed, which sends the whole form, whose
        # target is the form itself): the results and the follow-up questions, nothing
        # else, and no errors for questions not reached yet.
        response = make_response(
            render_blocks(TEMPLATE, ["results", *kind.followups], **context, oob=True)
        )
        response.headers["HX-Retarget"] = "#entry-results"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page_or_fragment(
        TEMPLATE,
        "entry_form",
        context,
        status=422 if submitting else 200,
        fragment=submitting and is_htmx(),
    )


def _submit(kind: Kind, entry, form, answers: dict, chosen):
    """Enter the application once per form token; None when the rules refused it after
    all (the page then says so)."""
    token = form.form_token.data
    applicant = find_by_form_token(token)
    if applicant is not None:
        flash("This application was entered already (the form was sent twice); here it is.")
    else:

        def add(_attempt: int) -> Applicant:
            return services.enter_application(
                coordinator=current_user._get_current_object(),
                scope=current_scope(),
                via=entry.entered_via.data,
                kind=kind.kind,
                programs=chosen,
                answers=answers,
                details=form.details(),
                locale=entry.locale.data,
                form_token=token,
                now=clock.now(),
            )

        try:
            applicant_id, made = commit_once(add, token)
        except (NotEligible, services.OutOfScope):
            db.session.rollback()
            form.programs.errors = ["Not one you may enter with these answers: untick it."]
            return None
        except ProgramClosed as closed:
            # Entered or not, a program takes applications only inside its cycle.
            db.session.rollback()
            form.programs.errors = [
                f"{closed.program.name} is not taking applications now (its cycle is "
                "closed). Untick it, or add an application window for it first."
            ]
            return None
        applicant = db.session.get_one(Applicant, applicant_id)
        if made:
            flash(
                f"Entered for {applicant.name}: "
                + ", ".join(a.reference for a in applicant.applications)
                + f". The confirmation e-mail, with their private link, is on its way to "
                f"{applicant.email} in "
                f"{LANGUAGE_NAMES.get(applicant.locale, applicant.locale)}."
            )
    first = applicant.applications[0]
    return redirect_after_post(url_for("casefile.show", application_id=first.id))
