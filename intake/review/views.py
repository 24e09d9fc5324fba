"""The review queue: applications the rules sent to a coordinator, decided one by
one or in bulk, always with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock, inputs
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope
from intake.eligibility.rules import Decision, RuleResult
from intake.extensions import db
from intake.htmx import page_or_fragment, redirect_after_post
from intake.inputs import arg_page, arg_str
from intake.models import Application, Program
from intake.pagination import paginate
from intake.review import services
from intake.review.forms import QueueActionForm, decline_form
from intake.status.states import LABELS, NEEDS_REVIEW

bp = workspace_blueprint("review", __name__, url_prefix="/coord/review", admin=False)

PER_PAGE = 25


@dataclass(frozen=True)
class Row:
    application: Application
    results: list[RuleResult]


def _filters() -> dict:
    """The queue's filters from the query string, as url_for arguments."""
    filters = {}
    program = arg_str("program")
    if program:
        filters["program"] = program
    page = arg_page()
    if page > 1:
        filters["page"] = page
    return filters


def _queue_url(filters: dict) -> str:
    return url_for("review.queue", **filters)


def _render_queue(form: QueueActionForm, filters: dict, status: int = 200):
    scope = current_scope()
    programs = list(
        db.session.scalars(
            select(Program).where(scope.programs(Program.id)).order_by(Program.position, Program.id)
        )
    )
    program = next((p for p in programs if p.slug == filters.get("program")), None)
    stmt = (
        scope.applications(select(Application))
        .where(Application.status == NEEDS_REVIEW)
        .options(joinedload(Application.applicant), joinedload(Application.program))
        .order_by(Application.created_at, Application.id)
    )
    if program is not None:
        stmt = stmt.where(Application.program_id == program.id)
    # A page that emptied (its applications were just decided) shows the last one.
    pagination = paginate(stmt, filters.get("page", 1), PER_PAGE)
    rows = [
        Row(
            application,
            services.shown_results(
                Decision.from_dict(application.decision), may_see_self_identification=False
            ),
        )
        for application in pagination.rows
    ]
    context = {
        "form": form,
        "rows": rows,
        "pagination": pagination,
        "programs": programs,
        "program": program,
        "filters": {**filters, "program": program.slug} if program else filters,
        "selected": set(form.ids.data or []),
    }
    return page_or_fragment("review/queue.html", "review", context, status=status)


@bp.get("")
def queue():
    return _render_queue(QueueActionForm(formdata=None), _filters())


def _load(ids: Sequence[int]) -> list[Application]:
    """The chosen applications, oldest first, with what the e-mails need. Ids outside
    the reader's programs are dropped, as if they did not exist."""
    if not ids:
        return []
    found = list(
        db.session.scalars(
            current_scope()
            .applications(select(Application))
            .where(Application.id.in_(ids))
            .options(joinedload(Application.applicant), joinedload(Application.program))
            .order_by(Application.created_at, Application.id)
        )
    )
    if len(found) < len(set(ids)):
        flash(
            "Some of the chosen applications no longer exist or are not in your "
            "programs: they were left alone."
        )
    return found


def _say_skipped(skipped: Sequence[Application]) -> None:
    if skipped:
        flash(
            "Already decided by someone else, so left as they were: "
            + ", ".join(f"{a.reference} ({LABELS.get(a.status, a.status)})" for a in skipped)
            + "."
        )


@bp.post("")
def act():
    """The queue's form: approve the ticked applications, or go on to write the
    decline messages."""
    filters = _filters()
    form = QueueActionForm()
    if not form.validate_on_submit():
        return _render_queue(form, filters, status=422)
    applications = _load(form.ids.data)
    if form.action.data == "approve":
        result = services.bulk_approve(
            applications,
            actor=current_user._get_current_object(),
            reason=form.reason.data,
            now=clock.now(),
        )
        db.session.commit()
        if result.done:
            flash(
                "Approved and added to the waitlist: "
                + ", ".join(a.reference for a in result.done)
                + ". The applicants' e-mails are on their way."
            )
        _say_skipped(result.skipped)
        return redirect_after_post(_queue_url(filters))

    in_review = [a for a in applications if a.status == NEEDS_REVIEW]
    if not in_review:
        _say_skipped(applications)
        return redirect_after_post(_queue_url(filters))
    compose = decline_form(
        in_review,
        formdata=None,
        data={
            "ids": [a.id for a in in_review],
            "reason": form.reason.data,
            **{f"message_{a.id}": services.decline_message(a) for a in in_review},
        },
    )
    skipped = [a for a in applications if a.status != NEEDS_REVIEW]
    # With htmx the next step replaces the queue page (its heading too), not just the list.
    return page_or_fragment(
        "review/decline.html",
        "page",
        _decline_context(compose, in_review, skipped, filters),
        retarget="#review-page",
        reswap="outerHTML",
    )


def _decline_context(form, applications, skipped, filters) -> dict:
    return {
        "form": form,
        "applications": applications,
        "skipped": skipped,
        "filters": filters,
        "queue_url": _queue_url(filters),
    }


def _render_decline(form, applications, skipped, filters, status: int = 200):
    context = _decline_context(form, applications, skipped, filters)
    return page_or_fragment("review/decline.html", "review", context, status=status)


@bp.post("/decline")
def decline():
    """Decline the chosen applications, each with the message as edited."""
    filters = _filters()
    applications = _load(inputs.ids(request.form.getlist("ids")))
    in_review = [a for a in applications if a.status == NEEDS_REVIEW]
    skipped = [a for a in applications if a.status != NEEDS_REVIEW]
    form = decline_form(in_review)
    if not applications:
        flash("No application was chosen, so nothing changed.")
    if not in_review:
        _say_skipped(skipped)
        return redirect_after_post(_queue_url(filters))
    if not form.validate_on_submit():
        return _render_decline(form, in_review, skipped, filters, status=422)
    result = services.bulk_decline(
        [(a, form[f"message_{a.id}"].data) for a in in_review],
        actor=current_user._get_current_object(),
        reason=form.reason.data,
        now=clock.now(),
    )
    db.session.commit()
    if result.done:
        flash(
            "Declined: "
            + ", ".join(a.reference for a in result.done)
            + ". Your messages are on their way."
        )
    _say_skipped([*skipped, *result.skipped])
    return redirect_after_post(_queue_url(filters))
