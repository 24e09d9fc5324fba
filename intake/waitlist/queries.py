"""The waitlist query: filters, search, sort and pages, shared by the table and the export.

Reading the query string is a pure function (``parse_filters``) that never fails: an
unknown value is dropped and said so, so a hand-edited URL gets the list it can have
and a note, never an error page. Every filter reads an indexed column (see the
indexes on Application, ApplicantLanguage, ApplicantAvailability and Applicant).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, literal, or_, select, union_all

from intake.auth.scope import Scope
from intake.choices import LANGUAGES
from intake.extensions import db
from intake.inputs import page_number
from intake.manage import queue_bits
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    Program,
)
from intake.pagination import Page, last_page
from intake.references import ALPHABET
from intake.status import states
from intake.waitlist import search

PAGE_SIZE = 50

# The default list: people waiting for a seat, and people waiting for a decision.
WAITING = "waiting"
ALL = "all"
WAITING_STATUSES = (states.WAITLISTED, states.NEEDS_REVIEW)
STATUS_CHOICES = (WAITING, ALL, *states.LABELS)

KINDS = ("individual", "agency")
LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)

# Sort keys and the direction each starts in when its column is chosen.
SORTS = {
    "queue": "asc",  # the fair order: priority, then who joined first
    "joined": "asc",
    "name": "asc",
    "program": "asc",
    "status": "asc",
    "waiting": "desc",  # longest wait first
}
DIRECTIONS = ("asc", "desc")

# Statuses in the order of the process, for sorting by status.
_STATUS_ORDER = {status: position for position, status in enumerate(states.LABELS)}

_REFERENCE_RE = re.compile(f"^([{ALPHABET}]{{4}})(-?)([{ALPHABET}]{{4}})$")
MAX_SEARCH_LENGTH = 200


@dataclass(frozen=True)
class Filters:
    """What the list shows: every value here is known to be valid."""

    program_id: int | None = None
    status: str = WAITING
    language: str | None = None
    kind: str | None = None
    cohort_id: int | None = None
    q: str = ""
    sort: str = "queue"
    direction: str = "asc"
    page: int = 1

    def query_args(self, **changes) -> dict[str, str | int]:
        """The query string for these filters (with ``changes``), defaults left out,
        so links and the pushed URL stay short and canonical."""
        filters = replace(self, **changes)
        args: dict[str, str | int | None] = {
            "q": filters.q or None,
            "program": filters.program_id,
            "status": filters.status if filters.status != WAITING else None,
            "language": filters.language,
            "kind": filters.kind,
            "cohort": filters.cohort_id,
            "sort": filters.sort if filters.sort != "queue" else None,
            "dir": filters.direction if filters.direction != SORTS[filters.sort] else None,
            "page": filters.page if filters.page > 1 else None,
        }
        return {key: value for key, value in args.items() if value is not None}

    def sorted_by(self, sort: str) -> Filters:
        """The filters after a click on a column heading: the same column flips its
        direction, another starts in its own; back to the first page either way."""
        if sort == self.sort:
            direction = "desc" if self.direction == "asc" else "asc"
        else:
            direction = SORTS[sort]
        return replace(self, sort=sort, direction=direction, page=1)

    def in_queue_order(self) -> Filters:
        """The same rows in the fair queue's order: for what the order does not change
        (a count, the matching ids), so no join that only the sort needs is made."""
        return replace(self, sort="queue", direction="asc")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_filters(
    args: Mapping[str, str],
    *,
    program_ids: Collection[int],
    cohort_ids: Collection[int],
) -> tuple[Filters, list[str]]:
    """Filters from a query string, and a note for each value that was ignored.

    Empty values mean "any". ``page`` is only parsed here; ``find_page`` clamps it to
    the pages there are.
    """
    notes: list[str] = []

    def choose(name: str, valid: Collection, convert=lambda v: v, default=None):
        raw = (args.get(name) or "").strip()
        if not raw:
            return default
        value = convert(raw)
        if value in valid:
            return value
        notes.append(f"Ignored an unknown {name.replace('_', ' ')}: “{raw[:40]}”.")
        return default

    program_id = choose("program", program_ids, _int)
    status = choose("status", STATUS_CHOICES, default=WAITING)
    language = choose("language", LANGUAGE_CODES)
    kind = choose("kind", KINDS)
    cohort_id = choose("cohort", cohort_ids, _int)
    sort = choose("sort", SORTS, default="queue")
    direction = choose("dir", DIRECTIONS, default=SORTS[sort])

    # PostgreSQL refuses NUL characters in text; nobody types one on purpose.
    q = " ".join((args.get("q") or "").replace("\x00", "").split())[:MAX_SEARCH_LENGTH]

    page = page_number(args.get("page"))
    if page is None:
        raw_page = args.get("page", "").strip()
        notes.append(f"Ignored a page number that is not a number: “{raw_page[:20]}”.")
        page = 1

    filters = Filters(
        program_id=program_id,
        status=status,
        language=language,
        kind=kind,
        cohort_id=cohort_id,
        q=q,
        sort=sort,
        direction=direction,
        page=page,
    )
    return filters, notes


# The query ---------------------------------------------------------------------------


def normalise_reference(text: str) -> tuple[str, bool] | None:
    """("K7MX-3QRH", typed with its hyphen) when ``text`` could be a reference."""
    match = _REFERENCE_RE.match(text.upper())
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(3)}", bool(match.group(2))


def _search_condition(q: str):
    """A reference typed with its hyphen or an e-mail address typed with its "@"
    can only mean that, and each has its own index; anything else may be part of a
    name, of an agency's name, the start of an e-mail address, or a reference typed
    without its hyphen ("Samantha" is eight reference letters too).

    Each part reads its own index: the name and agency name ``applications.search_text``
    (a trigram index on PostgreSQL, which ``LIKE '%q%'`` uses as written; on SQLite the
    FTS5 table's candidates, checked with the ``LIKE``), the e-mail prefix the
    applicants' B-tree, the reference its unique index. What matches is exactly what
    ``name`` or ``agency_name`` ``ILIKE '%q%'`` matched (intake.waitlist.search)."""
    reference = normalise_reference(q)
    if reference is not None and reference[1]:
        return Application.reference == reference[0]
    prefix = q.lower()
    # The range lets an index serve the prefix on both databases; the LIKE keeps
    # the match what it was (keys are lower-cased addresses: nothing sorts past
    # U+10FFFF).
    email_ids = select(Applicant.id).where(
        Applicant.email_key >= prefix,
        Applicant.email_key < prefix + "\U0010ffff",
        Applicant.email_key.startswith(prefix, autoescape=True),
    )
    if "@" in q:
        return Application.applicant_id.in_(email_ids)
    # ILIKE is lower() of both sides (PostgreSQL's own; SQLAlchemy's on SQLite), and
    # search_text is stored lower-cased: the database lowers the pattern the same way.
    escaped = q.replace("/", "//").replace("%", "/%").replace("_", "/_")
    names = and_(
        # SQLite: only the FTS5 table's candidates are checked (intake.waitlist.search).
        search.Candidates(Application.applicant_id, q),
        Application.search_text.like(func.lower(literal(f"%{escaped}%")), escape="/"),
    )
    conditions: list[ColumnElement[bool]] = [
        names,
        search.AnyOf(Application.applicant_id, email_ids),
    ]
    if reference is not None:
        conditions.append(Application.reference == reference[0])
    return or_(*conditions)


# A language or slot with a bit of ``applications.match_mask`` (intake.manage.queue_bits)
# is a test of a column of the queue index, which a count reads alone: joining the
# rows of ``applicant_languages`` and ``applicant_availability`` made a cohort's
# count 40 ms at 100,000. Any other is looked up in those rows: IN (a list of ids
# from the code's index) rather than a correlated EXISTS, which SQLite ran once per
# waiting row (0.65 s at 100,000).
def _speaks(code: str):
    bit = queue_bits.LANGUAGE_BITS.get(code)
    if bit is not None:
        return queue_bits.has_bits(Application.match_mask, bit)
    return Application.applicant_id.in_(
        select(ApplicantLanguage.applicant_id).where(ApplicantLanguage.code == code)
    )


def _available(slot: str):
    bit = queue_bits.SLOT_BITS.get(slot)
    if bit is not None:
        return queue_bits.has_bits(Application.match_mask, bit)
    return Application.applicant_id.in_(
        select(ApplicantAvailability.applicant_id).where(ApplicantAvailability.slot == slot)
    )


def _filtered(
    stmt: Select, filters: Filters, cohort: Cohort | None, scope: Scope, *, joined=False
) -> Select:
    """``stmt`` (selecting from Application) narrowed to the reader's programs
    (``scope``) and by ``filters``, with the joins its filters and sort need (all of
    them when ``joined``: the rows query shows them). Left out otherwise, so a count
    or a page of ids reads as little as it can."""
    stmt = scope.applications(stmt)
    if joined or filters.sort == "program":
        stmt = stmt.join(Application.program)
    if joined:
        stmt = stmt.join(Application.applicant).outerjoin(
            AgencyDetails, AgencyDetails.applicant_id == Applicant.id
        )
    if filters.status == WAITING:
        stmt = stmt.where(Application.status.in_(WAITING_STATUSES))
    elif filters.status != ALL:
        stmt = stmt.where(Application.status == filters.status)
    if filters.program_id is not None:
        stmt = stmt.where(Application.program_id == filters.program_id)
    if filters.language is not None:
        stmt = stmt.where(_speaks(filters.language))
    if filters.kind is not None:
        # The agency bit of the queue row (queue_bits.AGENCY_BIT), not a join of the
        # applicants: kind is "agency" or "individual" (parse_filters).
        agency = queue_bits.has_bits(Application.match_mask, queue_bits.AGENCY_BIT)
        stmt = stmt.where(agency if filters.kind == "agency" else ~agency)
    if cohort is not None:
        stmt = stmt.where(Application.program_id == cohort.program_id, _speaks(cohort.language))
        if cohort.time_slot:
            stmt = stmt.where(_available(cohort.time_slot))
    if filters.q:
        stmt = stmt.where(_search_condition(filters.q))
    return stmt


def waiting_since():
    """When the wait started: joining the waitlist, or applying while not yet on it."""
    return func.coalesce(Application.joined_at, Application.created_at)


# The fair order: priority, then who joined first (people not yet on the list last).
_QUEUE = [
    Application.priority.desc(),
    Application.joined_at.is_(None),
    Application.joined_at.asc(),
    Application.id.asc(),
]


def _order(filters: Filters) -> list:
    ascending = filters.direction == "asc"

    def direct(column):
        return column.asc() if ascending else column.desc()

    if filters.sort == "queue":
        # Reversed as a whole when descending, people not yet on the list included.
        # "joined_at IS NULL" is NULLS LAST in a form both databases index
        # (ix_applications_queue_order, intake.waitlist.search).
        if ascending:
            return _QUEUE
        return [
            Application.priority.asc(),
            Application.joined_at.is_(None).desc(),
            Application.joined_at.desc(),
            Application.id.desc(),
        ]
    if filters.sort == "joined":
        # People not yet on the list last, and first when reversed, as the queue
        # (ix_applications_joined_order reads it either way).
        joined = [Application.joined_at.is_(None), Application.joined_at, Application.id]
        return [column.asc() if ascending else column.desc() for column in joined]
    if filters.sort == "waiting":
        # Fewer days waiting is a later start; the id breaks a tie the same way, so
        # ix_applications_waiting_order reads it either way.
        start = waiting_since()
        if ascending:
            return [start.desc(), Application.id.desc()]
        return [start.asc(), Application.id.asc()]
    if filters.sort == "name":
        # lower(coalesce(agency name, name)), kept by the database (intake.waitlist.search).
        return [direct(Application.sort_name), direct(Application.id)]
    if filters.sort == "program":
        return [
            direct(Program.position),
            direct(Program.name),
            *_QUEUE,
        ]
    status_order = case(_STATUS_ORDER, value=Application.status, else_=len(_STATUS_ORDER))
    return [
        direct(status_order),
        *_QUEUE,
    ]


def ordered(
    stmt: Select, filters: Filters, cohort: Cohort | None = None, *, scope: Scope
) -> Select:
    """``stmt`` (selecting from Application, with any columns) limited to ``scope``,
    filtered, joined to the applicant, agency and program, and in the chosen order:
    the export's rows."""
    return _filtered(stmt, filters, cohort, scope, joined=True).order_by(*_order(filters))


def aggregated_codes(column):
    """A person's values in a per-applicant table (languages, days/times) as one
    comma-separated text: string_agg on PostgreSQL, group_concat on SQLite."""
    table = column.class_
    return (
        select(func.aggregate_strings(column, ","))
        .where(table.applicant_id == Application.applicant_id)
        .scalar_subquery()
    )


def split_codes(codes: str | None) -> list[str]:
    """The values of ``aggregated_codes`` in order (an aggregate's order is not
    guaranteed; the person's page lists them sorted too)."""
    return sorted(codes.split(",")) if codes else []


def codes_labeller(labels: Mapping[str, str], separator: str) -> Callable[[str | None], str]:
    """The text for a row's ``aggregated_codes``: their labels in order, joined by
    ``separator``; worked out once per distinct list (a page or a file repeats a few
    dozen lists). One labeller per page or file, so labels follow its language."""

    @cache
    def text(codes: str | None) -> str:
        return separator.join(labels.get(code, code) for code in split_codes(codes))

    return text


# What the table shows of each row, named one by one: plain rows, not ORM objects,
# which cost more to build (and decode every JSON column) than the page to render.
# Nothing sensitive (SelfIdentification) is read.
_ROW_COLUMNS = (
    Application.id,
    Application.applicant_id,
    Application.reference,
    Application.status,
    Application.priority,
    Application.seats_requested,
    Application.joined_at,
    Application.created_at,
    Application.duplicate_of_id,
    Application.duplicate_resolution,
    Applicant.name,
    AgencyDetails.agency_name,
    Program.name.label("program_name"),
)


def count(filters: Filters, cohort: Cohort | None = None, *, scope: Scope) -> int:
    stmt = select(func.count()).select_from(Application)
    return db.session.scalar(_filtered(stmt, filters.in_queue_order(), cohort, scope)) or 0


def find_page(
    filters: Filters, cohort: Cohort | None = None, size: int = PAGE_SIZE, *, scope: Scope
) -> Page:
    """One page of the list, of the programs ``scope`` sees: a count, then the page
    of rows (clamped to the last page, with a note, when the page asked for is
    beyond it)."""
    if filters.q and db.session.get_bind().dialect.name == "sqlite":
        page = _searched_page(filters, cohort, size, scope=scope)
        if page is not None:
            return page
    groups = _groups(filters, cohort, scope) if filters.sort in ("program", "status") else None
    total = sum(n for _, n in groups) if groups is not None else count(filters, cohort, scope=scope)
    page = Page(rows=[], total=total, number=min(filters.page, last_page(total, size)), size=size)
    if filters.page > page.number:
        page.notes.append(f"There is no page {filters.page}; showing page {page.number}, the last.")
    if total:
        offset = (page.number - 1) * size
        read_first = bool(filters.q) and _reads_matches_first(total, offset, size)
        if groups is not None and not read_first:
            ids = _grouped_ids(groups, filters, cohort, scope, offset, size)
        else:
            # The page's ids first, sorted on narrow rows with only the joins the
            # filters and sort need; then those fifty rows in full. Sorting the full
            # rows of a long list would spill to disk.
            ids = (
                _page_ids(filters, cohort, scope, read_first=read_first)
                .order_by(*_order(filters))
                .limit(size)
                .offset(offset)
                .scalar_subquery()
            )
        page.rows = _rows(filters, ids, scope)
    return page


# A search's page on PostgreSQL, a statement of its own, may walk the sort's index
# until a page of rows match; for a broad search (thousands match) that is the fastest
# way (2 ms for "chen" at 100,000). But PostgreSQL guesses how many match from a
# sample of names, and a full name that happens to be in the sample is guessed at 1%
# of the table: it then walked the whole index for 35 matches (157 ms). The count is
# known by then, so a search with few matches (or a page deep into them) reads its
# matching ids first and sorts those (1-4 ms): ``id = ANY(ARRAY(...))`` has no sample
# to misread. A walk past this many matches costs more than sorting them.
FEW_MATCHES = 1000


def _reads_matches_first(total: int, offset: int, size: int) -> bool:
    return total <= FEW_MATCHES or offset + size > FEW_MATCHES


def _page_ids(filters: Filters, cohort: Cohort | None, scope: Scope, *, read_first: bool) -> Select:
    """The ids the page is taken from (``_filtered``), or with ``read_first`` those ids
    read before the page is sorted (see ``FEW_MATCHES``), with the program's row for
    its sort. Few matches are sorted whole, whatever the sort: the program and status
    sorts' slices by group would read them once a group."""
    if not read_first:
        return _filtered(select(Application.id), filters, cohort, scope)
    matching = _filtered(select(Application.id), filters.in_queue_order(), cohort, scope)
    stmt = select(Application.id).where(search.AnyOf(Application.id, matching))
    return stmt.join(Application.program) if filters.sort == "program" else stmt


# The sorts by program and by status put a key of a few values first, then the fair
# queue. Sorting every matching row by both took 35 ms at 100,000 (the program's
# join, then a sort of 68,000 rows). Instead, one grouped count gives each value's
# applications (and the total), and the page reads the one or two values it spans,
# each in the queue's order from its index, as the first page does.


def _groups(filters: Filters, cohort: Cohort | None, scope: Scope) -> list[tuple[Any, int]]:
    """The applications that sort together under the program or status sort, in the
    page's order: (condition, count) for each, from one grouped count."""
    unsorted = filters.in_queue_order()
    members: dict[Any, list] = {}
    counts: dict[Any, int] = {}

    def add(key, value, n: int) -> None:
        members.setdefault(key, []).append(value)
        counts[key] = counts.get(key, 0) + n

    column: Any
    if filters.sort == "program":
        # Counted by program id alone (an index-only scan), then joined to the few
        # programs; the database orders their names, by its collation, as the sort
        # does. Programs sharing a position and a name sort as one (queues interleave).
        counted = _filtered(
            select(Application.program_id, func.count().label("n")).group_by(
                Application.program_id
            ),
            unsorted,
            cohort,
            scope,
        ).subquery()
        by_program = (
            select(counted.c.program_id, Program.position, Program.name, counted.c.n)
            .join(Program, Program.id == counted.c.program_id)
            .order_by(Program.position, Program.name)
        )
        for program_id, position, name, n in db.session.execute(by_program):
            add((position, name), program_id, n)
        column, order = Application.program_id, list(members)
    else:
        by_status = _filtered(
            select(Application.status, func.count()).group_by(Application.status),
            unsorted,
            cohort,
            scope,
        )
        for status, n in db.session.execute(by_status):
            add(_STATUS_ORDER.get(status, len(_STATUS_ORDER)), status, n)
        column, order = Application.status, sorted(members)
    if filters.direction == "desc":
        order.reverse()
    return [(column.in_(members[key]), counts[key]) for key in order]


def _grouped_ids(
    groups: list[tuple[Any, int]],
    filters: Filters,
    cohort: Cohort | None,
    scope: Scope,
    offset: int,
    size: int,
):
    """The ids of the page ``offset``..``offset + size`` of ``groups``: the slice of
    each group it spans, in the queue's order (ascending whatever the direction, as
    ``_order`` sorts them), one statement."""
    queue = filters.in_queue_order()
    slices = []
    for condition, n in groups:
        if offset >= n:
            offset -= n
            continue
        take = min(size, n - offset)
        part = (
            _filtered(select(Application.id), queue, cohort, scope)
            .where(condition)
            .order_by(*_order(queue))
            .limit(take)
            .offset(offset)
            .subquery()
        )
        slices.append(select(part.c.id))
        size, offset = size - take, 0
        if not size:
            break
    return union_all(*slices) if len(slices) > 1 else slices[0]


def _searched_page(
    filters: Filters, cohort: Cohort | None, size: int, *, scope: Scope
) -> Page | None:
    """SQLite: a search's page with its count from ONE reading of the matches (the
    FTS5 candidates, each application looked up and checked), which two statements
    would read twice: 36 ms for "chen" at 100,000, against 29 + 28.

    PostgreSQL takes the usual path, a count and then a page. Its count reads the
    matches from a bitmap of the indexes (10 ms for "chen"), and the page, being a
    statement of its own, may walk the queue's index and stop at fifty (2 ms; for
    few matches see ``FEW_MATCHES``). With ``count(*) OVER ()`` in one statement it
    still walked that index, as if the count could stop at fifty too: 136-186 ms.
    None when the page asked for is past the last (the usual path clamps it)."""
    ids = (
        _filtered(select(Application.id, func.count().over()), filters, cohort, scope)
        .order_by(*_order(filters))
        .limit(size)
        .offset((filters.page - 1) * size)
    )
    found = db.session.execute(ids).all()
    if not found:
        if filters.page > 1:
            return None
        return Page(rows=[], total=0, number=1, size=size)
    page = Page(rows=[], total=found[0][1], number=filters.page, size=size)
    page.rows = _rows(filters, [row[0] for row in found], scope)
    return page


def _rows(filters: Filters, ids, scope: Scope) -> list[Row]:
    """The rows with these ids (a list or a subquery), in the list's order: what the
    table shows of each (one statement)."""
    unfiltered = Filters(status=ALL, sort=filters.sort, direction=filters.direction)
    columns = select(
        *_ROW_COLUMNS,
        aggregated_codes(ApplicantLanguage.code).label("language_codes"),
        aggregated_codes(ApplicantAvailability.slot).label("slots"),
    ).select_from(Application)
    stmt = ordered(columns, unfiltered, scope=scope).where(Application.id.in_(ids))
    return list(db.session.execute(stmt))


def filter_options(scope: Scope) -> tuple[list[Program], list[Cohort]]:
    """The programs and cohorts to choose from, those ``scope`` sees (two queries)."""
    programs = list(
        db.session.scalars(
            select(Program).where(scope.programs(Program.id)).order_by(Program.position, Program.id)
        )
    )
    cohorts = list(
        db.session.scalars(
            scope.cohorts(select(Cohort)).order_by(
                Cohort.program_id, Cohort.start_date, Cohort.name
            )
        )
    )
    return programs, cohorts


# Per row --------------------------------------------------------------------------


def days_waiting(application: Application | Row, now: datetime) -> int:
    start = application.joined_at or application.created_at
    return max(0, (now - start).days)


def is_flagged_duplicate(application: Application | Row) -> bool:
    """Flagged as a possible duplicate and not yet resolved by a coordinator."""
    return application.duplicate_of_id is not None and application.duplicate_resolution is None
