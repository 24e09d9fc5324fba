"""Letters of hours: the public verification page (and its PDF, behind the same
code), and the coordinators' page of a cohort's letters.

Two blueprints, one feature: ``bp`` is public (``/verify``, ``/letters/<code>.pdf``),
``coord_bp`` is a workspace blueprint (``/coord/letters``, signed in, scoped to the
coordinator's programs). A public page and workspace pages cannot share one
blueprint: the workspace guard covers a whole blueprint.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope, visible_cohort
from intake.extensions import db, limiter
from intake.forms import Form
from intake.htmx import page_or_fragment, redirect_after_post
from intake.i18n import gettext as _
from intake.letters import services
from intake.letters.forms import VerifyForm, reissue_form
from intake.letters.pdf import filename, render_pdf
from intake.models import Cohort, Letter, Participant
from intake.ratelimits import client_address
from intake.status.services import ReasonRequired

bp = Blueprint("verify", __name__)


@bp.app_template_filter("isodate")
def isodate(value: str | None, style: str = "long") -> str:
    """A date stored as ISO text (a letter's facts), for the reader's language."""
    return format_date(date.fromisoformat(value), style) if value else ""


def _verify_limit() -> str:
    return current_app.config["RATELIMIT_VERIFY"]


# Every lookup counts, found or not: codes are not to be guessed by the thousand.
lookup_limit = limiter.shared_limit(_verify_limit, scope="verify", key_func=client_address)


@bp.route("/verify")
def form():
    """The form to type a code; sent, it opens that letter's page."""
    typed = VerifyForm(request.args if "code" in request.args else None)
    if "code" in request.args and typed.validate():
        code = services.normalise_code(typed.code.data or "")
        if code is not None:
            return redirect_after_post(url_for(".show", code=code))
        typed.code.errors = [
            _(
                "A code has 12 letters and digits, in three groups of four, like "
                "ABCD-EFGH-JKMN. Check it against the letter."
            )
        ]
    status = 422 if typed.errors else 200
    return page_or_fragment(
        "letters/verify_form.html", "verify_form", {"form": typed}, status=status
    )


def _letter_or_404(code: str) -> Letter | Response:
    letter = services.find_letter(code)
    if letter is None:
        return Response(
            render_template("letters/not_found.html", form=VerifyForm(formdata=None)), 404
        )
    return letter


@bp.route("/verify/<code>")
@lookup_limit
def show(code: str):
    """What a letter states, for anyone holding its code: nothing more."""
    found = _letter_or_404(code)
    if isinstance(found, Response):
        return found
    if found.code != code:
        return redirect_after_post(url_for(".show", code=found.code))
    return render_template("letters/verify.html", letter=found, hours=services.hours_of(found))


@bp.route("/letters/<code>.pdf")
@lookup_limit
def pdf(code: str):
    """The letter itself, for the participant (the code is printed on it and in their
    e-mail): drawn from its facts, in its language."""
    found = _letter_or_404(code)
    if isinstance(found, Response):
        return found
    response = Response(render_pdf(found), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename(found)}"'
    return response


# The workspace ---------------------------------------------------------------------------

coord_bp = workspace_blueprint("letters", __name__, url_prefix="/coord/letters")

TEMPLATE = "cohorts/letters.html"


def _cohort(cohort_id: int) -> Cohort:
    return visible_cohort(cohort_id, current_scope(), joinedload(Cohort.program))


def _context(cohort: Cohort, given: dict | None = None) -> dict:
    rows = services.letters_of_cohort(cohort)
    given = given or {}
    return {
        "cohort": cohort,
        "rows": rows,
        "hours_of": services.hours_of,
        "replaced": services.replaced_letters(p.id for p, _letter in rows),
        "waiting": sum(1 for p, letter in rows if p.status == "completed" and letter is None),
        "issue_form": Form(formdata=None),
        "reissue_forms": {
            letter.id: given.get(letter.id) or reissue_form(letter.id, formdata=None)
            for _p, letter in rows
            if letter is not None
        },
    }


@coord_bp.route("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int):
    return page_or_fragment(TEMPLATE, "letters", _context(_cohort(cohort_id)))


@coord_bp.post("/cohorts/<int:cohort_id>/issue")
def issue(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = Form()
    if not form.validate_on_submit():
        flash("The form could not be read. No letters were issued.")
        return redirect_after_post(url_for(".cohort", cohort_id=cohort.id))
    made = services.issue_for_cohort(cohort, clock.now(), by=current_user._get_current_object())
    db.session.commit()
    if made:
        flash(
            f"{len(made)} letter{'s' if len(made) != 1 else ''} issued: "
            + ", ".join(letter.participant.name for letter in made)
            + ". Each is on its way by e-mail with the PDF."
        )
    else:
        flash("No letters were issued: everyone who completed the group has a current letter.")
    return redirect_after_post(url_for(".cohort", cohort_id=cohort.id))


@coord_bp.post("/<int:letter_id>/reissue")
def reissue(letter_id: int):
    letter = db.session.scalar(
        select(Letter)
        .join(Participant, Participant.id == Letter.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(Letter.id == letter_id, current_scope().programs(Cohort.program_id))
    )
    if letter is None:
        abort(404)
    cohort = _cohort(letter.participant.cohort_id)
    back = url_for(".cohort", cohort_id=cohort.id)
    if letter.replaced_at is not None:
        flash(f"Letter {letter.code} was already replaced. Nothing was changed.")
        return redirect_after_post(back)
    form = reissue_form(letter.id)
    if not form.validate_on_submit():
        return page_or_fragment(
            TEMPLATE, "letters", _context(cohort, {letter.id: form}), status=422
        )
    try:
        new = services.reissue(
            letter, clock.now(), by=current_user._get_current_object(), reason=form.reason.data
        )
    except ReasonRequired:
        db.session.rollback()
        form.reason.errors = ["Say what was corrected."]
        return page_or_fragment(
            TEMPLATE, "letters", _context(cohort, {letter.id: form}), status=422
        )
    except services.LetterReplaced:
        db.session.rollback()
        flash(f"Letter {letter.code} was replaced meanwhile. Nothing was changed.")
        return redirect_after_post(back)
    except services.NotCompleted:
        db.session.rollback()
        flash(
            f"{letter.participant.name} is not marked as having completed the group, so no "
            "new letter can be issued. Nothing was changed."
        )
        return redirect_after_post(back)
    db.session.commit()
    flash(
        f"Letter {new.code} issued to {new.participant.name}, replacing {letter.code}. "
        "It is on its way by e-mail."
    )
    return redirect_after_post(back)
