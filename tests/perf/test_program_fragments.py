"""Markup drawn once per copy of the program listing (``program_fragment`` in
intake.cycles.views, ``kept_fragment`` in intake.programs.listing): home and the program
page show the programs as drawn for the first visitor, until the copy goes, the
language differs or a program's cycle changes state. What each visitor sees of their
own (a form's token) is never kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from intake.cycles.current import request_now
from intake.extensions import db
from intake.programs import listing
from intake.screener.forms import Screener
from tests import factories
from tests.helpers import SCREENER_ANSWERS, complete_screener, csrf_token
from tests.perf.test_public_pages import FakeClock


@pytest.fixture
def ticks(app):
    clock = FakeClock()
    listing.of(app).clock = clock
    return clock


def kept(app) -> dict:
    return listing.of(app).current().fragments


def main_of(page: str) -> str:
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_home_is_drawn_once_and_shown_the_same(app, client, ticks, monkeypatch):
    first = client.get("/").get_data(as_text=True)
    assert len(kept(app)) == 1
    drawn = []
    monkeypatch.setattr(
        listing, "_RequestCopy", _counting(listing._RequestCopy, drawn), raising=True
    )
    second = client.get("/").get_data(as_text=True)
    assert second == first
    assert "Introductory reflective practice" in second
    assert drawn == []  # no program taken from the copy: the markup was kept
    assert len(kept(app)) == 1


def _counting(cls, drawn):
    class Counting(cls):
        def program(self, cached):
            drawn.append(cached.slug)
            return super().program(cached)

    return Counting


def test_each_language_has_its_own(app, client, ticks):
    english = client.get("/?lang=en").get_data(as_text=True)
    spanish = client.get("/?lang=es").get_data(as_text=True)
    chinese = client.get("/?lang=zh").get_data(as_text=True)
    assert "The programs" in main_of(english)
    assert "Los programas" in main_of(spanish)
    assert "The programs" not in main_of(spanish)
    assert "The programs" not in main_of(chinese)
    assert "Los programas" not in main_of(chinese)
    # And back: the English kept first is still English.
    assert main_of(client.get("/?lang=en").get_data(as_text=True)) == main_of(english)
    assert len(kept(app)) == 3


def test_a_window_that_opens_on_time_shows_at_once(app, client, ctx, ticks, clock):
    opens = clock() + timedelta(minutes=5)
    factories.add_window("introductory", opens, opens + timedelta(days=30), name="Spring intake")
    listing.of(app).clear()
    before = client.get("/").get_data(as_text=True)
    assert "Applications open" in before
    assert "Apply by" not in before
    page_before = client.get("/programs/introductory").get_data(as_text=True)
    assert 'id="opening-notice"' in page_before

    clock.advance(minutes=5)  # the request's moment; the copy's age (ticks) stays
    after = client.get("/").get_data(as_text=True)
    assert "Apply by" in after
    page_after = client.get("/programs/introductory").get_data(as_text=True)
    assert "Apply by" in page_after
    assert 'id="opening-notice"' not in page_after
    assert "Check if you can join" in page_after


def test_the_next_window_shows_when_one_closes_into_it(app, client, ctx, ticks, clock):
    """Open before and open after: only the window tells the two pages apart."""
    turn = clock() + timedelta(days=1)
    factories.add_window("introductory", clock() - timedelta(days=1), turn, name="Winter intake")
    factories.add_window("introductory", turn, turn + timedelta(days=30), name="Spring intake")
    listing.of(app).clear()
    for url in ("/", "/programs/introductory"):
        page = client.get(url).get_data(as_text=True)
        assert "Winter intake" in page
        assert "Spring intake" not in page
    clock.advance(days=1)
    for url in ("/", "/programs/introductory"):
        page = client.get(url).get_data(as_text=True)
        assert "Spring intake" in page
        assert "Winter intake" not in page


def test_a_program_page_keeps_no_visitors_token(app, ctx, client, clock, ticks):
    opens = clock() + timedelta(days=5)
    factories.add_window("introductory", opens, opens + timedelta(days=30))
    listing.of(app).clear()
    other = app.test_client()
    tokens = []
    for visitor in (client, other, client):
        page = visitor.get("/programs/introductory").get_data(as_text=True)
        assert "E-mail me when it opens" in page
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1])
    assert tokens[0] != tokens[1]  # each visitor's own, though the page around is kept
    assert not any("csrf" in markup for markup in kept(app).values())


def test_each_prefix_has_its_own_links(app, ticks):
    client = app.test_client()
    client.get("/")
    # Served under a prefix (the proxy's SCRIPT_NAME), the same page links under it.
    page = client.get("/", base_url="http://localhost/intake").get_data(as_text=True)
    assert 'href="/intake/screener"' in main_of(page)
    assert 'href="/screener"' in main_of(client.get("/").get_data(as_text=True))


def test_an_edit_goes_with_the_copy(app, client, ctx, ticks):
    client.get("/programs/introductory")
    row = factories.program("introductory")
    row.name = "Renamed at once"
    db.session.commit()  # this worker's save clears its copy, and with it the markup
    assert "Renamed at once" in client.get("/programs/introductory").get_data(as_text=True)


def draws_of_two(app, program_ids) -> int:
    """How many times two asks for the same key drew the markup, in a home request."""
    drawn = []

    def draw():
        drawn.append(1)
        return "markup"

    with app.test_request_context("/"):
        for _ in range(2):
            assert listing.kept_fragment(("x",), program_ids, request_now(), draw) == "markup"
    return len(drawn)


def test_drawn_every_time_without_a_copy(app, client, ticks):
    listing.of(app).seconds = 0
    with app.test_request_context("/"):
        assert not listing.in_use()
    assert draws_of_two(app, None) == 2


def test_a_program_not_in_the_copy_is_drawn_every_time(app, client, ticks):
    client.get("/")
    assert draws_of_two(app, [10**9]) == 2
    assert draws_of_two(app, None) == 1  # and every program listed: kept


def test_the_kept_markup_is_bounded(app, client, ticks, monkeypatch):
    monkeypatch.setattr(listing, "MAX_FRAGMENTS", 3)
    client.get("/")
    with app.test_request_context("/"):
        for number in range(10):
            drawn = listing.kept_fragment((number,), None, request_now(), lambda n=number: str(n))
            assert drawn == str(number)
    assert len(kept(app)) == 3


# The screener: its questions, unanswered, and its empty results ----------------------


def test_each_screener_keeps_its_own_questions(app, client, ticks):
    for _ in range(2):
        individual = client.get("/screener").get_data(as_text=True)
        agency = client.get("/screener/agency").get_data(as_text=True)
        assert 'name="works_with_young_children"' in individual
        assert 'name="is_leader"' not in individual
        assert 'name="is_leader"' in agency
        assert 'name="works_with_young_children"' not in agency
    assert len(kept(app)) == 4  # each screener's top (its count of questions) and questions


def test_answers_are_never_kept_or_shown_to_another(app, client, ticks):
    fresh = client.get("/screener").get_data(as_text=True)
    assert "Answer the questions and your results appear here." in fresh
    complete_screener(client, role_other="Puppet theatre for toddlers", roles=["other"])
    answered = client.get("/screener").get_data(as_text=True)
    assert "Puppet theatre for toddlers" in answered
    assert 'value="yes" checked' in answered
    assert "Answer the questions and your results appear here." not in answered
    stranger = app.test_client().get("/screener").get_data(as_text=True)
    assert main_of(stranger).replace(csrf_token(stranger), "") == main_of(fresh).replace(
        csrf_token(fresh), ""
    )
    assert not any("Puppet theatre" in markup for markup in kept(app).values())
    assert not any("csrf" in markup for markup in kept(app).values())


def test_the_program_asked_for_is_the_visitors_own(app, client, ticks):
    client.get("/screener")
    page = client.get("/screener?program=introductory").get_data(as_text=True)
    assert 'action="/screener?program=introductory"' in page
    assert 'action="/screener"' in client.get("/screener").get_data(as_text=True)


def test_the_illinois_question_goes_with_the_program(app, client, ctx, ticks):
    page = client.get("/screener").get_data(as_text=True)
    assert 'name="works_in_illinois"' in page
    assert "4 short questions" in page
    factories.program("reflective-practice-group").is_open = False
    db.session.commit()  # the copy goes, and the questions drawn from it
    page = client.get("/screener").get_data(as_text=True)
    assert 'name="works_in_illinois"' not in page
    assert "3 short questions" in page  # the count at the top goes with the question


def test_an_unanswered_screener_builds_no_form_once_kept(app, client, ticks, monkeypatch):
    built = []
    real = Screener.form

    def counting(screener, rule_keys, **kwargs):
        built.append(screener.kind)
        return real(screener, rule_keys, **kwargs)

    monkeypatch.setattr(Screener, "form", counting)
    client.get("/screener")
    client.get("/screener/agency")
    assert built == ["individual", "agency"]  # drawn once each
    built.clear()
    page = client.get("/screener").get_data(as_text=True)
    agency = client.get("/screener/agency").get_data(as_text=True)
    asked_for = client.get("/screener?program=introductory").get_data(as_text=True)
    assert client.head("/screener").status_code == 200
    assert built == []  # the kept parts shown, and the session's token beside them
    assert 'name="works_with_young_children"' in page
    assert 'name="is_leader"' in agency
    assert 'action="/screener?program=introductory"' in asked_for
    token = csrf_token(page)
    # The session's one token (signed anew each request: its payload is the same).
    assert token.split(".")[0] == csrf_token(agency).split(".")[0]
    answered = client.post("/screener", data={**SCREENER_ANSWERS, "csrf_token": token})
    assert answered.status_code == 200  # the token written out is the one checked
    assert "You can apply." in answered.get_data(as_text=True)
    built.clear()
    again = client.get("/screener").get_data(as_text=True)
    assert built == ["individual"]  # answered: built, with the answers
    assert 'value="direct" checked' in again


def test_answering_after_a_kept_page_refreshes_only_the_changed_parts(app, htmx, ticks):
    page = htmx.get("/screener").get_data(as_text=True)  # kept
    assert len(kept(app)) == 2
    data = {"roles": ["other"], "csrf_token": csrf_token(page)}
    answer = htmx.post("/screener", data=data).get_data(as_text=True)
    assert "<html" not in answer
    assert 'id="followup-role-other" class="followup" hx-swap-oob="true"' in answer
    assert 'name="role_other"' in answer
    assert "<noscript>" not in answer
    assert 'id="results-announcement"' in answer


def test_a_head_request_is_answered_from_what_is_kept(app, client, ticks):
    assert client.head("/screener").status_code == 200
    assert len(kept(app)) == 2
    page = client.get("/screener").get_data(as_text=True)
    assert 'name="works_with_young_children"' in page
    assert len(kept(app)) == 2


def test_without_a_copy_the_questions_still_follow_the_programs(app, client, ctx, ticks):
    listing.of(app).seconds = 0
    assert 'name="works_in_illinois"' in client.get("/screener").get_data(as_text=True)
    factories.program("reflective-practice-group").is_open = False
    db.session.commit()
    assert 'name="works_in_illinois"' not in client.get("/screener").get_data(as_text=True)


def test_a_pages_kept_parts_work_out_the_cycles_once(app, client, ticks, monkeypatch):
    """The screener keeps two parts of the same programs: each program's cycle is
    decided once a request, not once a part."""
    client.get("/screener")  # the copy is warm, its parts drawn
    decided = []
    real = listing._cycle_key

    def counting(program, copy, now):
        decided.append(program.id)
        return real(program, copy, now)

    monkeypatch.setattr(listing, "_cycle_key", counting)
    page = client.get("/screener").get_data(as_text=True)
    assert 'name="works_with_young_children"' in page
    assert sorted(decided) == sorted(p.id for p in listing.of(app).current().programs)


def test_a_part_asked_at_another_moment_gets_that_moments_cycles(app, client, ctx, ticks, clock):
    """The cycles are remembered for the moment they were worked out at: a part asked
    at a later moment in the same request is keyed by that moment's cycles."""
    opens = clock() + timedelta(minutes=5)
    factories.add_window("introductory", opens, opens + timedelta(days=30), name="Spring intake")
    listing.of(app).clear()
    client.get("/")  # the copy is warm
    program_id = next(p.id for p in listing.of(app).current().programs if p.slug == "introductory")
    with app.test_request_context("/"):
        now = request_now()
        before = listing.kept_fragment(("moment",), [program_id], now, lambda: "before")
        later = listing.kept_fragment(
            ("moment",), [program_id], now + timedelta(minutes=5), lambda: "after"
        )
    assert (before, later) == ("before", "after")
