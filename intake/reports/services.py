"""The numbers on the reports page, each from a fixed number of aggregate queries.

Every function takes ``program_id`` (one program's id, None for every program, or a
``Scope`` of intake.auth.scope: the programs the reader may see, which is what the
page passes, so a coordinator's numbers count only their programs).
Reports of the list (who is waiting, demand against seats, how long people have
waited) describe it as it was at a moment ``at``: the end of the report's period.
Each application's status then is the last of its status changes before ``at``
(``status_events``); ``at`` None (or not yet past) is the list as it is now.
Reports of what happened (the funnel, applications per week, reasons) take the period
``start`` to ``end`` (aware datetimes, ``end`` excluded), count the applications
created in it, and what happened to them before ``end``.

Counts are made by the database (GROUP BY). The only function that reads one row per
application is ``ineligibility_reasons``, and only for applications whose rules did not
all pass (see there). No function runs more queries when there are more rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import String, distinct, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from intake.applications.services import SENSITIVE_ANSWERS
from intake.auth.scope import Scope
from intake.choices import LANGUAGES
from intake.eligibility.rules import PASS, RULES
from intake.extensions import db
from intake.models import (
    ApplicantLanguage,
    Application,
    Cohort,
    Offer,
    Program,
    ScreenedOutCount,
    StatusEvent,
)
from intake.reports.suppression import is_suppressed, safe_total
from intake.status import states

KNOWN_LANGUAGES = tuple(code for code, _ in LANGUAGES)
# The languages of the site's pages: the language a screener was answered in.
PAGE_LANGUAGES = {"en": "English", "es": "Spanish", "zh": "Chinese"}

# Rules that read self-identification answers: their results are never reported.
SELF_IDENTIFICATION_RULES = frozenset(
    key for key, rule in RULES.items() if set(rule.reads) & set(SENSITIVE_ANSWERS)
)


# An agency's request split into parts (intake.casefile.split) is one request: its
# parts are counted as the application they were split from (their seats add up).
ONE_REQUEST = func.coalesce(Application.split_from_id, Application.id)
NOT_A_PART = Application.split_from_id.is_(None)


def _in_program(query, program_id: int | Scope | None, column=Application.program_id):
    """``query`` limited to one program (an id), to the programs a reader may see (a
    Scope: the view always passes one), or not at all (None)."""
    if isinstance(program_id, Scope):
        return query.where(program_id.programs(column))
    return query if program_id is None else query.where(column == program_id)


def _created_in(query, start: datetime, end: datetime):
    return query.where(Application.created_at >= start, Application.created_at < end)


def status_at(at: datetime):
    """A subquery of (application_id, status): each application's status at ``at``,
    the ``to_status`` of its last status change before ``at`` (applications created
    later have none)."""
    order = (StatusEvent.created_at.desc(), StatusEvent.id.desc())
    ranked = (
        select(
            StatusEvent.application_id,
            StatusEvent.to_status,
            func.row_number()
            .over(partition_by=StatusEvent.application_id, order_by=order)
            .label("latest"),
        )
        .where(StatusEvent.created_at < at)
        .subquery()
    )
    return (
        select(ranked.c.application_id, ranked.c.to_status.label("status"))
        .where(ranked.c.latest == 1)
        .subquery()
    )


def _with_status(query, at: datetime | None):
    """``query`` (over Application) and the status column to read: the status now
    when ``at`` is None, else the status at ``at`` (an inner join: applications
    with no status yet at ``at`` drop out)."""
    if at is None:
        return query, Application.status
    then = status_at(at)
    return query.join(then, then.c.application_id == Application.id), then.c.status


def _language_order(codes) -> list[str | None]:
    """Known languages in the form's order, then any others, then "not given" (None)."""
    found = set(codes)
    others = sorted(c for c in found if c is not None and c not in KNOWN_LANGUAGES)
    return [*KNOWN_LANGUAGES, *others, *([None] if None in found else [])]


# Waitlist by program and language ---------------------------------------------------


@dataclass
class Waiting:
    applications: int = 0
    seats: int = 0


@dataclass
class LanguageWaiting:
    # None: the applicant gave no language.
    language: str | None
    waitlisted: Waiting = field(default_factory=Waiting)
    needs_review: Waiting = field(default_factory=Waiting)


@dataclass
class ProgramWaiting:
    program_id: int
    languages: list[LanguageWaiting]
    # Each application once, whatever its languages.
    total: LanguageWaiting

    def total_shown(self, status: str, measure: str) -> int | None:
        """The program's total for ``status`` ("waitlisted" or "needs_review") and
        ``measure`` ("applications" or "seats"), or None when a language's count in
        that column is hidden."""
        parts = (getattr(getattr(row, status), measure) for row in self.languages)
        return safe_total(getattr(getattr(self.total, status), measure), parts)


def waitlist_by_language(
    program_id: int | Scope | None, at: datetime | None = None
) -> dict[int, ProgramWaiting]:
    """Applications waitlisted, and those being reviewed, at ``at`` (None: now), per
    program and language, with the seats they ask for (an agency asks for several).

    An applicant who speaks two languages counts under both, so a program's total is
    counted separately (each application once), not added up. Programs with nobody
    waiting or in review are left out. Two queries.
    """
    statuses = {states.WAITLISTED: "waitlisted", states.NEEDS_REVIEW: "needs_review"}
    counts = (
        func.count(distinct(ONE_REQUEST)),
        func.coalesce(func.sum(Application.seats_requested), 0),
    )
    base, status = _with_status(select(Application.program_id).select_from(Application), at)
    by_language = _in_program(
        base.add_columns(ApplicantLanguage.code, status, *counts)
        .outerjoin(ApplicantLanguage, ApplicantLanguage.applicant_id == Application.applicant_id)
        .where(status.in_(statuses))
        .group_by(Application.program_id, ApplicantLanguage.code, status),
        program_id,
    )
    base, status = _with_status(select(Application.program_id).select_from(Application), at)
    totals = _in_program(
        base.add_columns(status, *counts)
        .where(status.in_(statuses))
        .group_by(Application.program_id, status),
        program_id,
    )

    cells: dict[int, dict[str | None, LanguageWaiting]] = {}
    for pid, code, state, applications, seats in db.session.execute(by_language):
        row = cells.setdefault(pid, {}).setdefault(code, LanguageWaiting(code))
        setattr(row, statuses[state], Waiting(applications, int(seats)))
    program_totals: dict[int, LanguageWaiting] = {}
    for pid, state, applications, seats in db.session.execute(totals):
        row = program_totals.setdefault(pid, LanguageWaiting(None))
        setattr(row, statuses[state], Waiting(applications, int(seats)))

    return {
        pid: ProgramWaiting(
            program_id=pid,
            languages=[
                by_code.get(code) or LanguageWaiting(code) for code in _language_order(by_code)
            ],
            total=program_totals[pid],
        )
        for pid, by_code in cells.items()
    }


# Demand against free seats, per language --------------------------------------------


@dataclass(frozen=True)
class LanguageDemand:
    language: str | None
    # Seats asked for by waitlisted applications; None when it adds up a program's
    # count that is hidden in the waitlist table (it could be recovered by subtraction).
    seats_wanted: int | None
    # Seats not offered or taken in cohorts that have not started yet.
    free_seats: int

    @property
    def gap(self) -> int | None:
        """Free seats minus seats wanted (below 0: too few seats); None when the seats
        wanted are not shown exactly, since the gap would give them away."""
        if self.seats_wanted is None or is_suppressed(self.seats_wanted):
            return None
        return self.free_seats - self.seats_wanted


def demand_vs_seats(
    program_id: int | Scope | None, now: datetime, tz: tzinfo = UTC, at: datetime | None = None
) -> list[LanguageDemand]:
    """Seats wanted by people waiting at ``at`` (None: now) against free seats in the
    cohorts that had not started by then, per language (cohorts starting that day or
    later, in ``tz``). Two queries.

    Free seats now are the cohorts' counters. Before now they are worked out from the
    offers: a cohort (made by then) less the seats of offers made before ``at`` and
    still open or taken at ``at`` (open or accepted now, or answered after ``at``).

    The seats wanted are counted per program first, as in the waitlist table, so a
    language's sum is shown only when none of the program counts it adds is hidden.
    """
    base, status = _with_status(select(Application.program_id).select_from(Application), at)
    wanted_query = _in_program(
        base.add_columns(
            ApplicantLanguage.code,
            func.coalesce(func.sum(Application.seats_requested), 0),
        )
        .outerjoin(ApplicantLanguage, ApplicantLanguage.applicant_id == Application.applicant_id)
        .where(status == states.WAITLISTED)
        .group_by(Application.program_id, ApplicantLanguage.code),
        program_id,
    )
    if at is None:
        today = now.astimezone(tz).date()
        free_query = (
            select(
                Cohort.language,
                func.sum(Cohort.seats - Cohort.seats_offered - Cohort.seats_enrolled),
            )
            .where(Cohort.start_date >= today)
            .group_by(Cohort.language)
        )
    else:
        day = (at - timedelta(microseconds=1)).astimezone(tz).date()
        held = (
            select(func.coalesce(func.sum(Offer.seats), 0))
            .where(
                Offer.cohort_id == Cohort.id,
                Offer.created_at < at,
                (Offer.status.in_(("open", "accepted"))) | (Offer.answered_at >= at),
            )
            .scalar_subquery()
        )
        free_query = (
            select(Cohort.language, func.sum(Cohort.seats - held))
            .where(Cohort.start_date >= day, Cohort.created_at < at)
            .group_by(Cohort.language)
        )
    free_query = _in_program(free_query, program_id, Cohort.program_id)

    wanted_parts: dict[str | None, list[int]] = {}
    for _pid, code, seats in db.session.execute(wanted_query):
        wanted_parts.setdefault(code, []).append(int(seats))
    free = {code: int(seats or 0) for code, seats in db.session.execute(free_query)}

    return [
        LanguageDemand(
            language=code,
            seats_wanted=safe_total(sum(wanted_parts.get(code, [])), wanted_parts.get(code, [])),
            free_seats=free.get(code, 0),
        )
        for code in _language_order([*wanted_parts, *free])
    ]


# Median days waiting -----------------------------------------------------------------


def median_days_waiting(
    program_id: int | Scope | None, now: datetime, at: datetime | None = None
) -> dict[int | None, float]:
    """Median days on the waitlist of the people waitlisted at ``at`` (None: now),
    counted to then, per program id, and under None for everyone together. Programs
    with nobody waiting are left out.

    SQLite has no percentile function, so a window query ranks each program's waiting
    people by ``joined_at`` and returns only the middle one (odd count) or two (even
    count); Python averages their waits. The database returns at most two rows per
    program, whatever the size of the list. Two queries (per program, everyone).
    """
    moment = now if at is None else at
    result: dict[int | None, float] = {}
    # Each request once: the parts of a split request share its time joined.
    base, status = _with_status(select(Application.program_id).select_from(Application), at)
    waiting = (
        _in_program(
            base.add_columns(Application.joined_at, ONE_REQUEST.label("request")).where(
                status == states.WAITLISTED, Application.joined_at.is_not(None)
            ),
            program_id,
        )
        .distinct()
        .subquery()
    )
    for per_program in (True, False):
        over: dict[str, Any] = {"partition_by": waiting.c.program_id} if per_program else {}
        ranked = select(
            waiting.c.program_id,
            waiting.c.joined_at,
            func.row_number()
            .over(order_by=(waiting.c.joined_at, waiting.c.request), **over)
            .label("position"),
            func.count().over(**over).label("n"),
        ).subquery()
        middle = select(ranked.c.program_id, ranked.c.joined_at).where(
            ranked.c.position.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        )
        waits: dict[int | None, list[timedelta]] = {}
        for pid, joined_at in db.session.execute(middle):
            waits.setdefault(pid if per_program else None, []).append(moment - joined_at)
        for key, middle_waits in waits.items():
            median = sum(middle_waits, timedelta()) / len(middle_waits)
            result[key] = round(median / timedelta(days=1), 1)
    return result


# The funnel ---------------------------------------------------------------------------

# In the order people move through them; needs_review is a side path into eligible.
FUNNEL_STAGES = (
    states.SUBMITTED,
    states.NEEDS_REVIEW,
    states.ELIGIBLE,
    states.WAITLISTED,
    states.OFFERED,
    states.ENROLLED,
)
FUNNEL_EXITS = (states.INELIGIBLE, states.WITHDRAWN)


def funnel(program_id: int | Scope | None, start: datetime, end: datetime) -> dict[str, int]:
    """Of the applications created in the period, how many reached each stage by its
    end (from their status events, so a person offered a seat who later withdrew still
    counts as offered), and how many were found not eligible or withdrew. One query.

    Approved after review counts as eligible: approval is the move to eligible.
    """
    stages = (*FUNNEL_STAGES, *FUNNEL_EXITS)
    query = _in_program(
        _created_in(
            select(StatusEvent.to_status, func.count(distinct(ONE_REQUEST)))
            .join(Application, Application.id == StatusEvent.application_id)
            .where(StatusEvent.to_status.in_(stages), StatusEvent.created_at < end)
            .group_by(StatusEvent.to_status),
            start,
            end,
        ),
        program_id,
    )
    reached = dict.fromkeys(stages, 0)
    reached.update(db.session.execute(query).all())
    return reached


# Applications per week -----------------------------------------------------------------


class utc_hour(FunctionElement):  # a SQL function, named like one
    """ "YYYY-MM-DD HH" of a timestamp column holding UTC (naive), on either database.

    Grouping by the hour (at most 24 rows a day, however many applications) lets
    Python put each hour in the right local day and week; the time zones in use
    differ from UTC by whole hours.
    """

    type = String()
    inherit_cache = True
    name = "utc_hour"


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m-%d %H', {compiler.process(element.clauses, **kw)})"


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element, compiler, **kw):
    # The format is written into the statement, not bound, so the same expression in
    # SELECT and GROUP BY is the same text to PostgreSQL.
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24')"


@dataclass(frozen=True)
class WeekCount:
    # The Monday the ISO week starts on, in the report's time zone.
    week_start: date
    applications: int

    @property
    def iso_week(self) -> str:
        year, week, _ = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def applications_per_week(
    program_id: int | Scope | None, start: datetime, end: datetime, tz: tzinfo = UTC
) -> list[WeekCount]:
    """Applications created in the period per ISO week (Monday to Sunday in ``tz``),
    every week of the period listed, weeks without applications as 0. The first and
    last week may be cut by the period. One query.
    """
    hour = utc_hour(Application.created_at)
    query = _in_program(
        _created_in(
            select(hour, func.count(Application.id)).where(NOT_A_PART).group_by(hour), start, end
        ),
        program_id,
    )
    counts: Counter[date] = Counter()
    for hour_text, count in db.session.execute(query):
        moment = datetime.strptime(hour_text, "%Y-%m-%d %H").replace(tzinfo=UTC)
        counts[week_start(moment.astimezone(tz).date())] += count

    first = week_start(start.astimezone(tz).date())
    last = week_start((end - timedelta(microseconds=1)).astimezone(tz).date())
    weeks = []
    monday = first
    while monday <= last:
        weeks.append(WeekCount(monday, counts[monday]))
        monday += timedelta(days=7)
    return weeks


# Why people were not eligible ------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    rule_key: str
    # "review" (a coordinator had to look) or "fail"
    outcome: str
    reason: str | None
    applications: int
    # Of those, how many were not eligible at the period's end (declined after review).
    declined: int


def ineligibility_reasons(
    program_id: int | Scope | None, start: datetime, end: datetime
) -> list[ReasonCount]:
    """How often each rule's reason stopped or held up an application created in the
    period, most frequent first, and how many of those were declined by its end. One
    query.

    Reading rule results out of the JSON decision differs between SQLite and
    PostgreSQL, so the database only picks the applications whose decision did not
    pass (JSON ``outcome``, which both read alike) and returns their decision and
    status; the rule results are counted here. Rules that read self-identification
    answers are left out: they are not reported.

    The screener does not store answers of people who never apply, so people it told
    they were not eligible are not counted here (``screened_out`` counts them).
    """
    base, status = _with_status(select(Application.decision).select_from(Application), end)
    query = _in_program(
        _created_in(
            base.add_columns(status).where(
                Application.decision["outcome"].as_string() != PASS, NOT_A_PART
            ),
            start,
            end,
        ),
        program_id,
    )
    applications: Counter[tuple[str, str, str | None]] = Counter()
    declined: Counter[tuple[str, str, str | None]] = Counter()
    for decision, status in db.session.execute(query):
        for result in decision.get("rules", []):
            if result.get("outcome") == PASS or result.get("key") in SELF_IDENTIFICATION_RULES:
                continue
            if result.get("key") not in RULES:
                continue
            key = (result["key"], result["outcome"], result.get("reason"))
            applications[key] += 1
            if status == states.INELIGIBLE:
                declined[key] += 1
    order = list(RULES)

    def most_first(item):
        (rule_key, outcome, reason), count = item
        return (-count, order.index(rule_key), outcome, reason or "")

    return [
        ReasonCount(*key, applications=count, declined=declined[key])
        for key, count in sorted(applications.items(), key=most_first)
    ]


# Screened out by the screener (unmet demand) ----------------------------------------------


@dataclass(frozen=True)
class ScreenedOut:
    program_id: int
    rule_key: str
    # None: the total of the program and rule, every language.
    locale: str | None
    count: int


def screened_out(
    program_id: int | Scope | None, first_day: date, last_day: date
) -> dict[int, dict[str, list[ScreenedOut]]]:
    """Finished screeners that a program's rules screened out, from ``first_day`` to
    ``last_day`` (both included, the programs' days), per program (in the page's
    order) and rule, one row per language then the rule's total. Rules that read
    self-identification answers are not reported. One query."""
    query = _in_program(
        select(
            ScreenedOutCount.program_id,
            ScreenedOutCount.rule_key,
            ScreenedOutCount.locale,
            func.sum(ScreenedOutCount.count),
        )
        .join(Program, Program.id == ScreenedOutCount.program_id)
        .where(ScreenedOutCount.on_date >= first_day, ScreenedOutCount.on_date <= last_day)
        .group_by(
            Program.position,
            ScreenedOutCount.program_id,
            ScreenedOutCount.rule_key,
            ScreenedOutCount.locale,
        )
        .order_by(Program.position, ScreenedOutCount.program_id),
        program_id,
        ScreenedOutCount.program_id,
    )
    found: dict[int, dict[str, list[ScreenedOut]]] = {}
    for pid, rule_key, locale, count in db.session.execute(query):
        if rule_key not in RULES or rule_key in SELF_IDENTIFICATION_RULES:
            continue
        found.setdefault(pid, {}).setdefault(rule_key, []).append(
            ScreenedOut(pid, rule_key, locale, int(count))
        )
    order = list(RULES)
    languages = list(PAGE_LANGUAGES)
    result: dict[int, dict[str, list[ScreenedOut]]] = {}
    for pid, by_rule in found.items():
        result[pid] = {}
        for rule_key in sorted(by_rule, key=order.index):
            rows = sorted(
                by_rule[rule_key],
                key=lambda r: (
                    languages.index(r.locale) if r.locale in languages else 99,
                    r.locale,
                ),
            )
            rows.append(ScreenedOut(pid, rule_key, None, sum(r.count for r in rows)))
            result[pid][rule_key] = rows
    return result
