"""Bulk e-mail to the current filtered waitlist: write it, preview it, confirm the
count, send it; and the list of bulk e-mails sent.

The list is the waitlist's own (its filters, read from the query string the waitlist
link carries, and the coordinator's scope), across every page. Each step posts to
an address with the same query string, so the list is read again at each step, and
at sending too.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from flask import flash, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope
from intake.bulkmail import services
from intake.bulkmail.forms import BulkMailForm
from intake.extensions import db
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.inputs import page_number
from intake.models import BulkMessage, Cohort, Program
from intake.pagination import paginate
from intake.status.states import LABELS
from intake.templating import moment
from intake.waitlist import queries
from intake.waitlist.queries import Filters

bp = workspace_blueprint("bulkmail", __name__, url_prefix="/coord/bulk-email")

TEMPLATE = "bulkmail/new.html"
LIST_TEMPLATE = "bulkmail/index.html"
PAGE_SIZE = 50
COMPOSE, CONFIRM = "compose", "confirm"


@dataclass
class Listing:
    """The waitlist the e-mail goes to, as the query string asks for it."""

    filters: Filters
    notes: list[str]
    cohort: Cohort | None
    programs: list[Program]
    # The one program the e-mail is sent for (None: the list spans several).
    program: Program | None

    def query_args(self, **changes) -> dict:
        args = self.filters.query_args(page=1, **changes)
        args.pop("sort", None)
        args.pop("dir", None)
        return args


def _listing() -> Listing:
    scope = current_scope()
    programs, cohorts = queries.filter_options(scope)
    filters, notes = queries.parse_filters(
        request.args,
        program_ids={p.id for p in programs},
        cohort_ids={c.id for c in cohorts},
    )
    cohort = next((c for c in cohorts if c.id == filters.cohort_id), None)
    program_id = filters.program_id or (cohort.program_id if cohort else None)
    if program_id is None and len(programs) == 1:
        program_id = programs[0].id
    program = next((p for p in programs if p.id == program_id), None)
    if program is not None and filters.program_id is None:
        # The e-mail is one program's: the list is narrowed to it, and says so.
        filters = replace(filters, program_id=program.id)
    return Listing(filters, notes, cohort, programs, program)


def _body_html(html: str) -> Markup:
    """The part of a rendered e-mail inside <body>: the app's own template, with the
    coordinator's text escaped in it, shown as the recipient will see it."""
    match = re.search(r"<body>(.*)</body>", html, re.S)
    return Markup(match.group(1) if match else "")  # noqa: S704 - our template's output


def _previews(program: Program, audience: services.Audience, versions) -> list[dict]:
    previews = []
    for code in audience.languages() or [services.ENGLISH]:
        subject, text, html = services.preview(versions, program, code)
        previews.append(
            {
                "code": code,
                "language": services.LANGUAGES[code],
                "people": audience.by_language.get(code, 0),
                "english_fallback": code not in versions,
                "subject": subject,
                "text": text,
                "html": _body_html(html),
            }
        )
    return previews


def _page(listing: Listing, form: BulkMailForm, step: str, *, status: int, note=None):
    audience = None
    previews: list[dict] = []
    ready = listing.program is not None and not listing.notes
    if ready:
        audience = services.audience(listing.filters, listing.cohort, scope=current_scope())
        ready = audience.total > 0
    if step == CONFIRM and ready and audience is not None and listing.program is not None:
        previews = _previews(listing.program, audience, form.versions(audience.languages()))
        form.expected.data = " ".join(f"{c}:{n}" for c, n in audience.by_language.items())
    context = {
        "listing": listing,
        "filters": listing.filters,
        "form": form,
        "step": step if ready else COMPOSE,
        "ready": ready,
        "audience": audience,
        "previews": previews,
        "summary": _summary(audience) if audience is not None else "",
        "note": note,
        "languages": services.LANGUAGES,
        "status_labels": {queries.WAITING: "Waiting", queries.ALL: "All statuses", **LABELS},
        "query": listing.query_args(),
    }
    return page_or_fragment(
        TEMPLATE,
        "bulk_page",
        context,
        status=status,
        fragment=request.method == "POST" and is_htmx(),
    )


def _people(number: int) -> str:
    return f"{number:,} {'person' if number == 1 else 'people'}"


def _summary(audience: services.Audience) -> str:
    """ "This will e-mail 6 people: 3 in English, 2 in Spanish, 1 in Chinese." """
    if not audience.total:
        return "This list has no one to e-mail."
    parts = ", ".join(
        f"{audience.by_language[code]:,} in {services.LANGUAGES[code]}"
        for code in audience.languages()
    )
    return f"This will e-mail {_people(audience.total)}: {parts}."


@bp.route("/new", methods=["GET", "POST"])
def new():
    """GET: the form. POST: the preview and confirmation (or the form again: 422
    when something is wrong, 200 when asked to change the message)."""
    listing = _listing()
    if request.method == "GET":
        form = BulkMailForm(formdata=None, form_token=secrets.token_urlsafe(24))
        return _page(listing, form, COMPOSE, status=200)
    form = BulkMailForm()
    if request.form.get("edit"):
        return _page(listing, form, COMPOSE, status=200)
    if listing.notes or listing.program is None or not form.validate():
        return _page(listing, form, COMPOSE, status=422)
    return _page(listing, form, CONFIRM, status=200)


@bp.route("/send", methods=["POST"])
def send():
    listing = _listing()
    form = BulkMailForm()
    if listing.notes or listing.program is None or not form.validate():
        return _page(listing, form, COMPOSE, status=422)
    sent = services.find_sent(form.form_token.data)
    if sent is not None:
        return _already_sent(sent)
    scope = current_scope()
    audience = services.audience(listing.filters, listing.cohort, scope=scope)
    expected = form.expected_counts()
    if not audience.total:
        return _page(listing, form, COMPOSE, status=422)
    if expected is None or any(
        number > expected.get(code, 0) for code, number in audience.by_language.items()
    ):
        # More people, or people in a language the preview did not show: check again.
        note = (
            f"The list changed since you checked: it now has {_people(audience.total)} "
            "to e-mail. Check the message and the numbers again, then send."
        )
        return _page(listing, form, CONFIRM, status=422, note=note)
    try:
        message, new = services.send(
            form_token=form.form_token.data,
            program=listing.program,
            filters=listing.filters,
            cohort=listing.cohort,
            scope=scope,
            versions=form.versions(audience.languages()),
            coordinator_id=current_user.id,
            now=clock.now(),
        )
    except services.NothingToSend:
        db.session.rollback()
        return _page(listing, form, COMPOSE, status=422)
    if not new:
        db.session.rollback()
        return _already_sent(message)
    db.session.commit()
    fewer = sum(expected.values()) - message.recipient_count
    subject = message.versions["en"]["subject"]
    text = f"Queued “{subject}” to {_people(message.recipient_count)}."
    if fewer > 0:
        text += (
            f" {fewer:,} fewer than when you checked: they left the list or can no "
            "longer be e-mailed."
        )
    flash(text)
    return redirect_after_post(url_for("bulkmail.index"))


def _already_sent(message: BulkMessage):
    flash(
        f"This message was already sent, to {_people(message.recipient_count)}, on "
        f"{moment(message.created_at)}. Nothing was sent again."
    )
    return redirect_after_post(url_for("bulkmail.index"))


@bp.route("")
def index():
    """The bulk e-mails sent for the reader's programs, newest first."""
    scope = current_scope()
    stmt = (
        select(BulkMessage)
        .where(scope.programs(BulkMessage.program_id))
        .options(joinedload(BulkMessage.created_by))
        .order_by(BulkMessage.created_at.desc(), BulkMessage.id.desc())
    )
    page = paginate(stmt, page_number(request.args.get("page")) or 1, PAGE_SIZE)
    programs, cohorts = queries.filter_options(scope)
    context = {
        "page": page,
        "program_names": {p.id: p.name for p in programs},
        "cohort_names": {str(c.id): c.name for c in cohorts},
        "status_labels": {queries.WAITING: "Waiting", queries.ALL: "All statuses", **LABELS},
        "languages": services.LANGUAGES,
    }
    return page_or_fragment(LIST_TEMPLATE, "results", context)
