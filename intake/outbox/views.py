"""The outbox page: what e-mail is waiting, what failed and what was sent; a failed
message can be sent again, a waiting one sent now, and any one read as it is stored."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope
from intake.extensions import db
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.inputs import arg_page
from intake.models import Application, OutboxMessage
from intake.outbox import workspace
from intake.outbox.services import FORGOTTEN_RECIPIENT

log = logging.getLogger(__name__)

bp = workspace_blueprint("outbox", __name__, url_prefix="/coord/outbox")

TEMPLATE = "outbox/index.html"
MESSAGE_TEMPLATE = "outbox/show.html"


@bp.app_context_processor
def outbox_badge():
    """The failed count for the workspace menu: a function, so the one count query
    runs only on pages that show the menu."""

    def outbox_failed_count() -> int:
        return workspace.failed_count(current_scope())

    return {"outbox_failed_count": outbox_failed_count}


def _query_args(status: str, page: int) -> dict[str, Any]:
    """The list's query string, defaults left out."""
    args: dict[str, Any] = {}
    if status:
        args["status"] = status
    if page > 1:
        args["page"] = page
    return args


def _list_context(notice: str | None = None) -> dict:
    status, note = workspace.parse_status(request.args)
    scope = current_scope()
    counts = workspace.counts(scope)
    page = workspace.find_page(status, arg_page(), counts.for_filter(status), scope=scope)
    return {
        "counts": counts,
        "status": status,
        "page": page,
        "query_args": _query_args(status, page.number),
        "page_args": lambda number: _query_args(status, number),
        "filters": workspace.FILTERS,
        "status_labels": workspace.STATUS_LABELS,
        "note": note,
        "notice": notice,
        "now": clock.now(),
        "forgotten": FORGOTTEN_RECIPIENT,
    }


@bp.get("")
def index():
    context = _list_context()
    return page_or_fragment(
        TEMPLATE,
        ["results", "counts"],
        context,
        oob=True,
        push_url=url_for("outbox.index", **context["query_args"]),
    )


def _load(message_id: int) -> OutboxMessage:
    """The message, if the reader may read it; 404 otherwise (as for a missing id),
    before any action."""
    message = workspace.visible_message(message_id, current_scope())
    if message is None:
        abort(404)
    return message


@bp.get("/<int:message_id>")
def show(message_id: int):
    message = _load(message_id)
    applications = []
    if message.applicant_id is not None:
        applications = list(
            db.session.scalars(
                current_scope()
                .applications(select(Application))
                .where(Application.applicant_id == message.applicant_id)
                .order_by(Application.id)
            )
        )
    return render_template(
        MESSAGE_TEMPLATE,
        message=message,
        applications=applications,
        status_labels=workspace.STATUS_LABELS,
        now=clock.now(),
        forgotten=FORGOTTEN_RECIPIENT,
    )


@bp.get("/<int:message_id>/html")
def html_source(message_id: int):
    """The HTML part as plain text: readable, and nothing in it can run."""
    message = _load(message_id)
    return Response(
        message.readable(message.html_body),
        mimetype="text/plain",
        headers={"Content-Disposition": "inline"},
    )


def _after_action(message_id: int, notice: str):
    """Back where the button was: the message, or the list with its filter (with
    htmx, the list's results and counts in place)."""
    if request.form.get("return_to") == "message":
        flash(notice)
        return redirect_after_post(url_for("outbox.show", message_id=message_id))
    if is_htmx():
        return page_or_fragment(TEMPLATE, ["results", "counts"], _list_context(notice), oob=True)
    flash(notice)
    status, _ = workspace.parse_status(request.args)
    args = _query_args(status, arg_page())
    return redirect_after_post(url_for("outbox.index", **args))


def _current(message_id: int) -> str:
    message = _load(message_id)
    return workspace.STATUS_LABELS.get(message.status, message.status).lower()


@bp.post("/<int:message_id>/resend")
def resend(message_id: int):
    _load(message_id)
    try:
        workspace.resend(message_id, clock.now())
    except workspace.AddressNotKept:
        db.session.rollback()
        return _after_action(
            message_id,
            "Its address was given for this one message and was not kept, so it cannot "
            "be sent again. Nothing was changed.",
        )
    except workspace.NotFailed:
        db.session.rollback()
        return _after_action(
            message_id,
            f"This message is not failed any more (it is {_current(message_id)}). "
            "Nothing was changed.",
        )
    db.session.commit()
    log.info("outbox message %s queued again by coordinator %s", message_id, current_user.id)
    return _after_action(message_id, "Queued to be sent again. The next delivery run sends it.")


@bp.post("/<int:message_id>/send-now")
def send_now(message_id: int):
    _load(message_id)
    try:
        workspace.send_now(message_id, clock.now())
    except workspace.NotWaiting:
        db.session.rollback()
        return _after_action(
            message_id,
            f"This message is not waiting any more (it is {_current(message_id)}). "
            "Nothing was changed.",
        )
    db.session.commit()
    return _after_action(message_id, "Due now: the next delivery run sends it.")
