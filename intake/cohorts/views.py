"""Cohorts for every coordinator: seats enrolled, offered and free, and who holds them."""

from datetime import date

from flask import abort, render_template, request
from flask_babel import to_user_timezone
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import choices, clock
from intake.auth.access import workspace_blueprint
from intake.cohorts.services import all_programs, cohorts_by_program, seat_holders
from intake.extensions import db
from intake.htmx_utils import is_htmx
from intake.models import Cohort

bp = workspace_blueprint("cohorts", __name__, url_prefix="/coord/cohorts", admin=False)

LANGUAGE_CODES = {code for code, _label in choices.LANGUAGES}


def program_today() -> date:
    """Today where the programs run (the app's time zone), from the app's clock."""
    return to_user_timezone(clock.now()).date()


@bp.route("")
def index():
    programs = all_programs()
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
    if is_htmx():
        return render_block("cohorts/index.html", "cohort_list", **context)
    return render_template("cohorts/index.html", **context)


@bp.route("/<int:cohort_id>")
def show(cohort_id: int):
    cohort = db.session.scalar(
        select(Cohort).options(joinedload(Cohort.program)).where(Cohort.id == cohort_id)
    )
    if cohort is None:
        abort(404)
    return render_template("cohorts/show.html", cohort=cohort, holders=seat_holders(cohort))
