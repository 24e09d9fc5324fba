"""The waitlist table (filters, search, sort, pages) and its CSV export."""

from dataclasses import replace

from flask import Response, redirect, request, stream_with_context, url_for

from intake import choices, clock
from intake.auth.access import workspace_blueprint
from intake.auth.scope import current_scope
from intake.htmx import page_or_fragment
from intake.i18n import gettext
from intake.status.states import LABELS
from intake.waitlist import queries
from intake.waitlist.export import csv_chunks, export_query, local_date

bp = workspace_blueprint("waitlist", __name__, url_prefix="/coord")

TEMPLATE = "waitlist/index.html"

SORT_CHOICES = [
    ("queue", "Queue order (priority, then joined)"),
    ("joined", "Joined"),
    ("name", "Name"),
    ("program", "Program"),
    ("status", "Status"),
    ("waiting", "Days waiting"),
]


@bp.route("/")
def home():
    return redirect(url_for("waitlist.index"))


def _filters():
    """The filter options, the filters the query string asks for (only valid values)
    with a note for each value ignored, and the cohort chosen for "fits cohort"."""
    programs, cohorts = queries.filter_options(current_scope())
    filters, notes = queries.parse_filters(
        request.args,
        program_ids={p.id for p in programs},
        cohort_ids={c.id for c in cohorts},
    )
    cohort = next((c for c in cohorts if c.id == filters.cohort_id), None)
    return programs, cohorts, filters, notes, cohort


@bp.route("/waitlist")
def index():
    programs, cohorts, filters, notes, cohort = _filters()
    scope = current_scope()
    page = queries.find_page(filters, cohort, scope=scope)
    # What the page shows is what was used: a page number beyond the end is clamped.
    used = replace(filters, page=page.number)
    status_choices = [
        (queries.WAITING, "Waiting (on the waitlist or being reviewed)"),
        (queries.ALL, "All statuses"),
        *LABELS.items(),
    ]
    language_labels = dict(choices.LANGUAGES)
    context = {
        "filters": used,
        "notes": notes + page.notes,
        "page": page,
        "programs": programs,
        "program_names": {p.id: p.name for p in programs},
        "cohorts": cohorts,
        "cohort": cohort,
        "now": clock.now(),
        "status_choices": status_choices,
        "status_labels": dict(status_choices),
        "language_choices": choices.LANGUAGES,
        "language_labels": language_labels,
        "availability_labels": dict(choices.AVAILABILITY),
        "sort_choices": SORT_CHOICES,
        "sort_labels": dict(SORT_CHOICES),
        # A row's languages and days/times, each distinct list labelled once.
        "languages_text": queries.codes_labeller(language_labels, ", "),
        "slots_text": queries.codes_labeller(
            {code: gettext(label) for code, label in choices.AVAILABILITY}, ", "
        ),
        "days_waiting": queries.days_waiting,
        "is_flagged_duplicate": queries.is_flagged_duplicate,
        "local_date": local_date,
    }
    # With htmx: the results, and the sort controls of the form (a heading click
    # changes them) out of band; the address bar gets the canonical URL of what was used.
    return page_or_fragment(
        TEMPLATE,
        ["results", "sort_controls"],
        context,
        oob=True,
        push_url=url_for("waitlist.index", **used.query_args()),
    )


@bp.route("/waitlist/export.csv")
def export():
    """The current filtered list, every page, in the same order, as a CSV file."""
    _, _, filters, _, cohort = _filters()
    now = clock.now()
    filename = f"waitlist-{local_date(now).isoformat()}.csv"
    return Response(
        stream_with_context(csv_chunks(export_query(filters, cohort, scope=current_scope()), now)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
