"""The report's tables as rows of text, for the CSV downloads (and for the page, for
the tables of groups and the survey, which the page draws from the same rows).

Every cell is the text the page shows, small counts already suppressed
(``small_count``), so a file says exactly what the table says and never more. The
tables drawn by hand in the template (waiting, demand, median days, the funnel, weeks,
reasons) have a builder here that follows the template cell by cell; the tests read
both and compare them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from intake.csvfile import csv_stream
from intake.hours import hours_text
from intake.reports.chart import day_label
from intake.reports.groups import CohortFigures, Figures, GroupReport
from intake.reports.services import PAGE_LANGUAGES
from intake.reports.suppression import safe_total, small_count
from intake.survey.questions import QUESTION_KEYS, REPORT_LABELS

NOT_SHOWN = "not shown"


@dataclass
class Row:
    header: str
    cells: list[str]
    # data-* attributes on the page's <tr> (the tests find rows by them).
    attrs: dict[str, str] = field(default_factory=dict)
    total: bool = False


@dataclass
class Group:
    title: str | None
    rows: list[Row]
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    key: str  # the table's id on the page and its file's name
    caption: str
    columns: list[str]  # the first is the rows' header column
    groups: list[Group]
    # The CSV's first column, when the rows come in titled groups.
    group_column: str | None = None

    @property
    def has_rows(self) -> bool:
        return any(group.rows for group in self.groups)


def csv_chunks(table: Table) -> Iterator[str]:
    """The table as CSV text (``csv_stream``, as every export), a chunk per group of
    rows, titled by the group in the first column when the table has groups."""
    lead = bool(table.group_column)
    header = [table.group_column, *table.columns] if lead else table.columns
    return csv_stream(
        header,
        (
            [
                [group.title or "", row.header, *row.cells] if lead else [row.header, *row.cells]
                for row in group.rows
            ]
            for group in table.groups
        ),
    )


# Formatting -------------------------------------------------------------------------


def _rate(figures: Figures) -> str:
    if figures.participants_shown is None or figures.hours is None:
        return NOT_SHOWN
    rate = figures.attendance_rate
    return "–" if rate is None else f"{rate:g}%"


def _hours(figures: Figures) -> str:
    return NOT_SHOWN if figures.hours is None else hours_text(figures.credited_minutes)


def _mean(figures: Figures, key: str) -> str:
    if not figures.responses:
        return "–"
    mean = figures.mean(key)
    return NOT_SHOWN if mean is None else f"{mean:.1f}"


def _delivery_cells(figures: Figures) -> list[str]:
    return [
        str(figures.sessions_held),
        small_count(figures.participants_shown),
        _rate(figures),
        small_count(figures.completed_shown),
        _hours(figures),
    ]


def _survey_cells(figures: Figures) -> list[str]:
    return [small_count(figures.responses_shown), *(_mean(figures, k) for k in QUESTION_KEYS)]


DELIVERY_COLUMNS = [
    "Sessions held",
    "Participants",
    "Attendance rate",
    "Completed in the period",
    "Hours delivered",
]
SURVEY_COLUMNS = ["Responses", *(f"{REPORT_LABELS[k]} (average, 1–5)" for k in QUESTION_KEYS)]


# The groups and the survey -------------------------------------------------------------


def _by_program(
    rows: list[CohortFigures],
    programs: list,
    cells: Callable[[Figures], list[str]],
    every_program: bool,
    label: Callable[[str], str],
) -> list[Group]:
    """A group of rows per program (its cohorts, then the program's total), and a
    total of every program when more than one is shown."""
    groups = []
    names = {p.id: p.name for p in programs}
    slugs = {p.id: p.slug for p in programs}
    per_program: dict[int, list[CohortFigures]] = {}
    for row in rows:
        per_program.setdefault(row.program_id, []).append(row)
    for program in programs:
        cohorts = per_program.get(program.id, [])
        if not cohorts:
            continue
        total = GroupReport.total(cohorts)
        groups.append(
            Group(
                title=names[program.id],
                attrs={"data-program": slugs[program.id]},
                rows=[
                    *(
                        Row(
                            header=row.name,
                            cells=[label(row.language), *cells(row.figures)],
                            attrs={"data-cohort": str(row.cohort_id)},
                        )
                        for row in cohorts
                    ),
                    Row(
                        header="All groups of the program",
                        cells=["", *cells(total)],
                        attrs={"data-cohort": "all"},
                        total=True,
                    ),
                ],
            )
        )
    if len(groups) > 1:
        everything = GroupReport.total(rows)
        title = "All programs" if every_program else "All your programs"
        groups.append(
            Group(
                title=title,
                attrs={"data-program": "all"},
                rows=[
                    Row(title, ["", *cells(everything)], attrs={"data-cohort": "all"}, total=True)
                ],
            )
        )
    return groups


def _by_language(
    rows: list[CohortFigures], cells: Callable[[Figures], list[str]], label
) -> list[Group]:
    added: dict[str, Figures] = {}
    for row in rows:
        added.setdefault(row.language, Figures()).add(row.figures)
    table_rows = [
        Row(label(code), [str(figures.groups), *cells(figures)], attrs={"data-language": code})
        for code, figures in added.items()
    ]
    if len(table_rows) > 1:
        total = GroupReport.total(rows)
        table_rows.append(
            Row(
                "All languages",
                [str(total.groups), *cells(total)],
                attrs={"data-language": "all"},
                total=True,
            )
        )
    return [Group(None, table_rows)]


GROUP_TABLE_KEYS = (
    "groups-delivered",
    "groups-by-language",
    "survey-results",
    "survey-by-language",
)


def group_tables(report: GroupReport, programs: list, every_program: bool, label) -> list[Table]:
    """The four tables of groups and survey answers, as the page and the files show
    them. ``label`` names a language code."""
    return [
        Table(
            key="groups-delivered",
            caption="Sessions held in the period, attendance at them, completions and "
            "reflective supervision / consultation hours credited, by program and group",
            columns=["Group", "Language", *DELIVERY_COLUMNS],
            groups=_by_program(report.delivery, programs, _delivery_cells, every_program, label),
            group_column="Program",
        ),
        Table(
            key="groups-by-language",
            caption="The same, by the language of the group",
            columns=["Language of the group", "Groups", *DELIVERY_COLUMNS],
            groups=_by_language(report.delivery, _delivery_cells, label),
        ),
        Table(
            key="survey-results",
            caption="Survey responses sent in the period and the average rating of each "
            "question (1: strongly disagree, 5: strongly agree), by program and group",
            columns=["Group", "Language", *SURVEY_COLUMNS],
            groups=_by_program(report.survey, programs, _survey_cells, every_program, label),
            group_column="Program",
        ),
        Table(
            key="survey-by-language",
            caption="Survey responses and average ratings by the language of the group",
            columns=["Language of the group", "Groups", *SURVEY_COLUMNS],
            groups=_by_language(report.survey, _survey_cells, label),
        ),
    ]


# The tables the template draws by hand -----------------------------------------------
# Each follows its table in templates/reports/index.html, cell for cell.


def waitlist_table(report: dict[str, Any], label) -> Table:
    groups = []
    for program in report["programs"]:
        waiting = report["waitlist"].get(program.id)
        if not waiting:
            groups.append(
                Group(program.name, [Row("No one is on the waitlist or being reviewed.", [])])
            )
            continue
        rows = [
            Row(
                label(row.language),
                [
                    small_count(row.waitlisted.applications),
                    small_count(row.waitlisted.seats),
                    small_count(row.needs_review.applications),
                    small_count(row.needs_review.seats),
                ],
            )
            for row in waiting.languages
        ]
        rows.append(
            Row(
                "All languages (each application once)",
                [
                    small_count(waiting.total_shown(status, measure))
                    for status in ("waitlisted", "needs_review")
                    for measure in ("applications", "seats")
                ],
                total=True,
            )
        )
        groups.append(Group(program.name, rows))
    return Table(
        key="waitlist-by-language",
        caption="Applications on the waitlist and being reviewed now, by program and language",
        columns=[
            "Language",
            "On the waitlist: applications",
            "On the waitlist: seats",
            "Being reviewed: applications",
            "Being reviewed: seats",
        ],
        groups=groups,
        group_column="Program",
    )


def _gap(gap: int | None) -> str:
    if gap is None:
        return NOT_SHOWN
    if gap < 0:
        return f"{-gap} seats too few"
    if gap > 0:
        return f"{gap} seats to spare"
    return "even"


def demand_table(report: dict[str, Any], label) -> Table:
    rows = [
        Row(
            label(row.language), [small_count(row.seats_wanted), str(row.free_seats), _gap(row.gap)]
        )
        for row in report["demand"]
    ]
    return Table(
        key="demand-vs-seats",
        caption="Seats wanted by people on the waitlist against free seats in cohorts that "
        "have not started yet",
        columns=["Language", "Seats wanted", "Free seats", "Difference"],
        groups=[Group(None, rows)],
    )


def _days(days: float | None) -> str:
    return "no one waiting" if days is None else f"{days:g}"


def median_table(report: dict[str, Any], _label) -> Table:
    rows = [
        Row(program.name, [_days(report["median_days"].get(program.id))])
        for program in report["programs"]
    ]
    if not report["program"]:
        rows.append(Row("All programs", [_days(report["median_days"].get(None))], total=True))
    return Table(
        key="median-days",
        caption="Median days on the waitlist of the people waiting now",
        columns=["Program", "Median days waiting"],
        groups=[Group(None, rows)],
    )


# The funnel's steps in their two parts, as the page (which takes them from here) and
# the file show them.
FUNNEL_ROWS = (
    (
        "Through the process",
        (
            ("submitted", "Screened and sent"),
            ("needs_review", "Sent to a coordinator’s review"),
            ("eligible", "Eligible (including approved after review)"),
            ("waitlisted", "On the waitlist"),
            ("offered", "Offered a seat"),
            ("enrolled", "Enrolled"),
        ),
    ),
    ("Left along the way", (("ineligible", "Found not eligible"), ("withdrawn", "Withdrew"))),
)


def funnel_table(report: dict[str, Any], _label) -> Table:
    funnel = report["funnel"]
    submitted = funnel["submitted"]

    def share(count: int) -> str:
        return f"{round(count * 100 / submitted)}%" if submitted else "–"

    return Table(
        key="funnel",
        caption="Applications sent in the period, by the steps they reached",
        columns=["Step", "Applications", "Share of those sent"],
        groups=[
            Group(
                title,
                [Row(name, [str(funnel[stage]), share(funnel[stage])]) for stage, name in rows],
            )
            for title, rows in FUNNEL_ROWS
        ],
        group_column="Part",
    )


def weekly_table(report: dict[str, Any], _label) -> Table:
    rows = [
        Row(week.iso_week, [day_label(week.week_start), str(week.applications)])
        for week in report["weeks"]
    ]
    rows.append(Row("Total", ["", str(report["weeks_total"])], total=True))
    return Table(
        key="weekly-table",
        caption="Applications sent per week",
        columns=["Week", "Starting", "Applications"],
        groups=[Group(None, rows)],
    )


def reasons_table(report: dict[str, Any], _label, rule_label, reason_message) -> Table:
    rows = [
        Row(
            f"{rule_label(reason.rule_key)} "
            f"({'sent to review' if reason.outcome == 'review' else 'not eligible'})",
            [
                reason_message(reason.rule_key, reason.reason),
                str(reason.applications),
                str(reason.declined),
            ],
        )
        for reason in report["reasons"]
    ]
    return Table(
        key="reasons",
        caption="Rule reasons for applications that did not pass every rule",
        columns=["Rule", "What the applicant was told", "Applications", "Of these, declined"],
        groups=[Group(None, rows)],
    )


def screened_out_table(report: dict[str, Any], rule_label) -> Table:
    """People the screener found not eligible (they could not apply), per program,
    rule and the language they answered in; each rule's total over the languages is
    shown only when it gives no hidden count away."""
    groups = []
    for program in report["programs"]:
        by_rule = report["screened_out"].get(program.id)
        if not by_rule:
            continue
        rows = []
        for rule_key, counts in by_rule.items():
            *languages, total = counts
            for row in languages:
                rows.append(
                    Row(
                        rule_label(rule_key),
                        [
                            PAGE_LANGUAGES.get(row.locale or "", row.locale or ""),
                            small_count(row.count),
                        ],
                        attrs={"data-rule": rule_key, "data-language": row.locale or ""},
                    )
                )
            shown = safe_total(total.count, (row.count for row in languages))
            rows.append(
                Row(
                    rule_label(rule_key),
                    ["All languages", small_count(shown)],
                    attrs={"data-rule": rule_key, "data-language": "all"},
                    total=True,
                )
            )
        groups.append(Group(program.name, rows, attrs={"data-program": program.slug}))
    return Table(
        key="screened-out",
        caption="People the screener found not eligible in the period (they could not "
        "apply), by program, rule and the language they answered in",
        columns=["Rule", "Language", "Screened out"],
        groups=groups,
        group_column="Program",
    )
