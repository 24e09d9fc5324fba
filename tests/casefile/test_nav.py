"""The workspace menu marks the section a page belongs to (aria-current="page"): the
application page is in "Review" while it waits for a decision, else in "Waitlist"."""

import re

import pytest

from tests.factories import add_application, add_cohort


def current(page: str) -> list[str]:
    start = page.index('aria-label="Workspace"')
    nav = page[start : page.index("</nav>", start)]
    return re.findall(r'aria-current="page">([^<]+)<', nav)


@pytest.mark.parametrize(
    ("status", "section"),
    [
        ("needs_review", "Review"),
        ("waitlisted", "Waitlist"),
        ("offered", "Waitlist"),
        ("inactive", "Waitlist"),
        ("withdrawn", "Waitlist"),
        ("ineligible", "Waitlist"),
    ],
)
def test_the_application_page_is_in_its_own_section(coordinator_client, clock, status, section):
    application = add_application(clock(), 1, status=status)
    page = coordinator_client.get(f"/coord/applications/{application.id}").get_data(as_text=True)
    assert current(page) == [section]


def test_each_workspace_page_marks_one_item(coordinator_client, clock):
    cohort = add_cohort(clock())
    for url, section in [
        ("/coord/waitlist", "Waitlist"),
        ("/coord/review", "Review"),
        ("/coord/cohorts", "Cohorts"),
        (f"/coord/cohorts/{cohort.id}", "Cohorts"),
        (f"/coord/cohorts/{cohort.id}/sessions/new", "Cohorts"),
        ("/coord/reports", "Reports"),
        ("/coord/outbox", "E-mail"),
    ]:
        page = coordinator_client.get(url).get_data(as_text=True)
        assert current(page) == [section], url
