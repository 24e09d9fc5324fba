"""The application page: answers, decision, timeline, notes, and the actions the
application's status allows."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope, visible_application
from intake.casefile import services
from intake.casefile import split as splitting
from intake.casefile.actions import (
    APPROVE,
    CHANGE_PRIORITY,
    DECLINE,
    KEEP_BOTH,
    MERGE,
    OVERRIDE,
    WITHDRAW,
    available_actions,
)
from intake.casefile.answers import screener_answers
from intake.casefile.forms import (
    ApproveForm,
    DeclineForm,
    DuplicateForm,
    NoteForm,
    OverrideForm,
    PriorityForm,
    SplitForm,
    WithdrawForm,
)
from intake.casefile.timeline import timeline
from intake.eligibility.rules import RULES, Decision
from intake.extensions import db
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.models import Applicant, Application, AuditEvent
from intake.participants.services import named_staff
from intake.programs.seats import fits_no_group, largest_groups
from intake.review import services as review
from intake.status.states import LABELS, TransitionNotAllowed

bp = workspace_blueprint("casefile", __name__, url_prefix="/coord/applications", admin=False)

TEMPLATE = "casefile/show.html"
# The parts of the page a change can alter; each form swaps its own part and these.
CHANGING_BLOCKS = ["summary", "duplicate", "actions", "split", "timeline"]


def _load(application_id: int) -> Application:
    """The application, if it is in the reader's programs; 404 otherwise, before any
    form is read, so nothing outside them can be seen or changed."""
    return visible_application(
        application_id,
        current_scope(),
        joinedload(Application.program),
        joinedload(Application.applicant).options(
            selectinload(Applicant.languages),
            selectinload(Applicant.availability_slots),
            joinedload(Applicant.agency),
        ),
        joinedload(Application.duplicate_of).options(
            joinedload(Application.applicant), joinedload(Application.program)
        ),
    )


def _me():
    return current_user._get_current_object()


def _duplicate_open(application: Application) -> bool:
    return application.duplicate_of_id is not None and application.duplicate_resolution is None


def _actions(application: Application) -> frozenset[str]:
    return available_actions(application.status, duplicate_open=_duplicate_open(application))


def _forms(application: Application, actions: frozenset[str], given: dict) -> dict:
    """Every form the page shows: the one just sent as sent, the others fresh."""
    forms = {"note": given.get("note") or NoteForm(formdata=None)}
    if CHANGE_PRIORITY in actions:
        forms["priority"] = given.get("priority") or PriorityForm(
            formdata=None, data={"priority": application.priority}
        )
    if WITHDRAW in actions:
        forms["withdraw"] = given.get("withdraw") or WithdrawForm(formdata=None)
    if APPROVE in actions:
        forms["approve"] = given.get("approve") or ApproveForm(formdata=None)
    if DECLINE in actions:
        forms["decline"] = given.get("decline") or DeclineForm(
            formdata=None, data={"message": review.decline_message(application)}
        )
    if OVERRIDE in actions:
        forms["override"] = given.get("override") or OverrideForm(formdata=None)
    if KEEP_BOTH in actions:
        form = given.get("duplicate") or DuplicateForm(formdata=None)
        if MERGE not in actions:
            form.resolution.choices = [c for c in form.resolution.choices if c[0] != "merged"]
        forms["duplicate"] = form
    if splitting.why_not(application) is None:
        forms["split"] = given.get("split") or SplitForm(
            formdata=None, data={"seats": application.seats_requested}
        )
    return forms


def _split_context(application: Application) -> dict:
    """An agency's request in parts (the original first), and whether no planned
    group can hold this part as it stands."""
    if application.applicant.kind != "agency":
        return {"split_parts": [], "fits_no_group": False}
    root = application.split_from_id or application.id
    parts = list(
        db.session.scalars(
            select(Application)
            .where(or_(Application.id == root, Application.split_from_id == root))
            .order_by(Application.id)
        )
    )
    largest = largest_groups([application.program_id], clock.today())
    return {
        "split_parts": parts if len(parts) > 1 else [],
        "fits_no_group": fits_no_group(
            application.seats_requested, largest.get(application.program_id)
        ),
    }


def _context(application: Application, given: dict | None = None, notice: str | None = None):
    actions = _actions(application)
    may_see_self_id = current_user.coordinates(application.program_id)
    scope = current_scope()
    pointing_here = list(
        db.session.scalars(
            scope.applications(select(Application))
            .where(
                Application.duplicate_of_id == application.id,
                Application.duplicate_resolution.is_(None),
            )
            .options(joinedload(Application.applicant))
            .order_by(Application.id)
        )
    )
    return {
        "application": application,
        "applicant": application.applicant,
        "actions": actions,
        "can_change": bool(actions - {KEEP_BOTH, MERGE}),
        "forms": _forms(application, actions, given or {}),
        "results": review.shown_results(
            Decision.from_dict(application.decision),
            may_see_self_identification=may_see_self_id,
        ),
        "decision": Decision.from_dict(application.decision),
        "answers": screener_answers(application),
        "may_see_self_id": may_see_self_id,
        "pointing_here": pointing_here,
        "timeline": timeline(application, scope=scope),
        # People an agency named for its seats (the application is in scope already).
        "named_staff": named_staff(application.id) if application.applicant.agency else [],
        "notice": notice,
        "override": _last_override(application),
        "sensitive_rules": set() if may_see_self_id else review.sensitive_rule_keys(),
        "rule_labels": {key: rule.label for key, rule in RULES.items()},
        **_split_context(application),
    }


def _last_override(application: Application) -> AuditEvent | None:
    """The override that put this application on the waitlist, if one did."""
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.application_id == application.id, AuditEvent.kind == "override")
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


@bp.get("/<int:application_id>")
def show(application_id: int):
    return render_template(TEMPLATE, oob=(), **_context(_load(application_id)))


def _respond(
    application_id: int,
    part: str,
    *,
    given: dict | None = None,
    notice: str | None = None,
    status: int = 200,
    others: list[str] | None = None,
):
    """The answer to a form on this page.

    With htmx: the form's part of the page and, unless the form was refused (422),
    the other parts that may have changed (``others``), swapped out of band, with
    the notice. Without: the page with errors (422), or a 303 back to it with the
    notice flashed.
    """
    if not is_htmx() and status == 200:
        if notice:
            flash(notice)
        return redirect_after_post(url_for("casefile.show", application_id=application_id))
    if status == 422:
        others = []
    elif others is None:
        others = [b for b in CHANGING_BLOCKS if b != part]
    return page_or_fragment(
        TEMPLATE,
        [part, *others, "notice"],
        _context(_load(application_id), given, notice),
        status=status,
        oob={*others, "notice"},
    )


def _not_now(application: Application) -> str:
    return (
        "That is not possible now: this application is "
        f"{LABELS.get(application.status, application.status)}. Nothing was changed."
    )


def _refused(application_id: int, part: str, application: Application):
    db.session.rollback()
    db.session.refresh(application)
    return _respond(application_id, part, notice=_not_now(application))


@bp.post("/<int:application_id>/notes")
def add_note(application_id: int):
    application = _load(application_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _respond(application_id, "note_form", given={"note": form}, status=422)
    services.add_note(application, author=_me(), body=form.body.data, now=clock.now())
    db.session.commit()
    # Only the timeline changes; the note form comes back empty.
    return _respond(application_id, "note_form", notice="Note added.", others=["timeline"])


@bp.post("/<int:application_id>/priority")
def change_priority(application_id: int):
    application = _load(application_id)
    if CHANGE_PRIORITY not in _actions(application):
        return _respond(application_id, "actions", notice=_not_now(application))
    form = PriorityForm()
    valid = form.validate_on_submit()
    if valid and form.priority.data == application.priority:
        form.priority.errors = [f"The priority is already {application.priority}."]
        valid = False
    if not valid:
        return _respond(application_id, "actions", given={"priority": form}, status=422)
    old = application.priority
    try:
        services.change_priority(
            application,
            actor=_me(),
            priority=form.priority.data,
            reason=form.reason.data,
            now=clock.now(),
        )
    except services.NotOpen:
        return _refused(application_id, "actions", application)
    db.session.commit()
    return _respond(
        application_id, "actions", notice=f"Priority changed from {old} to {form.priority.data}."
    )


@bp.post("/<int:application_id>/withdraw")
def withdraw(application_id: int):
    application = _load(application_id)
    if WITHDRAW not in _actions(application):
        return _respond(application_id, "actions", notice=_not_now(application))
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _respond(application_id, "actions", given={"withdraw": form}, status=422)
    try:
        services.withdraw(application, actor=_me(), reason=form.reason.data, now=clock.now())
    except TransitionNotAllowed:
        return _refused(application_id, "actions", application)
    db.session.commit()
    return _respond(
        application_id, "actions", notice="Withdrawn. The applicant's e-mail is on its way."
    )


@bp.post("/<int:application_id>/approve")
def approve(application_id: int):
    application = _load(application_id)
    if APPROVE not in _actions(application):
        return _respond(application_id, "actions", notice=_already_decided(application))
    form = ApproveForm()
    if not form.validate_on_submit():
        return _respond(application_id, "actions", given={"approve": form}, status=422)
    try:
        review.approve(application, actor=_me(), reason=form.reason.data, now=clock.now())
    except TransitionNotAllowed:
        db.session.rollback()
        db.session.refresh(application)
        return _respond(application_id, "actions", notice=_already_decided(application))
    db.session.commit()
    return _respond(
        application_id,
        "actions",
        notice="Approved and added to the waitlist. The applicant's e-mail is on its way.",
    )


@bp.post("/<int:application_id>/decline")
def decline(application_id: int):
    application = _load(application_id)
    if DECLINE not in _actions(application):
        return _respond(application_id, "actions", notice=_already_decided(application))
    form = DeclineForm()
    if not form.validate_on_submit():
        return _respond(application_id, "actions", given={"decline": form}, status=422)
    try:
        review.decline(
            application,
            actor=_me(),
            reason=form.reason.data,
            message_text=form.message.data,
            now=clock.now(),
        )
    except TransitionNotAllowed:
        db.session.rollback()
        db.session.refresh(application)
        return _respond(application_id, "actions", notice=_already_decided(application))
    db.session.commit()
    return _respond(
        application_id, "actions", notice="Declined. Your message to the applicant is on its way."
    )


@bp.post("/<int:application_id>/override")
def override(application_id: int):
    """Approve anyway: an ineligible application onto the waitlist, with a reason."""
    application = _load(application_id)
    if OVERRIDE not in _actions(application):
        return _respond(application_id, "actions", notice=_not_overridable(application))
    form = OverrideForm()
    if not form.validate_on_submit():
        return _respond(application_id, "actions", given={"override": form}, status=422)
    try:
        services.override(
            application,
            actor=_me(),
            reason=form.reason.data,
            priority=form.priority.data,
            now=clock.now(),
        )
    except TransitionNotAllowed:
        db.session.rollback()
        db.session.refresh(application)
        return _respond(application_id, "actions", notice=_not_overridable(application))
    db.session.commit()
    return _respond(
        application_id,
        "actions",
        notice="Approved by override and added to the waitlist. The applicant's e-mail "
        "is on its way.",
    )


def _not_overridable(application: Application) -> str:
    status = LABELS.get(application.status, application.status)
    if _last_override(application) is not None:
        return (
            f"This application was approved by override already (now {status}), "
            "perhaps a moment ago by someone else. Nothing was changed."
        )
    return (
        f"Only an application that is not eligible can be approved by override; this one "
        f"is {status}. Nothing was changed."
    )


def _already_decided(application: Application) -> str:
    return (
        "This application is no longer waiting for review (now "
        f"{LABELS.get(application.status, application.status)}): someone decided it "
        "already. Nothing was changed."
    )


@bp.post("/<int:application_id>/duplicate")
def resolve_duplicate(application_id: int):
    application = _load(application_id)
    if application.duplicate_of_id is not None and application.duplicate_resolution is not None:
        return _respond(application_id, "duplicate", notice=_resolved_before(application))
    actions = _actions(application)
    if KEEP_BOTH not in actions:
        return _respond(
            application_id,
            "duplicate",
            notice="This application is not flagged as a possible duplicate. Nothing was changed.",
        )
    form = DuplicateForm()
    if MERGE not in actions:
        form.resolution.choices = [c for c in form.resolution.choices if c[0] != "merged"]
    if not form.validate_on_submit():
        return _respond(application_id, "duplicate", given={"duplicate": form}, status=422)
    try:
        services.resolve_duplicate(
            application,
            actor=_me(),
            resolution=form.resolution.data,
            reason=form.reason.data,
            now=clock.now(),
        )
    except services.AlreadyResolved:
        db.session.rollback()
        db.session.refresh(application)
        return _respond(application_id, "duplicate", notice=_resolved_before(application))
    except TransitionNotAllowed:
        return _refused(application_id, "duplicate", application)
    db.session.commit()
    if form.resolution.data == services.MERGED:
        notice = "Merged: this application is withdrawn and the other keeps its place."
    else:
        notice = "Resolved: both applications stay."
    return _respond(application_id, "duplicate", notice=notice)


def _resolved_before(application: Application) -> str:
    how = {"keep_both": "both were kept", "merged": "this one was merged into the other"}
    resolution = application.duplicate_resolution or ""
    return (
        "This possible duplicate was already resolved ("
        f"{how.get(resolution, resolution)}). "
        "Nothing was changed."
    )


@bp.post("/<int:application_id>/split")
def split(application_id: int):
    application = _load(application_id)
    problem = splitting.why_not(application)
    if problem is not None:
        return _respond(application_id, "split", notice=f"{problem} Nothing was changed.")
    form = SplitForm()
    if not form.validate_on_submit():
        return _respond(application_id, "split", given={"split": form}, status=422)
    if form.seats.data != application.seats_requested:
        return _respond(application_id, "split", notice=_split_meanwhile(application))
    try:
        parts = splitting.parse_parts(form.parts.data, application.seats_requested)
    except splitting.InvalidParts as exc:
        form.parts.errors = [str(exc)]
        return _respond(application_id, "split", given={"split": form}, status=422)
    try:
        everyone = splitting.split_request(
            application,
            actor=_me(),
            parts=parts,
            seen_seats=form.seats.data,
            reason=form.reason.data,
            now=clock.now(),
        )
    except (splitting.ChangedMeanwhile, splitting.NotSplittable):
        db.session.rollback()
        db.session.refresh(application)
        return _respond(application_id, "split", notice=_split_meanwhile(application))
    db.session.commit()
    listed = ", ".join(f"{a.reference} ({a.seats_requested})" for a in everyone)
    return _respond(
        application_id,
        "split",
        notice=f"Split into {len(everyone)} parts: {listed}. The agency's e-mail is on its way.",
    )


def _split_meanwhile(application: Application) -> str:
    return (
        "This request changed since the page was shown: it is now "
        f"{application.seats_requested} seats, "
        f"{LABELS.get(application.status, application.status).lower()}. "
        "Nothing was changed; check it and split it again if it still needs it."
    )
