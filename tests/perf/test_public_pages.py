"""What the public pages cost per request, pinned: SQL statements per page, the copy of
the open programs each worker keeps (intake.programs.listing) and its invalidation, and
translations found once per locale (intake.i18n.translations)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from intake import create_app
from intake.cycles.current import availability_of
from intake.extensions import db
from intake.i18n import gettext, translations
from intake.manage.tokens import mint_manage_token
from intake.models import ApplicationWindow, Program
from intake.programs import listing
from tests import factories
from tests.admin.test_programs import edit_data
from tests.helpers import complete_screener, send_form


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(app):
    """The listing's clock, moved by the test (the copy's age, not the app's CLOCK)."""
    clock = FakeClock()
    listing.of(app).clock = clock
    return clock


@pytest.fixture
def statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def count(client, statements, url) -> int:
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


# The statements each public page runs once the worker's copy of the programs is warm.
# The copy itself costs two (programs, their windows) once per PROGRAM_CACHE_SECONDS.
# Before: home 3, program 3, screener 3 (4 with a saved screener), application form 4.
WARM = {
    "/": 0,
    "/programs/introductory": 0,
    "/screener": 0,
    "/screener/agency": 0,
    "/screener?program=introductory": 0,
}


def test_public_pages_read_no_program_rows_once_the_copy_is_warm(client, statements, ticks):
    assert count(client, statements, "/") == 2  # the copy is made: programs, windows
    for url, expected in WARM.items():
        assert count(client, statements, url) == expected, url


def test_the_application_form_reads_only_the_saved_screener(client, statements, ticks, ctx):
    complete_screener(client)
    assert count(client, statements, "/apply") == 1  # the screener's draft


def test_the_manage_page_costs_the_applicants_own_rows_only(client, statements, ctx, clock):
    waiting = factories.add_application(clock(), 1)
    offered = factories.add_application(clock(), 2, status="offered")
    tokens = {
        "waiting": mint_manage_token(waiting.applicant_id, clock()),
        "offered": mint_manage_token(offered.applicant_id, clock()),
    }
    db.session.commit()

    def reads(table: str) -> bool:
        return any(s.lstrip().startswith(f"SELECT {table}.id") for s in statements)

    # The applicant (with their languages and days), their applications, and then for
    # someone waiting the groups that fit (no offers: nothing waiting shows one) ...
    assert count(client, statements, f"/manage/{tokens['waiting']}") == 3
    assert reads("cohorts")
    assert not reads("offers")
    # ... and their places in line, one statement more, once a group fits them ...
    factories.add_cohort(clock(), name="Evening English")
    assert count(client, statements, f"/manage/{tokens['waiting']}") == 4
    assert any("sum(CASE" in s for s in statements)
    assert not reads("offers")
    # ... and for someone offered a seat, their offers (no groups: no place in line).
    assert count(client, statements, f"/manage/{tokens['offered']}") == 3
    assert reads("offers")
    assert not reads("cohorts")


def test_windows_come_from_the_copy_too(client, statements, ticks, ctx, clock):
    _spring_window(clock)
    assert "Spring intake" in client.get("/").get_data(as_text=True)
    assert count(client, statements, "/programs/introductory") == 0
    assert "Spring intake" in client.get("/programs/introductory").get_data(as_text=True)


def _spring_window(clock):
    now = clock()
    return factories.add_window(
        "introductory", now - timedelta(days=1), now + timedelta(days=30), name="Spring intake"
    )


# Invalidation -------------------------------------------------------------------------


def test_an_admins_edit_shows_at_once_on_the_worker_that_saved_it(client, admin_client, ctx, ticks):
    assert client.get("/").status_code == 200  # the copy is warm
    row = factories.program("introductory")
    data = edit_data("introductory", name="Renamed by an admin")
    assert send_form(admin_client, f"/coord/admin/programs/{row.id}/edit", data).status_code == 303
    # No time passed: the save itself cleared this worker's copy.
    assert "Renamed by an admin" in client.get("/").get_data(as_text=True)


def test_another_worker_shows_an_edit_within_program_cache_seconds(app, client, ctx, ticks):
    """Two apps on one database stand for two gunicorn workers."""
    other = create_app({**app.config})
    other.test_client_class = type(client)
    other_client = other.test_client()
    other_ticks = FakeClock()
    listing.of(other).clock = other_ticks
    try:
        assert "Renamed elsewhere" not in other_client.get("/").get_data(as_text=True)
        row = factories.program("introductory")
        row.name = "Renamed elsewhere"
        db.session.commit()  # in this worker
        assert "Renamed elsewhere" in client.get("/").get_data(as_text=True)

        seconds = app.config["PROGRAM_CACHE_SECONDS"]
        other_ticks.now += seconds - 0.01
        assert "Renamed elsewhere" not in other_client.get("/").get_data(as_text=True)
        other_ticks.now += 0.01
        assert "Renamed elsewhere" in other_client.get("/").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_window_changed_by_a_bulk_update_clears_the_copy(client, ctx, ticks, clock):
    from sqlalchemy import update

    from intake.models import ApplicationWindow

    window = _spring_window(clock)
    assert "Spring intake" in client.get("/").get_data(as_text=True)
    db.session.execute(
        update(ApplicationWindow).where(ApplicationWindow.id == window.id).values(name="Autumn")
    )
    db.session.commit()
    assert "Autumn" in client.get("/").get_data(as_text=True)


def test_posts_and_coordinator_pages_read_the_database(app, client, ctx, statements, ticks):
    client.get("/")  # the copy is warm
    with app.test_request_context("/screener", method="POST"):
        assert not listing.in_use()
    with app.test_request_context("/coord/admin/programs"):
        assert not listing.in_use()
    with app.test_request_context("/screener"):
        assert listing.in_use()


def test_the_program_page_merges_its_own_program_and_windows_only(
    app, client, ctx, ticks, clock, monkeypatch
):
    _spring_window(clock)
    factories.add_window(
        "reflective-practice-group",
        clock() - timedelta(days=1),
        clock() + timedelta(days=9),
        name="Autumn intake",
    )
    held: dict[str, list] = {}

    @app.teardown_request
    def look(_exc):
        objects = list(db.session.identity_map.values())
        held["programs"] = [o.slug for o in objects if isinstance(o, Program)]
        held["windows"] = [o.name for o in objects if isinstance(o, ApplicationWindow)]

    merged: list[tuple[str, int]] = []
    real_merge = Session.merge

    def counting_merge(session, instance, *args, **kwargs):
        merged.append((type(instance).__name__, instance.id))
        return real_merge(session, instance, *args, **kwargs)

    client.get("/")  # the copy is warm
    monkeypatch.setattr(Session, "merge", counting_merge)
    page = client.get("/programs/introductory").get_data(as_text=True)
    assert "Spring intake" in page
    assert held == {"programs": ["introductory"], "windows": ["Spring intake"]}
    assert sorted(kind for kind, _ in merged) == ["ApplicationWindow", "Program"]

    # Home draws its programs anew (the fragments kept from its first visit, above,
    # are let go): every program and window merged, each once ...
    listing.of(app).current().fragments.clear()
    merged.clear()
    client.get("/")
    assert sorted(held["programs"]) == sorted(p.slug for p in listing.of(app).current().programs)
    assert sorted(held["windows"]) == ["Autumn intake", "Spring intake"]
    assert len(merged) == len(set(merged)) == 6  # four programs, two windows, each once
    # ... and shows them as drawn after that: nothing merged at all.
    merged.clear()
    assert "Autumn intake" in client.get("/").get_data(as_text=True)
    assert held == {"programs": [], "windows": []}
    assert merged == []


def test_a_screener_not_yet_answered_merges_no_program(app, client, ticks, monkeypatch):
    """Its questions need the programs' rules only, read from the copy; once answered,
    the programs are screened, each merged once."""
    client.get("/screener")  # the copy is warm
    merged: list[str] = []
    real_merge = Session.merge

    def counting_merge(session, instance, *args, **kwargs):
        merged.append(type(instance).__name__)
        return real_merge(session, instance, *args, **kwargs)

    monkeypatch.setattr(Session, "merge", counting_merge)
    for url in ("/screener", "/screener/agency"):
        assert "is-invalid" not in client.get(url).get_data(as_text=True)
    assert 'name="works_in_illinois"' in client.get("/screener").get_data(as_text=True)
    # Asked about one program (from its page): only checked against the copy.
    page = client.get("/screener?program=introductory").get_data(as_text=True)
    assert 'action="/screener?program=introductory"' in page
    agency = client.get("/screener/agency?program=king-county-consultation")
    assert agency.status_code == 200
    assert client.get("/screener?program=no-such-program").status_code == 404
    assert merged == []

    complete_screener(client)  # a POST: the database, not the copy
    merged.clear()
    assert "You can apply." in client.get("/screener").get_data(as_text=True)
    assert merged.count("Program") == len(listing.of(app).current().programs)


def test_every_lookup_in_a_request_gives_the_same_instance_merged_once(
    app, client, ctx, ticks, monkeypatch
):
    client.get("/")  # the copy is warm
    merged: list[int] = []
    real_merge = Session.merge

    def counting_merge(session, instance, *args, **kwargs):
        merged.append(instance.id)
        return real_merge(session, instance, *args, **kwargs)

    monkeypatch.setattr(Session, "merge", counting_merge)
    with app.test_request_context("/programs/introductory"):
        program = listing.open_program("introductory")
        assert availability_of(program).taking
        everything = listing.open_programs()
        assert len(everything) == 4
        assert next(p for p in everything if p.slug == "introductory") is program
        assert listing.open_program("introductory") is program
        assert listing.open_program("no-such-program") is None
        windows = listing.windows_of([program.id])
        assert windows is not None
        assert listing.windows_of([program.id])[program.id] is windows[program.id]
        assert len(merged) == len(set(merged)) == 4  # each program once (no windows here)


def test_a_program_closed_in_another_worker_is_refused_on_post_at_once(app, client, ctx, ticks):
    """The copy may list a closed program for a few seconds; a form sent for it is still
    refused, since every POST reads the database."""
    client.get("/")
    listing.of(app).clear = lambda: None  # as if the change came from another worker
    row = factories.program("introductory")
    row.is_open = False
    db.session.commit()
    assert client.get("/screener?program=introductory").status_code == 200  # stale, allowed
    response = client.post("/screener?program=introductory", data={})
    assert response.status_code == 404


def test_zero_seconds_turns_the_copy_off(app, client, statements):
    listing.of(app).seconds = 0
    assert count(client, statements, "/") == 3
    assert count(client, statements, "/") == 3


# Languages ----------------------------------------------------------------------------


def test_each_language_shows_with_the_cached_programs(client, ticks):
    en = client.get("/?lang=en").get_data(as_text=True)
    es = client.get("/?lang=es").get_data(as_text=True)
    zh = client.get("/?lang=zh").get_data(as_text=True)
    back = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en
    assert "Join a reflective practice group" in en
    assert 'lang="es"' in es
    assert "Únase a un grupo de práctica reflexiva" in es
    assert 'lang="zh-Hans"' in zh
    assert "加入反思性实践小组" in zh
    assert "Join a reflective practice group" in back
    assert "Join a reflective practice group" not in es + zh


def test_translations_follow_force_locale_inside_a_request(app):
    with app.test_request_context("/?lang=es"):
        assert gettext("The programs") == "Los programas"
        with force_locale("zh"):
            assert gettext("The programs") == "各个项目"
        assert gettext("The programs") == "Los programas"
        assert translations() is translations()
