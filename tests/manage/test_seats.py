"""The manage page never shows a place in line that cannot lead to a seat: an
agency asking more seats than any planned group holds is told a coordinator will
arrange them, and is not counted ahead of anyone in a group it can never have."""

from __future__ import annotations

from datetime import date

from intake.casefile import split as splitting
from intake.extensions import db
from intake.manage import services
from intake.manage.tokens import mint_manage_token
from tests.factories import AGENCY_PROGRAM, add_agency_request, add_cohort
from tests.manage.support import places

ARRANGE = "A coordinator will arrange your seats across groups"
AHEAD = "ahead of you"


def _page(client, application, clock) -> str:
    token = mint_manage_token(application.applicant_id, clock())
    db.session.commit()
    response = client.get(f"/manage/{token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_request_no_group_can_hold_shows_no_place_and_is_not_ahead(client, ctx, clock):
    big = add_agency_request(clock(), 1, 30, joined_days_ago=3)
    small = add_agency_request(clock(), 2, 6, joined_days_ago=1)
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)

    page = _page(client, big, clock)
    assert ARRANGE in page
    assert places(page) == {}
    assert AHEAD not in page
    assert "next in line" not in page
    assert "offered together, in one group" not in page

    page = _page(client, small, clock)
    assert ARRANGE not in page
    assert places(page) == {"Twelve": (1, 12)}
    assert "You are next in line." in page


def test_a_group_too_small_for_a_request_is_not_listed_for_it(client, ctx, clock):
    ten = add_agency_request(clock(), 1, 10, joined_days_ago=3)
    two = add_agency_request(clock(), 2, 2, joined_days_ago=1)
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Eight", seats=8)
    add_cohort(
        clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12, start_date=date(2026, 5, 5)
    )

    page = _page(client, ten, clock)
    assert ARRANGE not in page
    assert places(page) == {"Twelve": (1, 12)}
    # In the group of eight the request for ten is not ahead of anyone.
    assert places(_page(client, two, clock)) == {"Eight": (1, 8), "Twelve": (2, 12)}


def test_without_planned_groups_only_a_request_beyond_any_group_waits_for_a_coordinator(
    client, ctx, clock
):
    page = _page(client, add_agency_request(clock(), 1, 13), clock)
    assert ARRANGE in page
    page = _page(client, add_agency_request(clock(), 2, 12), clock)
    assert ARRANGE not in page
    assert "No group in your languages and times is planned yet." in page


def test_once_split_each_part_has_a_place(client, ctx, clock, make_coordinator):
    big = add_agency_request(clock(), 1, 30, joined_days_ago=3)
    small = add_agency_request(clock(), 2, 6, joined_days_ago=1)
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    parts = splitting.split_request(
        big, actor=make_coordinator(), parts=[12, 12, 6], seen_seats=30, reason="R", now=clock()
    )
    db.session.commit()
    references = [part.reference for part in parts]

    page = _page(client, big, clock)
    assert ARRANGE not in page
    # One card per part, in order, each with its place in the one group.
    cards = page.split('class="status-card"')[1:]
    assert [references[n] in card for n, card in enumerate(cards)] == [True, True, True]
    assert [places(card) for card in cards] == [
        {"Twelve": (1, 12)},
        {"Twelve": (2, 12)},
        {"Twelve": (3, 12)},
    ]
    assert "1 application is ahead of you." in cards[1]
    assert f"Your request {references[0]}, split into parts by a coordinator" in cards[1]
    assert "split into parts" not in cards[0]

    # The parts are ahead of the agency that came later.
    page = _page(client, small, clock)
    assert places(page) == {"Twelve": (4, 12)}
    assert "3 applications are ahead of you." in page


def test_the_overview_service_marks_what_a_coordinator_must_arrange(ctx, clock):
    big = add_agency_request(clock(), 1, 14)
    add_cohort(clock(), program=AGENCY_PROGRAM, name="Twelve", seats=12)
    [item] = services.overview(big.applicant, clock().date())
    assert item.arranging
    assert item.places == []
