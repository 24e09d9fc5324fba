"""A cohort's sessions, for the coordinators of its program: add sessions from a
pattern, change, move or cancel one. The sessions are listed on the cohort's page.

Each form is a page of its own that works as a plain form (303 back to the cohort
page with a flashed notice, or the form again with 422) and with htmx (the form
swaps itself; HX-Redirect after a change)."""

from datetime import time

from flask import flash, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope, visible_cohort
from intake.extensions import db
from intake.htmx import form_page, redirect_after_post
from intake.models import Cohort, CohortSession
from intake.offers.ics import session_time
from intake.sessions import services
from intake.sessions.forms import CancelForm, GenerateForm, SessionForm, seen_sequence
from intake.templating import moment

bp = workspace_blueprint("sessions", __name__, url_prefix="/coord/cohorts")


def _cohort(cohort_id: int) -> Cohort:
    """The cohort, if its program is one of the reader's; 404 otherwise."""
    return visible_cohort(cohort_id, current_scope(), joinedload(Cohort.program))


def _session(cohort: Cohort, session_id: int) -> CohortSession:
    return db.one_or_404(
        select(CohortSession).where(
            CohortSession.id == session_id, CohortSession.cohort_id == cohort.id
        )
    )


def _back(cohort: Cohort, notice: str):
    flash(notice)
    return redirect_after_post(url_for("cohorts.show", cohort_id=cohort.id) + "#sessions")


def _when(session: CohortSession) -> str:
    return moment(session.starts_at, "full")


@bp.route("/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
def new(cohort_id: int):
    cohort = _cohort(cohort_id)
    # The first date and time the cohort's own schedule suggests.
    start: time = session_time(cohort.schedule, cohort.time_slot).start
    form = GenerateForm.for_cohort(cohort.program, cohort.start_date, start)
    if form.validate_on_submit():
        made = services.generate(
            cohort,
            first=form.first_date.data,
            pattern=form.pattern.data,
            count=form.count.data,
            start=form.start_time.data,
            minutes=form.minutes.data,
            where=form.where(),
            now=clock.now(),
        )
        db.session.commit()
        n = len(made)
        return _back(
            cohort,
            f"{n} session{'s' if n != 1 else ''} added, from {_when(made[0])}."
            + _told(cohort, "the new dates, with the calendar"),
        )
    return form_page("sessions/new.html", "generate_form", {"cohort": cohort, "form": form})


def _edit_page(cohort, session, form, cancel_form, notice=None):
    return form_page(
        "sessions/edit.html",
        "session_forms",
        {
            "cohort": cohort,
            "session": session,
            "form": form,
            "cancel_form": cancel_form,
            "notice": notice,
            "participants": len(services.active_participants(cohort.id)),
        },
    )


@bp.route("/<int:cohort_id>/sessions/<int:session_id>", methods=["GET", "POST"])
def edit(cohort_id: int, session_id: int):
    cohort = _cohort(cohort_id)
    session = _session(cohort, session_id)
    form = SessionForm.for_session(session)
    cancel_form = CancelForm(formdata=None, data={"sequence": str(session.sequence)})
    if not form.validate_on_submit():
        return _edit_page(cohort, session, form, cancel_form)
    try:
        changed = services.change(
            session,
            starts_at=services.to_utc(form.day.data, form.start_time.data),
            minutes=form.minutes.data,
            where=form.where(),
            seen_sequence=_seen(form),
            now=clock.now(),
        )
    except services.SessionError as exc:
        db.session.rollback()
        return _refused(cohort, session_id, str(exc))
    if not changed:
        return _back(cohort, "Nothing was changed: the session already was like this.")
    db.session.commit()
    return _back(cohort, f"Session changed: now {_when(session)}.{_told(cohort)}")


@bp.post("/<int:cohort_id>/sessions/<int:session_id>/cancel")
def cancel(cohort_id: int, session_id: int):
    cohort = _cohort(cohort_id)
    session = _session(cohort, session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _refused(cohort, session_id, "The form could not be read.")
    try:
        services.cancel(session, seen_sequence=_seen(form), now=clock.now())
    except services.SessionError as exc:
        db.session.rollback()
        return _refused(cohort, session_id, str(exc))
    db.session.commit()
    return _back(cohort, f"Session of {_when(session)} cancelled.{_told(cohort)}")


def _seen(form) -> int:
    seen = seen_sequence(form.sequence)
    # A form without a readable version is treated as out of date.
    return -1 if seen is None else seen


def _told(cohort: Cohort, what: str = "the change, with a calendar update") -> str:
    n = len(services.active_participants(cohort.id))
    if not n:
        return ""
    who = f"{n} participant{'s are' if n != 1 else ' is'}"
    return f" {who} e-mailed {what}."


def _refused(cohort: Cohort, session_id: int, why: str):
    """The session as it is now, with why the change was not made (422)."""
    session = _session(cohort, session_id)
    db.session.refresh(session)
    form = SessionForm.for_session(session, formdata=None)
    cancel_form = CancelForm(formdata=None, data={"sequence": str(session.sequence)})
    return _edit_page(cohort, session, form, cancel_form, notice=f"{why} Nothing was changed.")
