import functools

from flask import Blueprint, abort, render_template, request, session, url_for
from jinja2_fragments.flask import render_blocks
from werkzeug.local import LocalProxy

from intake import clock, ratelimits
from intake.cycles.current import taking
from intake.extensions import db
from intake.forms import shows_form_again_on_csrf_error
from intake.htmx import is_htmx, page_or_fragment
from intake.i18n import get_locale
from intake.inputs import arg_str
from intake.models import Program
from intake.programs.services import (
    is_open_program,
    open_programs,
    open_rule_keys,
    rules_of,
)
from intake.screener import drafts
from intake.screener.forms import AGENCY, INDIVIDUAL, DirectorReferralForm, Screener
from intake.screener.services import applicable, count_screened_out, refer_director, screen
from intake.screener.summary import summarise

bp = Blueprint("screener", __name__, url_prefix="/screener")


SCREENER_LIMITS = (
    ratelimits.per_address("RATELIMIT_SCREENER", "screener"),
    ratelimits.per_session("RATELIMIT_SCREENER_SESSION", "screener"),
)


@bp.route("", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(*SCREENER_LIMITS)
def individual():
    return _screen(INDIVIDUAL)


@bp.route("/agency", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(*SCREENER_LIMITS)
def agency():
    return _screen(AGENCY)


def _screen(screener: Screener):
    chosen = arg_str("program")
    if chosen and not is_open_program(chosen):
        abort(404)

    # What the questions ask depends only on the rules of the programs considered; the
    # programs themselves are needed once there are answers to screen. A GET reads the
    # rules from the process's copy of the programs, so a screener not yet answered
    # merges no program into the session (a fifth of its time: docs/PERFORMANCE.md).
    programs: list[Program] | None = None
    # A GET with nothing answered: the questions and results look the same for everyone.
    unanswered = False
    if request.method == "POST":
        programs = open_programs()
        form = screener.form(rules_of(programs, screener.kind))
        key = session.get(screener.session_key)
        if ratelimits.refused(form):
            # Shown again as typed; what was kept before stays as it was.
            complete = False
        else:
            complete = form.validate_on_submit()
            if complete:
                now = clock.now()
                saved_as = drafts.save(key, screener.kind, form.answers(), now)
                if saved_as != key:
                    # A new draft: this screener is finished for the first time (not
                    # an answer changed after), so it counts once for unmet demand.
                    count_screened_out(screener.kind, form.answers(), str(get_locale()), now)
                session[screener.session_key] = saved_as
            else:
                drafts.discard(key)
                session.pop(screener.session_key, None)
            db.session.commit()
    else:
        saved = drafts.load(session.get(screener.session_key), screener.kind, clock.now())
        if saved is None:
            # Expired, or an older cookie that carried the answers themselves.
            session.pop(screener.session_key, None)
        complete = saved is not None
        unanswered = not complete
        if unanswered:
            # What the page shows of its form is kept with the copy of the programs
            # (program_fragment) and its token is the session's, so the form is built
            # only when those parts are drawn (a quarter of the page's time:
            # docs/PERFORMANCE.md).
            form = LocalProxy(functools.cache(functools.partial(_form_from_copy, screener)))
        else:
            form = _form_from_copy(screener, data=saved)

    # Nothing answered: no answers to read, and no form to read them from.
    answers = {} if unanswered else form.answers()
    results, other_programs = [], []
    if any(answers.values()):
        if programs is None:
            programs = open_programs()
        results = screen([p for p in programs if p.kind == screener.kind], answers)
        other_programs = [p for p in programs if p.kind != screener.kind]
    context = {
        "form": form,
        "results": results,
        "summary": summarise(results, taking),
        "can_apply": complete and any(taking(r.program) for r in applicable(results)),
        "complete": complete,
        "unanswered": unanswered,
        "other_programs": other_programs,
        "chosen": chosen,
        "apply_url": url_for(f"applications.{screener.kind}", program=chosen),
        # Made only when the results offer it (a form costs ~6 % of the page).
        "new_referral_form": functools.partial(DirectorReferralForm, formdata=None),
    }

    if request.method == "POST" and is_htmx():
        # Answering a question: refresh the results, the follow-up questions and the
        # announcement for screen readers; leave the rest of the form alone. Errors wait
        # for the real submit, so nobody is scolded for a question not reached yet.
        fragment = {"oob": True, "show_errors": False, **context}
        blocks = list(screener.followups)
        if form.csrf_token.errors:
            blocks.append("csrf_field")  # a fresh token, so the next answer is accepted
        return render_blocks(
            "screener/_results.html", ["results", "announcement"], **fragment
        ) + render_blocks(screener.template, blocks, **fragment)
    status = ratelimits.status(422 if request.method == "POST" and not complete else 200)
    return render_template(screener.template, show_errors=True, **context), status


def _form_from_copy(screener: Screener, **kwargs):
    """The screener's form for a GET: the rules it asks about read from the copy of the
    programs, no program merged (the agency's questions depend on no program's rules)."""
    rules = open_rule_keys(screener.kind) if screener.asked_for_rules else frozenset()
    return screener.form(rules, **kwargs)


@bp.route("/agency/refer", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(
    ratelimits.per_address("RATELIMIT_REFERRAL", "referral"),
    ratelimits.per_email("RATELIMIT_REFERRAL_EMAIL", "referral", "director_email"),
    ratelimits.per_session("RATELIMIT_REFERRAL_SESSION", "referral"),
)
def refer():
    """E-mail an agency's director a link to apply, on a staff member's request."""
    form = DirectorReferralForm()
    sent = False
    if not ratelimits.refused(form) and form.validate_on_submit():
        refer_director(
            director_email=form.director_email.data,
            from_name=form.your_name.data or None,
            locale=str(get_locale()),
            now=clock.now(),
        )
        db.session.commit()
        sent = True
    status = ratelimits.status(422 if request.method == "POST" and not sent else 200)
    return page_or_fragment(
        "screener/refer.html",
        "referral",
        {"referral_form": form, "referral_sent": sent},
        status=status,
    )
