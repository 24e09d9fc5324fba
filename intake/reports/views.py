"""The reports page: what a program lead would show a funder."""

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, request, stream_with_context
from sqlalchemy import select

from intake import clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import Scope, current_scope
from intake.choices import LANGUAGES
from intake.eligibility.rules import RULES
from intake.extensions import db
from intake.htmx import page_or_fragment
from intake.i18n import gettext
from intake.models import Program
from intake.reports import services, tables
from intake.reports.chart import day_label, weekly_chart
from intake.reports.forms import ReportFilterForm
from intake.reports.groups import group_report
from intake.reports.suppression import small_count

bp = workspace_blueprint("reports", __name__, url_prefix="/coord/reports", admin=False)

TEMPLATE = "reports/index.html"
LANGUAGE_LABELS = dict(LANGUAGES)


@bp.app_template_filter("small_count")
def small_count_filter(count: int | None) -> str:
    return small_count(count)


@bp.context_processor
def report_helpers():
    return {
        "language_label": language_label,
        "reason_message": reason_message,
        "day_label": day_label,
    }


def language_label(code: str | None) -> str:
    if code is None:
        return "No language given"
    return LANGUAGE_LABELS.get(code, code)


def rule_label(rule_key: str) -> str:
    return gettext(RULES[rule_key].label)


def reason_message(rule_key: str, reason: str | None) -> str:
    """A rule reason's message for many applications at once: the details one person
    gave (their ZIP codes) are not in an aggregate, so their place shows "…"."""
    message = RULES[rule_key].messages.get(reason) if reason else None
    if not message:
        return ""
    return re.sub(r"%\(\w+\)s", "…", gettext(message))


@bp.route("")
def index():
    form, report, _programs = _report()
    context: dict[str, Any] = {"form": form, "report": report}
    status = 200 if report is not None else 422
    form.fill_defaults()
    return page_or_fragment(TEMPLATE, "report", context, status=status)


# The tables the template draws by hand, and how each becomes rows for its CSV file.
HAND_DRAWN = {
    "waitlist-by-language": tables.waitlist_table,
    "demand-vs-seats": tables.demand_table,
    "median-days": tables.median_table,
    "funnel": tables.funnel_table,
    "weekly-table": tables.weekly_table,
}


@bp.route("/<string:table>.csv")
def download(table: str):
    """One table of the report as a CSV file: the same filters, the same cells (small
    counts hidden alike), streamed."""
    known = {*HAND_DRAWN, "reasons", "screened-out", *tables.GROUP_TABLE_KEYS}
    if table not in known:
        abort(404)
    _form, report, _programs = _report()
    if report is None:
        # The page says what is wrong with each filter; a file cannot.
        return (
            "The report's filters are not valid: open the reports page to correct them.\n",
            422,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    if table in HAND_DRAWN:
        chosen = HAND_DRAWN[table](report, language_label)
    elif table == "reasons":
        chosen = tables.reasons_table(report, language_label, rule_label, reason_message)
    elif table == "screened-out":
        chosen = report["screened_out_table"]
    else:
        chosen = next(t for t in report["group_tables"] if t.key == table)
    first, last = report["first_day"], report["last_day"]
    slug = report["program"].slug if report["program"] else "all"
    filename = f"report-{table}-{slug}-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(
        stream_with_context(tables.csv_chunks(chosen)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report() -> tuple[ReportFilterForm, dict | None, list[Program]]:
    """The filter form from the query string, and the report it asks for (None when
    the filters are not valid)."""
    now = clock.now()
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    scope = current_scope()
    programs = list(
        db.session.scalars(
            select(Program).where(scope.programs(Program.id)).order_by(Program.position, Program.id)
        )
    )
    form = ReportFilterForm(
        formdata=request.args or None, programs=programs, today=now.astimezone(tz).date()
    )
    if not form.validate():
        return form, None, programs
    return form, build_report(form, programs, now, tz, scope), programs


def build_report(
    form: ReportFilterForm, programs: list[Program], now: datetime, tz, scope: Scope
) -> dict:
    """Every number on the page, for the chosen program (or all the reader's: the
    scope, never every program for a coordinator) and days."""
    program = next((p for p in programs if p.slug == form.program.data), None)
    program_id = scope.narrowed(program.id if program else None)
    first_day, last_day = form.period()
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    # The list (who waits, demand, how long) as it was at the period's end, from the
    # status history; a period that has not ended yet shows it as it is now.
    at = end if end < now else None
    as_of = last_day if at is not None else now.astimezone(tz).date()
    weeks = services.applications_per_week(program_id, start, end, tz=tz)
    shown_programs = [program] if program else programs
    screened_out = services.screened_out(program_id, first_day, last_day)
    groups = group_report(program_id, shown_programs, start, end, now)
    return {
        "program": program,
        "every_program": scope.everything,
        "programs": shown_programs,
        "first_day": first_day,
        "last_day": last_day,
        "timezone": str(tz),
        "as_of": as_of,
        "as_of_now": at is None,
        "waitlist": services.waitlist_by_language(program_id, at),
        "demand": services.demand_vs_seats(program_id, now, tz=tz, at=at),
        "median_days": services.median_days_waiting(program_id, now, at),
        "funnel": services.funnel(program_id, start, end),
        "funnel_rows": tables.FUNNEL_ROWS,
        "weeks": weeks,
        "weeks_total": sum(w.applications for w in weeks),
        "chart": weekly_chart(weeks),
        "reasons": services.ineligibility_reasons(program_id, start, end),
        "screened_out": screened_out,
        "screened_out_table": tables.screened_out_table(
            {"programs": shown_programs, "screened_out": screened_out}, rule_label
        ),
        "group_tables": tables.group_tables(
            groups, shown_programs, scope.everything, language_label
        ),
        # The filters, for the download links under each table.
        "filters": {
            "program": program.slug if program else None,
            "from": first_day.isoformat(),
            "to": last_day.isoformat(),
        },
    }
