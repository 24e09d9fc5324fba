from flask import Blueprint, abort, render_template, request, session
from jinja2_fragments.flask import render_blocks

from intake.extensions import limiter
from intake.htmx_utils import is_htmx
from intake.programs.services import get_open_program_by_slug, open_programs
from intake.screener.forms import IndividualScreenerForm
from intake.screener.services import applicable, screen

bp = Blueprint("screener", __name__, url_prefix="/screener")

# The answers of a completed screener wait here until the application is sent.
SESSION_KEY = "screener"


def _screener_limit():
    from flask import current_app

    return current_app.config["RATELIMIT_SCREENER"]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_screener_limit, methods=["POST"])
def individual():
    chosen = request.args.get("program")
    if chosen and get_open_program_by_slug(chosen) is None:
        abort(404)

    if request.method == "POST":
        form = IndividualScreenerForm()
        complete = form.validate_on_submit()
        if complete:
            session[SESSION_KEY] = form.answers()
        else:
            session.pop(SESSION_KEY, None)
    else:
        form = IndividualScreenerForm(data=session.get(SESSION_KEY))
        complete = SESSION_KEY in session

    programs = open_programs()
    individual_programs = [p for p in programs if p.kind == "individual"]
    answers = form.answers()
    answered = any(answers.get(k) for k in ("works_with_young_children", "bipoc", "roles"))
    results = screen(individual_programs, answers) if answered else []
    context = {
        "form": form,
        "results": results,
        "can_apply": complete and bool(applicable(results)),
        "complete": complete,
        "agency_programs": [p for p in programs if p.kind == "agency"],
        "chosen": chosen,
    }

    if request.method == "POST" and is_htmx():
        # Answering a question: refresh the results, the follow-up questions and the
        # announcement for screen readers; leave the rest of the form alone. Errors wait
        # for the real submit, so nobody is scolded for a question not reached yet.
        return render_blocks(
            "screener/individual.html",
            ["results", "followup_role_other", "followup_retreat", "announcement"],
            oob=True,
            show_errors=False,
            **context,
        )
    status = 422 if request.method == "POST" and not complete else 200
    return render_template("screener/individual.html", show_errors=True, **context), status
