"""Admin pages: programs, cohorts and coordinator accounts."""

from flask import flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake import clock
from intake.admin import services
from intake.admin.forms import (
    CohortEditForm,
    CoordinatorForm,
    NewCoordinatorForm,
    NewProgramForm,
    ProgramForm,
)
from intake.auth.access import workspace_blueprint
from intake.auth.scope import EVERYTHING
from intake.auth.services import AccountError
from intake.cohorts import services as cohort_services
from intake.cohorts.forms import CohortForm
from intake.extensions import db
from intake.fields import select_choices
from intake.htmx import form_page, is_htmx, page_or_fragment, redirect_after_post
from intake.models import Cohort, Coordinator, Program

bp = workspace_blueprint("admin", __name__, url_prefix="/coord/admin", admin=True)


def _done(target: str, message: str):
    flash(message)
    return redirect_after_post(target)


# Programs ------------------------------------------------------------------------


@bp.route("/programs")
def programs():
    rows = db.session.scalars(select(Program).order_by(Program.position, Program.id)).all()
    return render_template(
        "admin/programs.html", programs=rows, cohort_counts=services.cohort_counts()
    )


@bp.route("/programs/new", methods=["GET", "POST"])
def new_program():
    form = NewProgramForm.blank()
    if form.validate_on_submit():
        try:
            program = services.create_program(
                kind=form.kind.data, fields=form.fields(), now=clock.now()
            )
        except services.RulesDoNotFitKind as exc:
            form.rule_keys.errors.append(str(exc))
        except services.AdminError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            return _done(url_for("admin.programs"), f"“{program.name}” is created.")
    return form_page("admin/program_form.html", "program_form", {"form": form, "program": None})


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
def edit_program(program_id: int):
    program = db.get_or_404(Program, program_id)
    form = ProgramForm.for_program(program)
    if form.validate_on_submit():
        try:
            services.update_program(program, form.fields())
        except services.AdminError as exc:
            form.rule_keys.errors.append(str(exc))
        else:
            db.session.commit()
            return _done(url_for("admin.programs"), f"“{program.name}” is saved.")
    return form_page("admin/program_form.html", "program_form", {"form": form, "program": program})


# Cohorts -------------------------------------------------------------------------


def _cohort_error(form: CohortForm, exc: cohort_services.CohortError) -> None:
    field = {
        cohort_services.SeatsBelowTaken: form.seats,
        cohort_services.StartDateInPast: form.start_date,
        cohort_services.ProgramLocked: form.program,
    }[type(exc)]
    field.errors.append(str(exc))


@bp.route("/cohorts/new", methods=["GET", "POST"])
def new_cohort():
    programs = cohort_services.all_programs(EVERYTHING)
    form = CohortForm()
    form.set_programs(programs)
    if request.method == "GET":
        chosen = next((p for p in programs if p.slug == request.args.get("program")), None)
        if chosen is not None:
            form.program.data = chosen.id
    if form.validate_on_submit():
        try:
            cohort = cohort_services.create_cohort(
                **form.values({p.id: p for p in programs}),
                today=clock.today(),
                now=clock.now(),
            )
        except cohort_services.CohortError as exc:
            _cohort_error(form, exc)
        else:
            db.session.commit()
            return _done(
                url_for("cohorts.show", cohort_id=cohort.id), f"“{cohort.name}” is created."
            )
    return form_page("admin/cohort_form.html", "cohort_form", {"form": form, "cohort": None})


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit_cohort(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    programs = cohort_services.all_programs(EVERYTHING)
    form = CohortEditForm(
        data={
            "facilitator_accounts": services.cohort_facilitator_ids(cohort),
            "program": cohort.program_id,
            "name": cohort.name,
            "language": cohort.language,
            "facilitator": cohort.facilitator,
            "facilitator_credential": cohort.facilitator_credential,
            "schedule": cohort.schedule,
            "schedule_es": cohort.schedule_translations.get("es"),
            "schedule_zh": cohort.schedule_translations.get("zh"),
            "delivery": cohort.delivery or "",
            "time_slot": cohort.time_slot,
            "start_date": cohort.start_date,
            "seats": cohort.seats,
        }
    )
    form.set_programs(programs)
    form.set_facilitators(services.facilitator_accounts())
    if form.validate_on_submit():
        try:
            cohort_services.update_cohort(
                cohort, **form.values({p.id: p for p in programs}), today=clock.today()
            )
            services.set_cohort_facilitators(cohort, list(form.facilitator_accounts.data or []))
        except cohort_services.CohortError as exc:
            _cohort_error(form, exc)
        else:
            db.session.commit()
            return _done(url_for("cohorts.show", cohort_id=cohort.id), f"“{cohort.name}” is saved.")
    return form_page("admin/cohort_form.html", "cohort_form", {"form": form, "cohort": cohort})


# Coordinator accounts ------------------------------------------------------------


@bp.route("/coordinators")
def coordinators():
    rows = db.session.scalars(
        select(Coordinator)
        .options(selectinload(Coordinator.programs))
        .order_by(Coordinator.active.desc(), Coordinator.name, Coordinator.id)
    ).all()
    return render_template("admin/coordinators.html", coordinators=rows)


def _program_choices(form: CoordinatorForm, programs: list[Program]) -> None:
    form.programs.choices = select_choices((p.id, p.name) for p in programs)


def _chosen(form: CoordinatorForm, programs: list[Program]) -> list[Program]:
    ids = set(form.programs.data or [])
    return [p for p in programs if p.id in ids]


@bp.route("/coordinators/new", methods=["GET", "POST"])
def new_coordinator():
    programs = cohort_services.all_programs(EVERYTHING)
    form = NewCoordinatorForm(data={"role": "coordinator"})
    _program_choices(form, programs)
    if form.validate_on_submit():
        try:
            person = services.invite_coordinator(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                programs=_chosen(form, programs),
                now=clock.now(),
            )
        except AccountError:
            form.email.errors.append("An account with this e-mail address already exists.")
        else:
            db.session.commit()
            return _done(
                url_for("admin.coordinators"),
                f"{person.name}’s account is created. An e-mail with a link to choose a "
                f"password is on its way to {person.email}. The link works for one hour; "
                "after that they can use “Forgot your password?” on the sign-in page.",
            )
    return form_page("admin/coordinator_new.html", "coordinator_form", {"form": form})


def _edit_form(coordinator: Coordinator, programs: list[Program]) -> CoordinatorForm:
    form = CoordinatorForm(
        data={
            "name": coordinator.name,
            "role": coordinator.role,
            "programs": [p.id for p in coordinator.programs],
        }
    )
    _program_choices(form, programs)
    return form


@bp.route("/coordinators/<int:coordinator_id>/edit", methods=["GET", "POST"])
def edit_coordinator(coordinator_id: int):
    coordinator = db.get_or_404(Coordinator, coordinator_id)
    programs = cohort_services.all_programs(EVERYTHING)
    form = _edit_form(coordinator, programs)
    if form.validate_on_submit():
        try:
            services.update_coordinator(
                current_user._get_current_object(),
                coordinator,
                name=form.name.data,
                role=form.role.data,
                programs=_chosen(form, programs),
            )
        except services.CannotChangeOwnAccess as exc:
            form.role.errors.append(str(exc))
        else:
            db.session.commit()
            return _done(
                url_for("admin.edit_coordinator", coordinator_id=coordinator.id),
                f"{coordinator.name}’s role and programs are saved.",
            )
    return form_page(
        "admin/coordinator_edit.html",
        "coordinator_form",
        {"form": form, "coordinator": coordinator},
    )


def _account_action(coordinator_id: int, action, message: str):
    """Deactivate, reactivate or reset two-step sign-in: the account box again (htmx)
    or the account page (303); a refused change says why, with 422."""
    coordinator = db.get_or_404(Coordinator, coordinator_id)
    try:
        action(current_user._get_current_object(), coordinator)
    except services.CannotChangeOwnAccess as exc:
        db.session.rollback()
        context = {"coordinator": coordinator, "account_error": str(exc)}
        if not is_htmx():
            context["form"] = _edit_form(coordinator, cohort_services.all_programs(EVERYTHING))
        return page_or_fragment("admin/coordinator_edit.html", "account", context, status=422)
    db.session.commit()
    message = message.format(name=coordinator.name)
    if is_htmx():
        return page_or_fragment(
            "admin/coordinator_edit.html",
            "account",
            {"coordinator": coordinator, "account_message": message},
        )
    return _done(url_for("admin.edit_coordinator", coordinator_id=coordinator.id), message)


@bp.route("/coordinators/<int:coordinator_id>/deactivate", methods=["POST"])
def deactivate_coordinator(coordinator_id: int):
    return _account_action(
        coordinator_id,
        services.deactivate_coordinator,
        "{name} is deactivated and signed out everywhere.",
    )


@bp.route("/coordinators/<int:coordinator_id>/reactivate", methods=["POST"])
def reactivate_coordinator(coordinator_id: int):
    return _account_action(
        coordinator_id,
        lambda _actor, coordinator: services.reactivate_coordinator(coordinator),
        "{name} can sign in again.",
    )


@bp.route("/coordinators/<int:coordinator_id>/reset-two-step", methods=["POST"])
def reset_two_step(coordinator_id: int):
    if coordinator_id == current_user.id:
        me = current_user._get_current_object()
        services.reset_two_step(me, me)
        db.session.commit()
        return _done(
            url_for("auth.totp_setup"), "Your two-step sign-in is reset. Set it up again now."
        )
    return _account_action(
        coordinator_id,
        services.reset_two_step,
        "{name}’s two-step sign-in is reset and they are signed out.",
    )
