"""What the groups delivered in a report's period, and what participants said of them.

For each cohort that held a session in the period (``start`` to ``end``, ``end``
excluded, and not after ``now``): the sessions held, its participants, the attendance
marks of those sessions, the participants who completed in the period, and the
reflective supervision / consultation hours credited for those sessions by the
program's rules (``intake.hours.credited_minutes``). The survey: the responses sent in
the period, per cohort, whatever the period of the group.

Figures are added up per program and per language of the group in Python, from the
per-cohort numbers; what is shown of them (small counts, and the averages and rates
worked out from few people) is decided by ``Figures`` with the page's suppression
rules (``intake.reports.suppression``). Five queries, whatever the number of rows;
the survey query returns one row per response (its ratings are JSON, read alike by
both databases only here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select

from intake.auth.scope import Scope
from intake.extensions import db
from intake.hours import CreditRules, HeldSession, credited_minutes
from intake.models import (
    Attendance,
    Cohort,
    CohortSession,
    Participant,
    Program,
    SurveyResponse,
)
from intake.reports.suppression import is_suppressed, safe_total
from intake.survey.questions import QUESTION_KEYS

# People in a group for these figures: everyone but a staff member replaced by another.
IN_GROUP = ("active", "completed", "withdrawn")


def _scoped(query, program_id: int | Scope | None, column=Cohort.program_id):
    if isinstance(program_id, Scope):
        return query.where(program_id.programs(column))
    return query if program_id is None else query.where(column == program_id)


@dataclass
class Figures:
    """One row of a table: a cohort's numbers, or those of several added up. ``parts``
    keeps each added cohort's people counts, so a sum is shown only when none of them
    is hidden (``safe_total``)."""

    groups: int = 0
    sessions_held: int = 0
    participants: int = 0
    completed: int = 0
    present: int = 0
    marks: int = 0
    credited_minutes: int = 0
    responses: int = 0
    rating_sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUESTION_KEYS, 0))
    rating_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUESTION_KEYS, 0))
    parts: list[Figures] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        self.groups += other.groups
        self.sessions_held += other.sessions_held
        self.participants += other.participants
        self.completed += other.completed
        self.present += other.present
        self.marks += other.marks
        self.credited_minutes += other.credited_minutes
        self.responses += other.responses
        for key in QUESTION_KEYS:
            self.rating_sums[key] += other.rating_sums[key]
            self.rating_counts[key] += other.rating_counts[key]
        self.parts.append(other)

    def _shown(self, name: str) -> int | None:
        total = getattr(self, name)
        if not self.parts:
            return total
        return safe_total(total, (part._shown(name) for part in self.parts))

    # People counts: through small_count on the page.
    @property
    def participants_shown(self) -> int | None:
        return self._shown("participants")

    @property
    def completed_shown(self) -> int | None:
        return self._shown("completed")

    @property
    def responses_shown(self) -> int | None:
        return self._shown("responses")

    # Figures worked out from people: shown only when the people count behind them
    # is shown and is not a small one (an average of three people's answers, or the
    # hours of two, says too much about each).
    def _people_known(self) -> bool:
        shown = self.participants_shown
        return shown is not None and not is_suppressed(shown)

    @property
    def attendance_rate(self) -> float | None:
        """Share of the attendance marks of held sessions that say "present" (%)."""
        if not self._people_known() or not self.marks:
            return None
        return round(self.present * 100 / self.marks, 1)

    @property
    def hours(self) -> float | None:
        if not self._people_known():
            return None
        return self.credited_minutes / 60

    def mean(self, key: str) -> float | None:
        shown = self.responses_shown
        if shown is None or is_suppressed(shown) or not self.rating_counts[key]:
            return None
        return round(self.rating_sums[key] / self.rating_counts[key], 1)

    def answered(self, key: str) -> int | None:
        """How many answered this question (a question may be skipped): shown only
        beside a shown average."""
        return self.rating_counts[key] if self.mean(key) is not None else None


@dataclass
class CohortFigures:
    cohort_id: int
    program_id: int
    name: str
    language: str
    figures: Figures


@dataclass
class GroupReport:
    # Cohorts that held a session in the period, and cohorts with survey responses
    # sent in it, each in (program position, start date, name) order.
    delivery: list[CohortFigures]
    survey: list[CohortFigures]

    def by_program(self, rows: list[CohortFigures]) -> dict[int, Figures]:
        return _added(rows, lambda row: row.program_id)

    def by_language(self, rows: list[CohortFigures]) -> dict[str, Figures]:
        return _added(rows, lambda row: row.language)

    @staticmethod
    def total(rows: list[CohortFigures]) -> Figures:
        total = Figures()
        for row in rows:
            total.add(row.figures)
        return total


def _added(rows, key) -> dict:
    added: dict = {}
    for row in rows:
        added.setdefault(key(row), Figures()).add(row.figures)
    return added


def group_report(
    program_id: int | Scope | None,
    programs: Iterable[Program],
    start: datetime,
    end: datetime,
    now: datetime,
) -> GroupReport:
    """The delivery and survey figures of the period (see the module's docstring)."""
    period_days = (start.date(), end.date())  # local days: start and end are midnights
    period_end = end
    end = min(end, now)  # sessions held: started by now
    rules = {p.id: CreditRules.of(p) for p in programs}
    held = and_(CohortSession.status == "scheduled", CohortSession.starts_at <= now)
    in_period = and_(CohortSession.starts_at >= start, CohortSession.starts_at < end)
    cohort_columns = (Cohort.id, Cohort.program_id, Cohort.name, Cohort.language)
    order = (Program.position, Cohort.start_date, Cohort.name, Cohort.id)

    sessions = _scoped(
        select(*cohort_columns, func.count(CohortSession.id))
        .join(CohortSession, CohortSession.cohort_id == Cohort.id)
        .join(Program, Program.id == Cohort.program_id)
        .where(held, in_period)
        .group_by(*cohort_columns, *order[:3])
        .order_by(*order),
        program_id,
    )
    delivery: dict[int, CohortFigures] = {}
    for cohort_id, pid, name, language, count in db.session.execute(sessions):
        delivery[cohort_id] = CohortFigures(
            cohort_id, pid, name, language, Figures(groups=1, sessions_held=count)
        )
    ids = list(delivery)

    if ids:
        completed_in_period = case(
            (
                and_(
                    Participant.status == "completed",
                    Participant.completed_at >= start,
                    Participant.completed_at < period_end,
                ),
                1,
            ),
            else_=0,
        )
        people = select(
            Participant.cohort_id, func.count(Participant.id), func.sum(completed_in_period)
        ).where(
            Participant.cohort_id.in_(ids),
            Participant.status.in_(IN_GROUP),
            # Named after the period: not in the group during it.
            Participant.created_at < period_end,
        )
        for cohort_id, count, completed in db.session.execute(
            people.group_by(Participant.cohort_id)
        ):
            delivery[cohort_id].figures.participants = count
            delivery[cohort_id].figures.completed = int(completed or 0)

        marks = (
            select(CohortSession.cohort_id, Attendance.status, func.count())
            .join(CohortSession, CohortSession.id == Attendance.session_id)
            .where(CohortSession.cohort_id.in_(ids), held, in_period)
            .group_by(CohortSession.cohort_id, Attendance.status)
        )
        for cohort_id, status, count in db.session.execute(marks):
            delivery[cohort_id].figures.marks += count
            if status == "present":
                delivery[cohort_id].figures.present += count

        # Credit is worked out per person over their sessions in time order, so a cap
        # reached across two periods is not counted twice: what was credited by the
        # period's end, less what had been by its start.
        before = case((CohortSession.starts_at < start, 1), else_=0)
        attended = (
            select(
                CohortSession.cohort_id,
                Attendance.participant_id,
                CohortSession.minutes,
                before,
                func.count(),
            )
            .join(CohortSession, CohortSession.id == Attendance.session_id)
            .where(
                CohortSession.cohort_id.in_(ids),
                held,
                CohortSession.starts_at < end,
                Attendance.status == "present",
            )
            .group_by(
                CohortSession.cohort_id, Attendance.participant_id, CohortSession.minutes, before
            )
        )
        sessions_of: dict[tuple[int, int], list[tuple[int, bool]]] = defaultdict(list)
        for cohort_id, participant_id, minutes, was_before, count in db.session.execute(attended):
            sessions_of[cohort_id, participant_id] += [(minutes, bool(was_before))] * count
        for (cohort_id, _participant_id), attended_sessions in sessions_of.items():
            row = delivery[cohort_id]
            credit = rules.get(row.program_id)
            if credit is None:
                continue
            by_end = credited_minutes(credit, (HeldSession(m, True) for m, _ in attended_sessions))
            by_start = credited_minutes(
                credit, (HeldSession(m, True) for m, early in attended_sessions if early)
            )
            row.figures.credited_minutes += by_end - by_start

    responses = _scoped(
        select(*cohort_columns, SurveyResponse.ratings)
        .join(Cohort, Cohort.id == SurveyResponse.cohort_id)
        .join(Program, Program.id == Cohort.program_id)
        .where(
            SurveyResponse.created_on >= period_days[0],
            SurveyResponse.created_on < period_days[1],
        )
        .order_by(*order),
        program_id,
    )
    survey: dict[int, CohortFigures] = {}
    for cohort_id, pid, name, language, ratings in db.session.execute(responses):
        row = survey.setdefault(
            cohort_id, CohortFigures(cohort_id, pid, name, language, Figures(groups=1))
        )
        row.figures.responses += 1
        for key, value in _ratings(ratings).items():
            row.figures.rating_sums[key] += value
            row.figures.rating_counts[key] += 1

    return GroupReport(delivery=list(delivery.values()), survey=list(survey.values()))


def _ratings(ratings: Mapping | None) -> dict[str, int]:
    """The known questions' answers of a stored response (anything else is ignored)."""
    return {
        key: value
        for key, value in (ratings or {}).items()
        if key in QUESTION_KEYS and isinstance(value, int) and not isinstance(value, bool)
    }
