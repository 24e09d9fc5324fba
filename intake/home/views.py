import functools

from flask import Blueprint, abort, render_template

from intake.cycles.forms import OpeningNoticeForm
from intake.programs.services import get_open_program_by_slug, open_programs

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    # Called by the page only when it draws the programs anew (most requests show
    # them as drawn before: intake.programs.listing.kept_fragment).
    return render_template("home/index.html", open_programs=open_programs)


@bp.route("/programs/<slug>")
def program(slug: str):
    program = get_open_program_by_slug(slug)
    if program is None:
        abort(404)
    # Made only where the page shows it (a program not taking applications): a form
    # makes a CSRF token, and with it a session cookie, on a page that needs neither.
    return render_template(
        "home/program.html",
        program=program,
        new_notice_form=functools.partial(OpeningNoticeForm, formdata=None),
    )
