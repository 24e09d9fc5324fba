"""Application cycles: "e-mail me when it opens" on a closed program (public), and
an admin's list of a program's application windows (add, change, delete)."""

from collections.abc import Callable

from flask import Blueprint, abort, flash, render_template, request, url_for
from markupsafe import Markup

from intake import clock, ratelimits
from intake.auth.access import workspace_blueprint
from intake.cycles import services
from intake.cycles.current import availability_of, request_now
from intake.cycles.forms import OpeningNoticeForm, WindowForm
from intake.extensions import db
from intake.forms import shows_form_again_on_csrf_error
from intake.htmx import form_page, page_or_fragment, redirect_after_post
from intake.i18n import get_locale
from intake.models import ApplicationWindow, Program
from intake.programs import listing
from intake.programs.services import get_open_program_by_slug

bp = Blueprint("cycles", __name__)
admin_bp = workspace_blueprint("windows", __name__, url_prefix="/coord/admin/programs", admin=True)


# What every public page may show about a program's cycle (globals, so macros
# imported without context see them).


@bp.app_template_global("cycle_availability")
def cycle_availability(program: Program):
    return availability_of(program)


@bp.app_template_global("program_fragment")
def program_fragment(
    name: str, *programs: Program, caller: Callable[[], Markup], keep: bool = True
) -> Markup:
    """``{% call program_fragment("name", program, …) %}…{% endcall %}``: what the block
    encloses, drawn once per copy of the program listing (intake.programs.listing),
    language, and state now of these programs' cycles (without programs: of every
    program listed). The block may show only those programs, their cycles and texts in
    the reader's language, and links: nothing of the visitor's, no CSRF token, nothing
    read from the request (tests/perf/test_program_fragments.py). ``keep=False``
    draws it every time (a form that shows the visitor's answers)."""
    if not keep:
        return caller()
    key = (name, str(get_locale()), request.script_root)
    ids = [p.id for p in programs] if programs else None
    return listing.kept_fragment(key, ids, request_now(), caller)


@bp.app_template_global("cycle_label")
def cycle_label(window: ApplicationWindow) -> str:
    return services.cycle_name(window, str(get_locale() or "en"))


# "E-mail me when it opens" --------------------------------------------------------------


@bp.route("/programs/<slug>/notify", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(
    ratelimits.per_address("RATELIMIT_OPENING_NOTICE", "opening"),
    ratelimits.per_email("RATELIMIT_OPENING_NOTICE_EMAIL", "opening"),
    ratelimits.per_session("RATELIMIT_OPENING_NOTICE_SESSION", "opening"),
)
def notify(slug: str):
    """Keep an address until the program's next window opens. The answer is the
    same whether the address was kept before or not."""
    program = get_open_program_by_slug(slug)
    if program is None:
        abort(404)
    form = OpeningNoticeForm()
    asked = False
    if (
        not availability_of(program).taking
        and not ratelimits.refused(form)
        and form.validate_on_submit()
    ):
        services.ask_when_open(
            program, email=form.email.data, locale=str(get_locale()), now=request_now()
        )
        db.session.commit()
        asked = True
    status = ratelimits.status(422 if request.method == "POST" and not asked else 200)
    if availability_of(program).taking:
        status = 200  # open now: the page says so and links to the screener
    return page_or_fragment(
        "cycles/notify.html",
        "opening_notice",
        {"program": program, "notice_form": form, "notice_asked": asked},
        status=status,
    )


# Admin: a program's windows -----------------------------------------------------------


def _window(program: Program, window_id: int) -> ApplicationWindow:
    window = db.session.get(ApplicationWindow, window_id)
    if window is None or window.program_id != program.id:
        abort(404)
    return window


def _error(form: WindowForm, exc: services.WindowError) -> None:
    field = form.closes_at if isinstance(exc, services.ClosesBeforeOpens) else form.opens_at
    field.errors = [*field.errors, str(exc)]


@admin_bp.route("/<int:program_id>/windows")
def index(program_id: int):
    program = db.get_or_404(Program, program_id)
    return render_template(
        "admin/windows.html",
        program=program,
        windows=services.program_windows(program),
        availability=availability_of(program),
        now=clock.now(),
    )


@admin_bp.route("/<int:program_id>/windows/new", methods=["GET", "POST"])
def new(program_id: int):
    program = db.get_or_404(Program, program_id)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            window = services.create_window(program, **form.values(), now=clock.now())
        except services.WindowError as exc:
            _error(form, exc)
        else:
            db.session.commit()
            flash(f"“{window.name}” is added.")
            return redirect_after_post(url_for("windows.index", program_id=program.id))
    return form_page(
        "admin/window_form.html", "window_form", {"form": form, "program": program, "window": None}
    )


@admin_bp.route("/<int:program_id>/windows/<int:window_id>", methods=["GET", "POST"])
def edit(program_id: int, window_id: int):
    program = db.get_or_404(Program, program_id)
    window = _window(program, window_id)
    form = WindowForm.for_window(window) if request.method == "GET" else WindowForm()
    if form.validate_on_submit():
        try:
            services.update_window(window, **form.values())
        except services.WindowError as exc:
            _error(form, exc)
        else:
            db.session.commit()
            flash(f"“{window.name}” is saved.")
            return redirect_after_post(url_for("windows.index", program_id=program.id))
    return form_page(
        "admin/window_form.html",
        "window_form",
        {"form": form, "program": program, "window": window},
    )


@admin_bp.route("/<int:program_id>/windows/<int:window_id>/delete", methods=["POST"])
def delete(program_id: int, window_id: int):
    program = db.get_or_404(Program, program_id)
    window = _window(program, window_id)
    name = window.name
    services.delete_window(window)
    db.session.commit()
    flash(f"“{name}” is deleted. Applications that came in it keep their place.")
    return redirect_after_post(url_for("windows.index", program_id=program.id))
