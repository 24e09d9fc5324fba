"""The number of SQL statements for a page of the waitlist does not grow with rows."""

from __future__ import annotations

from intake.auth.scope import EVERYTHING
from intake.waitlist.queries import Filters, find_page, split_codes
from tests.factories import add_cohort
from tests.waitlist.conftest import names, summary


def statements_for(client, statements, url):
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    if url.endswith(".csv") or ".csv?" in url:
        response.get_data()  # run the streamed body to its end
    return len(statements), response.get_data(as_text=True)


URLS = [
    "/coord/waitlist",
    "/coord/waitlist?page=2&sort=name",
    "/coord/waitlist?q=person&language=en&kind=individual&status=all&sort=waiting",
]


def test_a_page_costs_the_same_statements_at_10_and_at_1000_rows(
    coordinator_client, clock, add_many, statements
):
    cohort = add_cohort(clock())
    urls = [*URLS, f"/coord/waitlist?cohort={cohort.id}"]
    add_many(10, languages=("en", "es"), availability=("weekday_evening", "weekend"))
    small = {url: statements_for(coordinator_client, statements, url) for url in urls}
    assert summary(small[urls[0]][1]) == "Showing 1–10 of 10"

    add_many(990, languages=("en", "es"), availability=("weekday_evening", "weekend"))
    large = {url: statements_for(coordinator_client, statements, url) for url in urls}
    assert summary(large[urls[0]][1]) == "Showing 1–50 of 1,000"
    assert len(names(large[urls[1]][1])) == 50

    for url in urls:
        assert large[url][0] == small[url][0], url
    # The user, the filter options (programs, cohorts), the count, the page of rows
    # and its languages and days/times: a handful, not one per row.
    assert small[urls[0]][0] <= 8


def test_the_export_costs_the_same_statements_at_10_and_at_1000_rows(
    coordinator_client, add_many, statements
):
    add_many(10, languages=("en", "es"))
    small, _ = statements_for(coordinator_client, statements, "/coord/waitlist/export.csv")
    add_many(990, languages=("en", "es"))
    large, body = statements_for(coordinator_client, statements, "/coord/waitlist/export.csv")
    assert body.count("\n") == 1001
    assert body.count("English; Español") == 1000
    # One query streams every row (in batches of 500), languages and days/times
    # aggregated alongside.
    assert large == small


def test_rows_are_loaded_without_anything_sensitive(ctx, add):
    add("Said yes", bipoc="yes", languages=("es", "en"))
    [row] = find_page(Filters(), scope=EVERYTHING).rows
    # Plain rows of the columns the table shows, named one by one: nothing else is
    # read, and never the self-identification answer.
    assert set(row._fields) == {
        "id", "applicant_id", "reference", "status", "priority", "seats_requested",
        "joined_at", "created_at", "duplicate_of_id", "duplicate_resolution", "name",
        "agency_name", "program_name", "language_codes", "slots",
    }  # fmt: skip
    assert row.name == "Said yes"
    assert split_codes(row.language_codes) == ["en", "es"]
