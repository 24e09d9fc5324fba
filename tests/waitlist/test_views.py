"""The waitlist table: what it shows, filters, search, sort, pages, htmx and bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete

from intake.extensions import db
from intake.manage import queue_bits
from intake.models import ApplicantAvailability, ApplicantLanguage
from intake.waitlist.queries import Filters, parse_filters
from tests.factories import add_cohort
from tests.helpers import submit_agency_application, submit_application
from tests.waitlist.conftest import names, summary, table_rows

HX = {"HX-Request": "true"}


def get(client, query="", **kwargs):
    response = client.get(f"/coord/waitlist{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


# Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/coord/waitlist?language=es", "/coord/waitlist/export.csv"])
def test_anonymous_users_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login?next=")
    assert "/coord/waitlist" in response.headers["Location"]


def test_workspace_home_leads_to_the_waitlist(coordinator_client):
    response = coordinator_client.get("/coord/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/coord/waitlist"


# What a row shows ----------------------------------------------------------------------


def test_a_row_shows_what_a_coordinator_needs_and_nothing_sensitive(
    coordinator_client, login, add, clock
):
    first = add(
        "Rosa Álvarez",
        languages=("en", "es"),
        availability=("weekday_evening", "weekend"),
        priority=2,
        bipoc="yes",
        reference="K7MX-3QRH",
    )
    add("Rosa Again", duplicate_of=first, reference="K7MX-3QRJ")
    clock.advance(days=12)
    login(coordinator_client, coordinator_client.user)  # the session idled out meanwhile

    page = get(coordinator_client)
    rows = {row["reference"]: row for row in table_rows(page)}
    assert rows["K7MX-3QRH"] == {
        "reference": "K7MX-3QRH",
        "name": "Rosa Álvarez",
        "program": "Introductory reflective practice",
        "status": "On the waitlist",
        "languages": "English, Español",
        "times": "Weekday evenings, Weekends",
        "priority": "2",
        "joined": "Mar 2, 2026",
        "waiting": "12",
        "flags": "",
        "link": "Open K7MX-3QRH",
    }
    assert rows["K7MX-3QRJ"]["flags"] == "Possible duplicate"
    assert f'href="/coord/applications/{first.id}"' in page
    # Self-identification is never in the table: no column, no answer.
    headings = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, re.S)
    assert not any("identif" in h.lower() or "bipoc" in h.lower() for h in headings)
    assert "Self-identification" not in page


def test_an_agency_is_one_row_with_its_seats(coordinator_client, client):
    response = submit_agency_application(client, seats="6")
    assert response.status_code == 303, response.get_data(as_text=True)

    rows = table_rows(get(coordinator_client))
    assert len(rows) == 1
    assert rows[0]["name"] == "Little Sprouts Family Center Led by Dana Example · 6 seats"
    assert rows[0]["program"] == "King County reflective consultation groups"
    assert rows[0]["languages"] == "中文（普通话 Mandarin）, English"


def test_an_application_sent_through_the_form_is_listed(coordinator_client, client):
    response = submit_application(client, name="Mai Nguyen", email="mai@example.org")
    assert response.status_code == 303, response.get_data(as_text=True)

    rows = table_rows(get(coordinator_client))
    assert [row["name"] for row in rows] == ["Mai Nguyen"]
    assert rows[0]["status"] == "On the waitlist"
    assert rows[0]["languages"] == "English, Español"


def test_an_empty_list_says_so(coordinator_client):
    page = get(coordinator_client)
    assert summary(page) == "No applications match"
    assert "No applications match these filters." in page
    assert "export.csv" not in page


# Filters ---------------------------------------------------------------------------


def test_status_defaults_to_the_people_waiting(coordinator_client, add):
    add("On list", status="waitlisted")
    add("In review", status="needs_review", joined_days_ago=None)
    add("Enrolled", status="enrolled")
    add("Withdrawn", status="withdrawn")

    assert sorted(names(get(coordinator_client))) == ["In review", "On list"]
    assert sorted(names(get(coordinator_client, "?status=all"))) == [
        "Enrolled",
        "In review",
        "On list",
        "Withdrawn",
    ]
    assert names(get(coordinator_client, "?status=enrolled")) == ["Enrolled"]
    assert 'value="enrolled" selected' in get(coordinator_client, "?status=enrolled")


def test_filter_by_program(coordinator_client, add, programs):
    add("Intro", program="introductory")
    add("Intensive", program="bipoc-intensive")

    page = get(coordinator_client, f"?program={programs['bipoc-intensive'].id}")
    assert names(page) == ["Intensive"]
    assert f'value="{programs["bipoc-intensive"].id}" selected' in page
    assert "<li>Program: Intensive reflective practice for BIPOC practitioners</li>" in page


def test_filter_by_language(coordinator_client, add):
    add("Speaks Spanish", languages=("en", "es"))
    add("Speaks English", languages=("en",))
    add("Signs", languages=("asl",))

    assert names(get(coordinator_client, "?language=es")) == ["Speaks Spanish"]
    assert sorted(names(get(coordinator_client, "?language=en"))) == [
        "Speaks English",
        "Speaks Spanish",
    ]


def test_filter_by_kind(coordinator_client, add):
    add("A person")
    add("Leader", agency_name="Kids Place", seats=3)

    assert names(get(coordinator_client, "?kind=individual")) == ["A person"]
    assert names(get(coordinator_client, "?kind=agency")) == ["Kids Place Led by Leader · 3 seats"]


def test_filter_by_cohort_fit(coordinator_client, clock, add):
    cohort = add_cohort(clock(), name="es weekday_evening", language="es")
    add("Fits", languages=("en", "es"), availability=("weekday_morning", "weekday_evening"))
    add("Wrong language", languages=("en",), availability=("weekday_evening",))
    add("Wrong time", languages=("es",), availability=("weekday_morning",))
    add("Wrong program", program="bipoc-intensive", languages=("es",))
    add("Not waiting", status="enrolled", languages=("es",))

    page = get(coordinator_client, f"?cohort={cohort.id}")
    assert names(page) == ["Fits"]
    assert "Fits cohort: es weekday_evening (Español, Weekday evenings)" in page

    # A cohort without a time slot matches on program and language only.
    anytime = add_cohort(clock(), name="es any time", language="es", time_slot=None)
    assert sorted(names(get(coordinator_client, f"?cohort={anytime.id}"))) == [
        "Fits",
        "Wrong time",
    ]


def test_language_and_cohort_filters_follow_a_changed_answer(coordinator_client, clock, add):
    """The filters test the bits the database keeps (applications.match_mask): a
    person's languages and times changed after they applied are what count."""
    cohort = add_cohort(clock(), name="es weekday_evening", language="es")
    changed = add("Changed", languages=("en",), availability=("weekday_morning",))
    assert names(get(coordinator_client, "?language=es")) == []
    assert names(get(coordinator_client, f"?cohort={cohort.id}")) == []

    applicant_id = changed.applicant_id
    db.session.add(ApplicantLanguage(applicant_id=applicant_id, code="es"))
    db.session.add(ApplicantAvailability(applicant_id=applicant_id, slot="weekday_evening"))
    db.session.commit()
    assert names(get(coordinator_client, "?language=es")) == ["Changed"]
    assert names(get(coordinator_client, f"?cohort={cohort.id}")) == ["Changed"]

    db.session.execute(delete(ApplicantLanguage).where(ApplicantLanguage.code == "es"))
    db.session.commit()
    assert names(get(coordinator_client, "?language=es")) == []
    assert names(get(coordinator_client, f"?cohort={cohort.id}")) == []


def test_a_language_or_time_without_a_bit_is_looked_up_in_the_rows(
    coordinator_client, clock, add, monkeypatch
):
    """A code added to the choices before it has a bit is still filtered right."""
    cohort = add_cohort(clock(), name="es weekday_evening", language="es")
    add("Fits", languages=("en", "es"), availability=("weekday_evening",))
    add("Wrong language", languages=("en",), availability=("weekday_evening",))
    add("Wrong time", languages=("es",), availability=("weekend",))
    monkeypatch.delitem(queue_bits.LANGUAGE_BITS, "es")
    monkeypatch.delitem(queue_bits.SLOT_BITS, "weekday_evening")

    assert sorted(names(get(coordinator_client, "?language=es"))) == ["Fits", "Wrong time"]
    assert names(get(coordinator_client, f"?cohort={cohort.id}")) == ["Fits"]


def test_filters_combine(coordinator_client, add, programs):
    add("Match", languages=("es",), agency_name=None)
    add("Other program", languages=("es",), program="bipoc-intensive")
    add("Other language", languages=("en",))
    query = f"?program={programs['introductory'].id}&language=es&kind=individual"
    assert names(get(coordinator_client, query)) == ["Match"]


# Search ----------------------------------------------------------------------------


def test_search_by_exact_reference_in_any_case(coordinator_client, add):
    add("Wanted", reference="K7MX-3QRH")
    add("Similar", reference="K7MX-3QRJ")

    assert names(get(coordinator_client, "?q=k7mx-3qrh")) == ["Wanted"]
    # Typed without the hyphen, still found.
    assert names(get(coordinator_client, "?q=K7MX3QRH")) == ["Wanted"]
    # Part of a reference is not a reference.
    assert names(get(coordinator_client, "?q=K7MX-3QR")) == []


def test_search_by_email_prefix(coordinator_client, add):
    add("Rosa", email="Rosa@Example.org")
    add("Rosalind", email="rosalind@example.org")
    add("Someone", email="someone@rosa.example.org")

    assert names(get(coordinator_client, "?q=ROSA@ex")) == ["Rosa"]
    assert sorted(names(get(coordinator_client, "?q=rosa"))) == ["Rosa", "Rosalind"]


def test_search_by_name_or_agency_name(coordinator_client, add):
    add("María Álvarez")
    add("Dana Leader", agency_name="Little Sprouts Family Center", seats=4)
    add("Someone Else")

    assert names(get(coordinator_client, "?q=ALVAREZ")) == []  # no accent folding
    assert names(get(coordinator_client, "?q=varez")) == ["María Álvarez"]
    assert names(get(coordinator_client, "?q=sprouts")) == [
        "Little Sprouts Family Center Led by Dana Leader · 4 seats"
    ]
    assert names(get(coordinator_client, "?q=dana")) == [
        "Little Sprouts Family Center Led by Dana Leader · 4 seats"
    ]


def test_search_wildcards_are_taken_literally(coordinator_client, add):
    add("Ann")
    add("100% Kids", email="percent@example.org")
    assert names(get(coordinator_client, "?q=%25")) == ["100% Kids"]
    assert names(get(coordinator_client, "?q=_")) == []


# Sorting -------------------------------------------------------------------------


def test_queue_order_is_priority_then_who_joined_first(coordinator_client, add):
    add("Joined first", joined_days_ago=30)
    add("Joined later", joined_days_ago=10)
    add("Raised priority", priority=1, joined_days_ago=1)
    add("In review", status="needs_review", joined_days_ago=None)

    expected = ["Raised priority", "Joined first", "Joined later", "In review"]
    assert names(get(coordinator_client)) == expected
    assert names(get(coordinator_client, "?sort=queue&dir=desc")) == expected[::-1]


def test_other_sorts(coordinator_client, add):
    add("Bea", joined_days_ago=5, program="bipoc-intensive", status="needs_review")
    add("ada", joined_days_ago=20, program="reflective-practice-group")
    add("Cy", joined_days_ago=1, program="introductory")

    assert names(get(coordinator_client, "?sort=name")) == ["ada", "Bea", "Cy"]
    assert names(get(coordinator_client, "?sort=name&dir=desc")) == ["Cy", "Bea", "ada"]
    assert names(get(coordinator_client, "?sort=joined")) == ["ada", "Bea", "Cy"]
    # Days waiting starts with the longest wait; ascending is the shortest first.
    assert names(get(coordinator_client, "?sort=waiting")) == ["ada", "Bea", "Cy"]
    assert names(get(coordinator_client, "?sort=waiting&dir=asc")) == ["Cy", "Bea", "ada"]
    # Programs in their listed order; statuses in the order of the process.
    assert names(get(coordinator_client, "?sort=program")) == ["Cy", "Bea", "ada"]
    assert names(get(coordinator_client, "?sort=status")) == ["Bea", "ada", "Cy"]


def test_the_joined_sort_reversed_is_the_whole_list_reversed(coordinator_client, add):
    """People not yet on the list come last, and first when reversed (as the queue)."""
    add("Not yet", joined_days_ago=None, status="needs_review")
    add("Early", joined_days_ago=20)
    add("Late", joined_days_ago=2)

    assert names(get(coordinator_client, "?sort=joined")) == ["Early", "Late", "Not yet"]
    assert names(get(coordinator_client, "?sort=joined&dir=desc")) == ["Not yet", "Late", "Early"]


def test_column_headings_sort_and_flip(coordinator_client, add):
    add("Someone")
    page = get(coordinator_client, "?language=en&sort=name")
    # The active column flips its direction and keeps the filters.
    assert 'href="/coord/waitlist?language=en&amp;sort=name&amp;dir=desc"' in page
    assert 'aria-sort="ascending"' in page
    # Another column starts in its own direction, on page 1.
    assert 'href="/coord/waitlist?language=en&amp;sort=waiting"' in page


# Pages -----------------------------------------------------------------------------


def test_pages_of_fifty_in_queue_order(coordinator_client, add_many):
    add_many(120)

    first = get(coordinator_client)
    assert summary(first) == "Showing 1–50 of 120"
    assert names(first) == [f"Person {n:04d}" for n in range(1, 51)]

    second = get(coordinator_client, "?page=2")
    assert summary(second) == "Showing 51–100 of 120"
    assert names(second) == [f"Person {n:04d}" for n in range(51, 101)]
    assert 'aria-current="page">2</a>' in second
    assert 'href="/coord/waitlist" hx-get="/coord/waitlist" rel="prev"' in second
    assert 'href="/coord/waitlist?page=3" hx-get="/coord/waitlist?page=3" rel="next"' in second

    last = get(coordinator_client, "?page=3")
    assert summary(last) == "Showing 101–120 of 120"
    assert "Next page" not in last


def test_thousands_are_written_with_separators(coordinator_client, add_many):
    add_many(1001)
    page = get(coordinator_client, "?page=21")
    assert summary(page) == "Showing 1,001–1,001 of 1,001"


def test_page_links_keep_the_filters(coordinator_client, add_many):
    add_many(60, languages=("es",))
    page = get(coordinator_client, "?language=es&sort=name&dir=desc")
    assert 'href="/coord/waitlist?language=es&amp;sort=name&amp;dir=desc&amp;page=2"' in page


def test_a_page_beyond_the_end_shows_the_last(coordinator_client, add_many):
    add_many(60)
    page = get(coordinator_client, "?page=9")
    assert summary(page) == "Showing 51–60 of 60"
    assert "There is no page 9; showing page 2, the last." in page


def test_a_search_pages_and_counts_its_matches(coordinator_client, add_many):
    # A search counts its matches in the statement that reads its page.
    add_many(60)
    second = get(coordinator_client, "?q=person&page=2")
    assert summary(second) == "Showing 51–60 of 60"
    beyond = get(coordinator_client, "?q=person&page=9")
    assert summary(beyond) == "Showing 51–60 of 60"
    assert "There is no page 9; showing page 2, the last." in beyond
    nothing = get(coordinator_client, "?q=nobody-by-this-name")
    assert summary(nothing) == "No applications match"


# htmx ----------------------------------------------------------------------------


def test_htmx_gets_only_the_results_and_the_canonical_url(coordinator_client, add_many):
    add_many(60, languages=("es",))
    response = coordinator_client.get(
        "/coord/waitlist?q=&program=&language=es&kind=&cohort=&sort=queue&dir=asc&page=2",
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="waitlist-q"' not in html  # the filter form stays as the user left it
    assert html.lstrip().startswith('<div id="waitlist-results"')
    assert 'id="waitlist-sort" class="waitlist-sort" hx-swap-oob="true"' in html
    assert names(html) == [f"Person {n:04d}" for n in range(51, 61)]
    # The address bar shows what was used, without the empty fields.
    assert response.headers["HX-Push-Url"] == "/coord/waitlist?language=es&page=2"
    assert "HX-Request" in response.headers["Vary"]


def test_without_htmx_the_same_url_is_the_full_page(coordinator_client, add):
    add("Someone")
    page = get(coordinator_client, "?language=en")
    assert page.lstrip().startswith("<!doctype html>")
    assert '<form method="get" action="/coord/waitlist"' in page
    assert 'hx-get="/coord/waitlist" hx-target="#waitlist-results"' in page
    assert 'hx-push-url="true"' in page
    assert "input changed delay:300ms from:#waitlist-q" in page
    assert "hx-swap-oob" not in page
    assert names(page) == ["Someone"]


def test_a_history_restore_gets_the_full_page(coordinator_client, add):
    add("Someone")
    html = get(
        coordinator_client,
        "?page=1",
        headers={**HX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in html
    assert '<form method="get"' in html


def test_the_export_link_carries_the_filters(coordinator_client, add, programs):
    add("Someone", languages=("es",))
    program = programs["introductory"].id
    page = get(coordinator_client, f"?language=es&program={program}&sort=name&page=1")
    assert (
        f'href="/coord/waitlist/export.csv?program={program}&amp;language=es&amp;sort=name"' in page
    )


# Bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "note", "found"),
    [
        ("?program=999", "Ignored an unknown program: “999”.", 1),
        ("?program=abc", "Ignored an unknown program: “abc”.", 1),
        ("?status=bogus", "Ignored an unknown status: “bogus”.", 1),
        ("?language=xx", "Ignored an unknown language: “xx”.", 1),
        ("?kind=robot", "Ignored an unknown kind: “robot”.", 1),
        ("?cohort=42", "Ignored an unknown cohort: “42”.", 1),
        ("?sort=evil", "Ignored an unknown sort: “evil”.", 1),
        ("?dir=sideways", "Ignored an unknown dir: “sideways”.", 1),
        ("?page=abc", "Ignored a page number that is not a number: “abc”.", 1),
        ("?page=99999999999999999999999", "There is no page 99999999999999999999999", 1),
        ("?page=-3", None, 1),
        ("?q=%00Person%00", None, 1),  # PostgreSQL refuses NUL characters
        ("?q=" + "x" * 5000, None, 0),
        ("?program=1&program=999", None, 1),  # the first value counts
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_parameters_are_ignored_and_said(coordinator_client, add, query, note, found, htmx):
    add("Person 0001")
    response = coordinator_client.get(f"/coord/waitlist{query}", headers=HX if htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    if note:
        assert note in html
    assert names(html) == ["Person 0001"] * found
    # What was used is shown: here, the defaults.
    assert "<li>Status: Waiting (on the waitlist or being reviewed)</li>" in html
    assert "Sorted by: Queue order (priority, then joined), ascending" in html


def test_a_status_outside_the_defaults_is_not_silently_replaced(coordinator_client, add):
    add("Enrolled", status="enrolled")
    page = get(coordinator_client, "?status=bogus")
    assert names(page) == []
    assert "<li>Status: Waiting (on the waitlist or being reviewed)</li>" in page


# Parsing, without a request --------------------------------------------------------


def test_parse_filters_keeps_only_valid_values():
    filters, notes = parse_filters(
        {
            "program": "2",
            "status": "enrolled",
            "language": "cmn",
            "kind": "agency",
            "cohort": "7",
            "q": "  Rosa   Álvarez ",
            "sort": "waiting",
            "page": "3",
        },
        program_ids={1, 2},
        cohort_ids={7},
    )
    assert notes == []
    assert filters == Filters(
        program_id=2,
        status="enrolled",
        language="cmn",
        kind="agency",
        cohort_id=7,
        q="Rosa Álvarez",
        sort="waiting",
        direction="desc",
        page=3,
    )
    assert filters.query_args() == {
        "q": "Rosa Álvarez",
        "program": 2,
        "status": "enrolled",
        "language": "cmn",
        "kind": "agency",
        "cohort": 7,
        "sort": "waiting",
        "page": 3,
    }


def test_default_filters_make_a_bare_url():
    filters, notes = parse_filters({}, program_ids=set(), cohort_ids=set())
    assert filters == Filters()
    assert filters.query_args() == {}
    assert notes == []
