"""The agency form asks at most what the program can offer: the seats of its groups
that have not started, never fewer than one group's most (12), never more than 50;
checked by the server, in the applicant's language."""

from __future__ import annotations

from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Application
from intake.outbox.delivery import deliver_due
from intake.programs.seats import request_limits
from tests.factories import AGENCY_PROGRAM, add_cohort, program
from tests.helpers import complete_agency_screener, submit_agency_application

SPLIT_SAID = "If you ask for more, a coordinator will split your request across groups."


def _groups(clock, *seats, start=date(2026, 4, 7)):
    for n, size in enumerate(seats):
        add_cohort(clock(), program=AGENCY_PROGRAM, name=f"Group {n}", seats=size, start_date=start)


def _seats_asked() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(Application.seats_requested)))


def test_without_groups_an_agency_may_ask_for_one_groups_worth(client, ctx, clock):
    complete_agency_screener(client)
    page = unescape(client.get("/apply/agency").get_data(as_text=True))
    assert "Between 1 and 12." in page
    assert SPLIT_SAID in page

    response = submit_agency_application(client, seats="13")
    assert response.status_code == 422
    text = unescape(response.get_data(as_text=True))
    assert (
        "Enter a number from 1 to 12: that is the most seats the programs you chose can "
        "offer now." in text
    )
    assert 'value="13"' in text
    assert _seats_asked() == []

    assert submit_agency_application(client, seats="12").status_code == 303
    assert _seats_asked() == [12]


def test_planned_groups_raise_the_bound_to_their_seats(client, ctx, clock):
    _groups(clock, 12, 12, 6)
    _groups(clock, 12, start=date(2026, 3, 1))  # started already: not on offer
    complete_agency_screener(client)
    assert "Between 1 and 30." in client.get("/apply/agency").get_data(as_text=True)
    response = submit_agency_application(client, seats="31")
    assert response.status_code == 422
    assert "from 1 to 30:" in response.get_data(as_text=True)
    assert submit_agency_application(client, seats="30").status_code == 303
    assert _seats_asked() == [30]


@pytest.mark.parametrize("seats", ["51", "0", "-3", "99999999999999999999", "1\x002"])
def test_never_more_than_fifty_nor_nonsense(client, ctx, clock, seats):
    _groups(clock, 12, 12, 12, 12, 12)
    assert request_limits([program(AGENCY_PROGRAM).id], clock().date()) == {
        program(AGENCY_PROGRAM).id: 50
    }
    response = submit_agency_application(client, seats=seats)
    assert response.status_code == 422
    assert _seats_asked() == []


def test_the_bound_is_said_in_the_applicants_language(client, ctx, clock):
    client.get("/?lang=es")
    response = submit_agency_application(client, seats="20")
    assert response.status_code == 422
    text = unescape(response.get_data(as_text=True))
    assert "Escriba un número del 1 al 12" in text
    assert "Entre 1 y 12." in text
    assert "un coordinador dividirá su solicitud entre varios grupos" in text


def test_request_limits_per_program(ctx, clock):
    agency, other = program(AGENCY_PROGRAM), program("introductory")
    _groups(clock, 12, 8)
    limits = request_limits([agency.id, other.id], clock().date())
    assert limits == {agency.id: 20, other.id: 12}
    assert request_limits([], clock().date()) == {}


def test_going_back_to_the_questions_shows_the_zip_codes_as_text(client, ctx, clock):
    """The form's "Change your answers" link: the saved answers hold the ZIP codes as a
    list, which the page once tried to read as typed text (a 500)."""
    complete_agency_screener(client)
    response = client.get("/screener/agency")
    assert response.status_code == 200
    assert "98104, 98118" in response.get_data(as_text=True)


def test_a_request_larger_than_a_group_is_told_it_will_be_split(smtp, client, ctx, clock):
    _groups(clock, 12, 12)
    response = submit_agency_application(client, seats="20")
    assert response.status_code == 303
    page = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    said = "That is more than one group holds (12), so a coordinator will split your request"
    assert said in page
    deliver_due(clock())
    [message] = smtp.messages
    assert said in message.get_body(("plain",)).get_content()
    assert said in unescape(message.get_body(("html",)).get_content())


def test_a_request_one_group_can_hold_is_not(smtp, client, ctx, clock):
    response = submit_agency_application(client, seats="12")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "more than one group holds" not in page
    deliver_due(clock())
    [message] = smtp.messages
    assert "more than one group holds" not in message.get_body(("plain",)).get_content()
