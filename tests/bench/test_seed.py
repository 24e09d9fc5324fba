"""The benchmark seeder (bench/seed.py) writes rows the app reads as it reads its own."""

from sqlalchemy import func, select

from bench.seed import seed
from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.models import Applicant, Application, Cohort, StatusEvent
from intake.waitlist.queries import Filters, find_page, parse_filters


def test_seeds_applications_the_waitlist_lists(ctx, clock):
    counts = seed(300, now=clock())

    assert counts["applications"] == 300
    assert db.session.scalar(select(func.count()).select_from(Applicant)) == 300
    assert db.session.scalar(select(func.count()).select_from(StatusEvent)) == 300
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 16
    statuses = dict(
        db.session.execute(
            select(Application.status, func.count()).group_by(Application.status)
        ).all()
    )
    assert statuses["waitlisted"] > 150
    assert statuses.get("offered") is None  # needs offer rows: left out on purpose
    # Nobody waiting lacks a place in the queue.
    assert not db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.status == "waitlisted", Application.joined_at.is_(None))
    )
    page = find_page(Filters(), scope=EVERYTHING)
    assert page.total == statuses["waitlisted"] + statuses["needs_review"]
    assert len(page.rows) == 50


def test_a_second_run_adds_after_the_first(ctx, clock):
    seed(20, now=clock())
    counts = seed(30, now=clock(), seed=14)

    assert counts["cohorts"] == 0  # each program already has its groups
    assert db.session.scalar(select(func.count()).select_from(Application)) == 50
    references = db.session.scalars(select(Application.reference)).all()
    assert len(set(references)) == 50


def test_every_filter_and_search_the_bench_times_finds_rows(ctx, clock):
    # bench/run.py refuses a waitlist page without rows: a filter that silently
    # matched nothing would be timed doing no work. The smallest run it makes
    # (200 rows) must already give each of them rows.
    seed(200, now=clock())
    cohort = db.session.scalars(select(Cohort).order_by(Cohort.id)).first()
    for args in (
        {"language": "es"},
        {"kind": "agency"},
        {"status": "all"},
        {"q": "chen"},
        {"q": "head start"},
        {"cohort": str(cohort.id)},
    ):
        filters, notes = parse_filters(
            args, program_ids=[cohort.program_id], cohort_ids=[cohort.id]
        )
        assert not notes, args
        chosen = cohort if "cohort" in args else None
        assert find_page(filters, chosen, scope=EVERYTHING).rows, args
