"""Whose applicants a coordinator may see: the programs they are assigned to.

One rule for the whole workspace. A coordinator sees the applications of the programs
they are assigned to (``CoordinatorProgram``), and everything hanging off those
applications: applicants, notes, offers, cohorts of those programs, e-mails to those
applicants, report numbers. An admin sees every program. A coordinator assigned to no
program sees nothing.

Being on a program's list can itself be sensitive (everyone accepted into the BIPOC
intensive said yes to its self-identification question), so the rule is applied
where the workspace reads, in its query functions, which take a ``Scope`` as a
required argument: a view cannot ask for a list without saying whose. Single
objects are loaded through ``visible_application`` / ``visible_cohort``, which
answer 404 for anything outside the scope, the same answer as for an id that does
not exist, so a guessed id tells nothing.

Self-identification answers keep their own, narrower rule
(``Coordinator.coordinates``): only the program's own coordinators see them, admins
included only when assigned.

A facilitator (``Coordinator.role`` "facilitator") sees the cohorts they lead
(``CohortFacilitator``) and nothing else: no program (so no application, applicant,
e-mail or report), only the pages of blueprints made for facilitators too
(``workspace_blueprint(..., facilitators=True)``; every other workspace page answers
403), and in those only their cohorts (404 for any other). They never see a
self-identification answer: they coordinate no program.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from intake.extensions import db
from intake.models import Application, Cohort, CohortFacilitator, Coordinator, OutboxMessage

# The applicant's applications, twice, for ``Scope.messages``. Made once: an alias
# builds a copy of every column, ~2 ms a page (the menu's failed count reads it).
_MINE = aliased(Application, name="mine")
_OTHER = aliased(Application, name="other")

NOT_ASSIGNED = "You are not assigned to any program yet; ask an admin to assign you."
NO_GROUPS = "You do not lead any group yet; ask an admin to add you to your group."


@dataclass(frozen=True)
class Scope:
    """The programs a reader may see: ``program_ids``, or every one when None; for a
    facilitator no program and only the cohorts ``cohort_ids``."""

    program_ids: frozenset[int] | None
    cohort_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.program_ids is None

    @property
    def facilitator(self) -> bool:
        """A facilitator's scope: their cohorts' rosters, nothing else."""
        return self.cohort_ids is not None

    @property
    def nothing(self) -> bool:
        """Assigned to no program (a facilitator: to no cohort): every list is empty."""
        if self.cohort_ids is not None:
            return not self.cohort_ids
        return self.program_ids is not None and not self.program_ids

    @property
    def notice(self) -> str | None:
        """What every workspace page says when there is nothing to show."""
        if not self.nothing:
            return None
        return NO_GROUPS if self.facilitator else NOT_ASSIGNED

    def allows_pages(self, *, facilitators: bool) -> bool:
        """May this reader open the pages of a workspace blueprint? Facilitators only
        those made for them too (``facilitators``); everyone else every one."""
        return facilitators or not self.facilitator

    def allows(self, program_id: int | None) -> bool:
        return self.program_ids is None or program_id in self.program_ids

    def narrowed(self, program_id: int | None) -> Scope:
        """This scope limited to one program (None: not limited). A program outside
        the scope narrows it to nothing, never widens it."""
        if program_id is None:
            return self
        return Scope(
            frozenset({program_id}) if self.allows(program_id) else frozenset(), self.cohort_ids
        )

    def programs(self, column) -> ColumnElement[bool]:
        """A WHERE condition: ``column`` (a program id) is one this reader may see."""
        if self.program_ids is None:
            return true()
        if not self.program_ids:
            return false()
        return column.in_(sorted(self.program_ids))

    def applications(self, stmt: Select) -> Select:
        """``stmt`` (reading Application) limited to the visible programs."""
        return stmt.where(self.programs(Application.program_id))

    def cohorts(self, stmt: Select) -> Select:
        """``stmt`` (reading Cohort) limited to the visible cohorts: of the visible
        programs, or a facilitator's own."""
        if self.cohort_ids is not None:
            if not self.cohort_ids:
                return stmt.where(false())
            return stmt.where(Cohort.id.in_(sorted(self.cohort_ids)))
        return stmt.where(self.programs(Cohort.program_id))

    def messages(self) -> ColumnElement[bool]:
        """A WHERE condition on OutboxMessage: the e-mails this reader may read.

        - A message to an applicant may speak of any of their applications (one
          "received" e-mail lists every program applied to), so a coordinator reads
          it only when all of that person's applications are in their programs.
        - A coordinators' notice about a cohort (``program_id``) names the people
          offered its seats: that program's coordinators read it.
        - The rest are about no applicant (account e-mails, a referral link sent to
          an agency's director): any coordinator with a program reads them, except
          the daily digests (intake.digest): each lists what one account may see,
          so only admins read them here.
        """
        if self.program_ids is None:
            return true()
        if not self.program_ids:
            return false()
        ids = sorted(self.program_ids)
        mine, other = _MINE, _OTHER
        about_my_applicant = and_(
            exists().where(
                mine.applicant_id == OutboxMessage.applicant_id, mine.program_id.in_(ids)
            ),
            ~exists().where(
                other.applicant_id == OutboxMessage.applicant_id, other.program_id.not_in(ids)
            ),
        )
        to_nobody = OutboxMessage.applicant_id.is_(None)
        return or_(
            and_(OutboxMessage.applicant_id.is_not(None), about_my_applicant),
            and_(to_nobody, OutboxMessage.program_id.in_(ids)),
            and_(
                to_nobody,
                OutboxMessage.program_id.is_(None),
                OutboxMessage.template != "coordinator_digest",
            ),
        )


EVERYTHING = Scope(None)


def scope_for(coordinator: Coordinator) -> Scope:
    """What ``coordinator`` may see: every program for an admin, else their programs
    (read with the account at each request, so an admin's change applies at once); a
    facilitator no program and the cohorts they lead."""
    if coordinator.is_admin:
        return EVERYTHING
    if coordinator.is_facilitator:
        led = db.session.scalars(
            select(CohortFacilitator.cohort_id).where(
                CohortFacilitator.coordinator_id == coordinator.id
            )
        )
        return Scope(frozenset(), frozenset(led))
    return Scope(frozenset(program.id for program in coordinator.programs))


def current_scope() -> Scope:
    """The signed-in coordinator's scope, worked out once per request."""
    if "coordinator_scope" not in g:
        if not current_user.is_authenticated:
            g.coordinator_scope = Scope(frozenset())
        else:
            g.coordinator_scope = scope_for(current_user._get_current_object())
    return g.coordinator_scope


def visible_application(application_id: int, scope: Scope, *options) -> Application:
    """The application if ``scope`` sees it; 404 otherwise (as for a missing id)."""
    application = db.session.scalar(
        scope.applications(select(Application).where(Application.id == application_id)).options(
            *options
        )
    )
    if application is None:
        abort(404)
    return application


def visible_cohort(cohort_id: int, scope: Scope, *options) -> Cohort:
    """The cohort if ``scope`` sees its program; 404 otherwise."""
    cohort = db.session.scalar(
        scope.cohorts(select(Cohort).where(Cohort.id == cohort_id)).options(*options)
    )
    if cohort is None:
        abort(404)
    return cohort
