"""Groups and attendance, for facilitators (their own groups only) and for the
program's coordinators and admins: "My groups", a roster per session with one tap per
person, everyone present in one action, and the roster as a CSV file.

Without JavaScript each form answers with a 303 back to the roster and a flashed
notice; with htmx, a tap swaps the person's row and "everyone present" the roster.
Refused input comes back with 422. Sessions and cohorts outside the reader's scope
answer 404 (intake.auth.scope).
"""

from flask import Response, abort, flash, stream_with_context, url_for
from flask_login import current_user

from intake import choices, clock
from intake.attendance import services
from intake.attendance.export import csv_chunks
from intake.attendance.forms import EveryonePresentForm, MarkForm
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope, visible_cohort
from intake.extensions import db
from intake.htmx import is_htmx, page_or_fragment, redirect_after_post
from intake.models import CohortSession
from intake.waitlist.export import local_date

bp = workspace_blueprint("attendance", __name__, url_prefix="/coord", facilitators=True)

TEMPLATE = "attendance/session.html"


@bp.route("/groups")
def groups():
    cohorts = services.groups(current_scope())
    sessions = [s for cohort in cohorts for s in cohort.sessions]
    return page_or_fragment(
        "attendance/groups.html",
        "group_list",
        {
            "cohorts": cohorts,
            "people": services.active_counts([c.id for c in cohorts]),
            "marked": services.marked_counts([s.id for s in sessions]),
            "languages": dict(choices.LANGUAGES),
            "now": clock.now(),
        },
    )


@bp.route("/groups/<int:cohort_id>/roster.csv")
def roster_csv(cohort_id: int):
    """The group's roster (never any self-identification answer), streamed."""
    cohort = visible_cohort(cohort_id, current_scope())
    filename = f"roster-{cohort.id}-{local_date(clock.now()).isoformat()}.csv"
    return Response(
        stream_with_context(csv_chunks(cohort.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _load(session_id: int) -> CohortSession:
    session = services.visible_session(session_id, current_scope())
    if session is None:
        abort(404)
    return session


def _context(session: CohortSession, *, notice: str | None = None, error: str | None = None):
    sessions = [s for s in session.cohort.sessions if s.status != "cancelled"]
    number = next((i for i, s in enumerate(sessions, 1) if s.id == session.id), None)
    return {
        "session": session,
        "cohort": session.cohort,
        "number": number,
        "total": len(sessions),
        "rows": services.roster(session, clock.now()),
        "streak": services.STREAK,
        "statuses": services.STATUSES,
        "notice": notice,
        "error": error,
    }


@bp.route("/sessions/<int:session_id>/attendance")
def session(session_id: int):
    return page_or_fragment(TEMPLATE, "roster", _context(_load(session_id)))


def _refused(session: CohortSession, error: str):
    db.session.rollback()
    return page_or_fragment(TEMPLATE, "roster", _context(session, error=error), status=422)


def _form_error(form) -> str:
    errors = [message for messages in form.errors.values() for message in messages]
    return errors[0] if errors else "Please try again."


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
def mark(session_id: int):
    """One person's mark: for htmx their row again, else back to the roster."""
    session = _load(session_id)
    form = MarkForm()
    if not form.validate_on_submit():
        return _refused(session, _form_error(form))
    try:
        row = services.mark(
            session,
            form.participant.data,
            form.status.data,
            by=current_user._get_current_object(),
            now=clock.now(),
        )
    except services.AttendanceError as exc:
        return _refused(session, str(exc))
    db.session.commit()
    if is_htmx():
        context = {**_context(session), "row": row}
        return page_or_fragment(TEMPLATE, "row", context)
    flash(f"{row.participant.name}: {services.STATUSES[row.status or '']}.")
    return redirect_after_post(
        url_for(".session", session_id=session.id) + f"#person-{row.participant.id}"
    )


@bp.route("/sessions/<int:session_id>/attendance/everyone-present", methods=["POST"])
def everyone_present(session_id: int):
    session = _load(session_id)
    form = EveryonePresentForm()
    if not form.validate_on_submit():
        return _refused(session, _form_error(form))
    try:
        count = services.mark_everyone_present(
            session, by=current_user._get_current_object(), now=clock.now()
        )
    except services.AttendanceError as exc:
        return _refused(session, str(exc))
    db.session.commit()
    notice = f"Everyone is marked present ({count} {'person' if count == 1 else 'people'})."
    if is_htmx():
        return page_or_fragment(TEMPLATE, "roster", _context(session, notice=notice))
    flash(notice)
    return redirect_after_post(url_for(".session", session_id=session.id))
