"""Offering seats from the cohort page: the preview in the fair order, confirming it,
one chosen person (a reason when out of order), taking an offer back, with and
without htmx."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from intake import clock as app_clock
from intake.extensions import db
from intake.models import Application, Cohort, Offer, OutboxMessage, StatusEvent
from intake.offers import services as offers
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort
from tests.helpers import csrf_token
from tests.review.support import reload

HX = {"HX-Request": "true"}


def page_url(cohort) -> str:
    return f"/coord/cohorts/{cohort.id}"


def open_page(client, cohort, **params) -> str:
    response = client.get(page_url(cohort), query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, cohort, part: str, data: dict, page: str | None = None, **kwargs):
    """Post a form of the cohort page with the CSRF token of ``page`` (or of the page
    opened now: in full, also for an htmx client)."""
    if page is None:
        full = {"HX-History-Restore-Request": "true"}
        page = client.get(page_url(cohort), headers=full).get_data(as_text=True)
    token = csrf_token(page)
    return client.post(f"{page_url(cohort)}/{part}", data={**data, "csrf_token": token}, **kwargs)


def previewed(page: str) -> list[int]:
    """The application ids in the preview table, in order, with what would happen."""
    return [int(i) for i in re.findall(r'<tr data-preview="(\d+)" class="to-offer">', page)]


def passed_over(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-preview="(\d+)" class="passed-over">', page)]


def candidate_rows(page: str) -> list[tuple[int, str]]:
    """(application id, place in line) of the people to choose from, in order."""
    return [
        (int(i), re.sub(r"<[^>]+>", "", place).split()[0])
        for i, place in re.findall(
            r'<tr data-candidate="(\d+)">\s*<td>.*?</td>\s*<td class="num">(.*?)</td>', page, re.S
        )
    ]


def notice(page: str) -> str:
    match = re.search(r'<p class="notice">(.*?)</p>', page, re.S) or re.search(
        r'<div class="notice" role="status">\s*<p>(.*?)</p>', page, re.S
    )
    assert match, "no notice on the page"
    return " ".join(match.group(1).replace("&#39;", "'").split())


def offers_of(cohort) -> list[Offer]:
    db.session.rollback()
    return list(
        db.session.scalars(select(Offer).where(Offer.cohort_id == cohort.id).order_by(Offer.id))
    )


def messages(template: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


def events(application) -> list[StatusEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(StatusEvent)
            .where(StatusEvent.application_id == application.id)
            .order_by(StatusEvent.id)
        )
    )


def offer_in_ctx(cohort, application, reason="Chosen in a test."):
    """Another coordinator's offer, made straight through the service."""
    made = offers.offer_to(
        db.session.get(Cohort, cohort.id),
        db.session.get(Application, application.id),
        now=app_clock.now(),
        actor=None,
        reason=reason,
    )
    db.session.commit()
    return made


# The preview -----------------------------------------------------------------------------


def test_preview_is_the_fair_order_of_the_people_the_cohort_fits(
    coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=3)  # English, weekday evenings
    early = waiting("Early Bird", joined_minutes_ago=300)
    later = waiting("Later One", joined_minutes_ago=100)
    urgent = waiting("Urgent Case", joined_minutes_ago=5, priority=2)
    latest = waiting("Latest Arrival", joined_minutes_ago=1)
    # Not matching: another language, another time, another program, not waiting.
    waiting("Spanish Only", languages=("es",), joined_minutes_ago=900)
    waiting("Weekends Only", availability=("weekend",), joined_minutes_ago=900)
    waiting("Other Program", program="bipoc-intensive", joined_minutes_ago=900)
    waiting("Still In Review", status="needs_review", joined_minutes_ago=900)

    page = open_page(coordinator_client, cohort)
    # Priority first, then who joined first; three seats for the first three.
    assert previewed(page) == [urgent.id, early.id, later.id]
    assert previewed(page) == [a.id for a in offers.next_in_line(cohort, 3)]
    assert "3 seats are free." in page
    assert "Offer 3 seats to these 3 people" in page
    assert f'name="previewed" type="hidden" value="{urgent.id},{early.id},{later.id}"' in page
    # Everyone the cohort fits can be chosen one by one, with their place in line.
    assert candidate_rows(page) == [
        (urgent.id, "1"),
        (early.id, "2"),
        (later.id, "3"),
        (latest.id, "4"),
    ]
    assert "(next in line)" in page.split(f'data-candidate="{urgent.id}"')[1].split("</tr>")[0]
    for name in ("Spanish Only", "Weekends Only", "Other Program", "Still In Review"):
        assert name not in page
    assert "4 people fit this cohort." in page


def test_an_agency_that_does_not_fit_the_seats_left_is_passed_over_and_keeps_its_place(
    coordinator_client, ctx, clock, waiting
):
    kc = "king-county-consultation"
    cohort = add_cohort(clock(), program=kc, seats=4, name="Consultation group")
    big = waiting(agency_name="Big Agency", seats=6, program=kc, joined_minutes_ago=40)
    small = waiting(agency_name="Small Agency", seats=2, program=kc, joined_minutes_ago=30)
    middle = waiting(agency_name="Middle Agency", seats=3, program=kc, joined_minutes_ago=20)
    tiny = waiting(agency_name="Tiny Agency", seats=2, program=kc, joined_minutes_ago=10)
    joined = {a.id: a.joined_at for a in (big, middle)}

    page = open_page(coordinator_client, cohort)
    assert previewed(page) == [small.id, tiny.id]
    assert passed_over(page) == [big.id, middle.id]
    big_row = page.split(f'data-preview="{big.id}"')[1].split("</tr>")[0]
    assert "Passed over: asks for 6 seats and 4 are left." in big_row
    assert "it keeps its place" in big_row
    # A request larger than the whole group can only be offered in parts.
    assert "This group holds only 4:" in big_row
    assert f'href="/coord/applications/{big.id}">split the request</a>' in big_row
    middle_row = page.split(f'data-preview="{middle.id}"')[1].split("</tr>")[0]
    assert "asks for 3 seats and 2 are left" in middle_row
    assert "split the request" not in middle_row
    assert "Offer 4 seats to these 2 people" in page

    response = post(
        coordinator_client, cohort, "offer-next", {"previewed": f"{small.id},{tiny.id}"}
    )
    assert response.status_code == 303
    made = offers_of(cohort)
    assert [(o.application_id, o.seats, o.status) for o in made] == [
        (small.id, 2, "open"),
        (tiny.id, 2, "open"),
    ]
    assert (reload(cohort).seats_offered, reload(cohort).seats_free) == (4, 0)
    # Passed over, not moved: still waiting, same place.
    for agency in (big, middle):
        agency = reload(agency)
        assert (agency.status, agency.joined_at) == ("waitlisted", joined[agency.id])
    page = open_page(coordinator_client, cohort)
    assert "No seats are free." in page


def test_nobody_fits_and_no_free_seats_say_so(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2, language="es")
    waiting("English Speaker")
    page = open_page(coordinator_client, cohort)
    assert "Nobody waiting fits this cohort" in page
    assert f'action="/coord/cohorts/{cohort.id}/offer-next"' not in page

    full = add_cohort(clock(), name="Full", seats=2, enrolled=2)
    page = open_page(coordinator_client, full)
    assert page.count("No seats are free.") == 2
    assert "/offer-one" not in page
    assert "/offer-next" not in page


# Confirming ------------------------------------------------------------------------------


def test_confirming_offers_the_seats_records_events_and_sends_e_mail(
    smtp, coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    first = waiting("First Person", joined_minutes_ago=20)
    second = waiting("Second Person", joined_minutes_ago=10)
    third = waiting("Third Person", joined_minutes_ago=5)

    page = open_page(coordinator_client, cohort)
    assert previewed(page) == [first.id, second.id]
    response = post(
        coordinator_client, cohort, "offer-next", {"previewed": f"{first.id},{second.id}"}, page
    )
    assert response.status_code == 303
    assert response.headers["Location"] == page_url(cohort)

    made = offers_of(cohort)
    assert [o.application_id for o in made] == [first.id, second.id]
    for offer in made:
        assert (offer.status, offer.seats, offer.created_by_id) == (
            "open",
            1,
            coordinator_client.user.id,
        )
        assert offer.expires_at == clock() + timedelta(days=7)
        assert offer.out_of_order_reason is None
    cohort = reload(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled, cohort.seats_free) == (2, 0, 0)
    for application in (first, second):
        assert reload(application).status == "offered"
        last = events(application)[-1]
        assert (last.from_status, last.to_status, last.actor, last.actor_id) == (
            "waitlisted",
            "offered",
            "coordinator",
            coordinator_client.user.id,
        )
        assert last.reason == "Seat offered in Spring evening group."
    assert reload(third).status == "waitlisted"
    assert [m.to_addr for m in messages("offer_made")] == [
        first.applicant.email,
        second.applicant.email,
    ]
    deliver_due(clock())
    assert sorted((m["To"], m["Subject"]) for m in smtp.messages) == sorted(
        (a.applicant.email, f"A seat is waiting for you – {a.reference}") for a in (first, second)
    )

    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page) == (
        f"2 offers made (2 seats): First Person ({first.reference}); Second Person "
        f"({second.reference}). Their e-mails are on their way."
    )
    offered = page[page.index('id="offered-title"') : page.index('id="offer-next"')]
    assert "Offered (2 seats)" in offered
    assert "First Person" in offered
    assert "Second Person" in offered
    # Answer by: 9 March, 10:00 in Seattle (17:00 UTC, summer time began on the 8th).
    assert offered.count("Mar 9, 2026, 10:00") == 2
    assert '<td class="num" data-seats="free">0</td>' in page


def test_confirming_with_htmx_swaps_the_seats_part(
    htmx, login, make_coordinator, ctx, clock, waiting
):
    login(htmx, make_coordinator())
    cohort = add_cohort(clock(), seats=2)
    person = waiting("Only Person")
    # The full page (a history restore needs it), for the form's token.
    response = htmx.get(page_url(cohort), headers={"HX-History-Restore-Request": "true"})
    page = response.get_data(as_text=True)
    assert "<html" in page

    response = post(htmx, cohort, "offer-next", {"previewed": str(person.id)}, page)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="cohort-seats"')
    assert "<html" not in body
    assert "1 offer made (1 seat): Only Person" in notice(body)
    assert '<td class="num" data-seats="offered">1</td>' in body
    assert '<td class="num" data-seats="free">1</td>' in body
    assert [o.application_id for o in offers_of(cohort)] == [person.id]
    # Every form in the part posts without JavaScript too, to the URL htmx posts to.
    for form in re.findall(r"<form [^>]*method=\"post\"[^>]*>", body, re.S):
        assert re.search(r'action="([^"]+)"', form).group(1) == re.search(
            r'hx-post="([^"]+)"', form
        ).group(1)
        assert 'hx-target="#cohort-seats"' in form


def test_fewer_offers_than_previewed_is_said_plainly(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    first = waiting("First Person", joined_minutes_ago=20)
    second = waiting("Second Person", joined_minutes_ago=10)
    page = open_page(coordinator_client, cohort)
    assert previewed(page) == [first.id, second.id]

    # Meanwhile another coordinator offers one seat to someone from outside the preview.
    outsider = waiting("Chosen Elsewhere", joined_minutes_ago=1)
    offer_in_ctx(cohort, outsider)

    response = post(
        coordinator_client, cohort, "offer-next", {"previewed": f"{first.id},{second.id}"}, page
    )
    assert response.status_code == 303
    assert [o.application_id for o in offers_of(cohort)] == [outsider.id, first.id]
    assert reload(cohort).seats_offered == 2
    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page) == (
        "Only 1 of the 2 offers you previewed were made (1 seat): someone else offered "
        "seats or people in your preview meanwhile. Offered to First Person "
        f"({first.reference}). Their e-mails are on their way."
    )

    # And when nothing is left at all: no offer, no error.
    response = post(coordinator_client, cohort, "offer-next", {"previewed": f"{second.id}"}, page)
    assert response.status_code == 303
    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page).startswith("No offers were made. The 1 you previewed could not be made")
    assert len(offers_of(cohort)) == 2
    assert reload(second).status == "waitlisted"


def test_other_people_than_previewed_are_named(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    first = waiting("First Person", joined_minutes_ago=20)
    page = open_page(coordinator_client, cohort)
    urgent = waiting("Urgent Newcomer", priority=5)
    post(coordinator_client, cohort, "offer-next", {"previewed": str(first.id)}, page)
    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page).startswith(f"2 offers made (2 seats): Urgent Newcomer ({urgent.reference})")
    assert "The queue changed since you looked" in notice(page)


# One chosen person ---------------------------------------------------------------------------


def test_the_next_in_line_needs_no_reason(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    first = waiting("First Person", joined_minutes_ago=20)
    waiting("Second Person", joined_minutes_ago=10)
    response = post(coordinator_client, cohort, "offer-one", {"application": first.id})
    assert response.status_code == 303
    [offer] = offers_of(cohort)
    assert (offer.application_id, offer.out_of_order_reason) == (first.id, None)
    assert events(first)[-1].reason == "Seat offered in Spring evening group."
    assert [m.to_addr for m in messages("offer_made")] == [first.applicant.email]
    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page) == (
        f"Seat offered to First Person ({first.reference}) until Mar 9, 2026, 10:00 AM. "
        "Their e-mail is on its way."
    )


def test_out_of_order_needs_a_reason_which_is_recorded(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    waiting("First Person", joined_minutes_ago=20)
    second = waiting("Second Person", joined_minutes_ago=10)

    page = open_page(coordinator_client, cohort, q="Second")
    response = post(
        coordinator_client,
        cohort,
        "offer-one",
        {"application": second.id, "reason": "  ", "q": "Second"},
        page,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in page
    assert 'id="error-summary"' in page
    error = re.search(r'<p class="field-error" id="offer-reason-error">(.*?)</p>', page, re.S)
    assert error
    assert (
        f"Second Person ({second.reference}) is not next in line: give the reason" in error.group(1)
    )
    # The choice and the search are kept.
    assert re.search(rf'value="{second.id}" id="[^"]+" checked', page)
    assert 'name="q" type="hidden" value="Second"' in page
    assert offers_of(cohort) == []
    assert reload(second).status == "waitlisted"
    assert reload(cohort).seats_offered == 0

    reason = "Her agency's group starts next week; she is the only Spanish speaker."
    response = post(
        coordinator_client, cohort, "offer-one", {"application": second.id, "reason": reason}
    )
    assert response.status_code == 303
    [offer] = offers_of(cohort)
    assert (offer.application_id, offer.out_of_order_reason) == (second.id, reason)
    last = events(second)[-1]
    assert (last.to_status, last.reason, last.actor_id) == (
        "offered",
        reason,
        coordinator_client.user.id,
    )
    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert "Out of queue order; your reason is recorded with the offer." in notice(page)


def test_out_of_order_with_htmx_answers_the_part_with_422(
    htmx, login, make_coordinator, ctx, clock, waiting
):
    login(htmx, make_coordinator())
    cohort = add_cohort(clock(), seats=2)
    waiting("First Person", joined_minutes_ago=20)
    second = waiting("Second Person", joined_minutes_ago=10)
    response = post(htmx, cohort, "offer-one", {"application": second.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<div id="cohort-seats"')
    assert "<html" not in body
    assert 'id="offer-reason-error"' in body
    assert re.search(rf'value="{second.id}" id="[^"]+" checked', body)

    response = post(htmx, cohort, "offer-one", {"application": second.id, "reason": "Urgent."})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Seat offered to Second Person" in notice(body)
    assert f'data-offer="{offers_of(cohort)[0].id}"' in body


def test_choosing_nobody_is_refused_next_to_the_list(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    waiting("First Person")
    response = post(coordinator_client, cohort, "offer-one", {"reason": "Because."})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="offer-application-error"' in page
    assert "Choose the person to offer a seat to." in page
    assert 'href="#offer-application"' in page
    assert 'id="offer-application"' in page
    assert re.search(r'id="offer-reason"[^>]*>\s*Because.</textarea>', page)
    assert offers_of(cohort) == []


def test_someone_no_longer_waiting_or_not_fitting_gets_a_clear_message(
    coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    gone = waiting("Gone Person")
    spanish = waiting("Spanish Speaker", languages=("es",))
    elsewhere = waiting("Other Program", program="bipoc-intensive")
    page = open_page(coordinator_client, cohort)
    # Withdrawn between opening the page and choosing them.
    db.session.get(Application, gone.id).status = "withdrawn"
    db.session.commit()

    cases = [
        (gone, f"Gone Person ({gone.reference}) is no longer waiting for a seat (now Withdrawn)."),
        (spanish, f"Spanish Speaker ({spanish.reference}) does not fit this cohort"),
        (elsewhere, "That application is not one of this program's. Nothing was offered."),
    ]
    for application, expected in cases:
        response = post(
            coordinator_client,
            cohort,
            "offer-one",
            {"application": application.id},  # no reason: not asked for one first
            page,
        )
        assert response.status_code == 303
        shown = notice(coordinator_client.get(page_url(cohort)).get_data(as_text=True))
        assert shown.startswith(expected), shown
        assert shown.endswith("Nothing was offered.")
    response = post(coordinator_client, cohort, "offer-one", {"application": 99999}, page)
    assert response.status_code == 303
    assert offers_of(cohort) == []
    assert reload(cohort).seats_offered == 0


def test_an_agency_bigger_than_the_free_seats_is_refused(coordinator_client, ctx, clock, waiting):
    kc = "king-county-consultation"
    cohort = add_cohort(clock(), program=kc, seats=4, offered=2)
    agency = waiting(agency_name="Big Agency", seats=3, program=kc)
    response = post(
        coordinator_client, cohort, "offer-one", {"application": agency.id, "reason": "Asked."}
    )
    assert response.status_code == 303
    shown = notice(coordinator_client.get(page_url(cohort)).get_data(as_text=True))
    assert shown == (
        f"Not enough seats are free for Big Agency ({agency.reference}): they need 3 seats "
        "and 2 are free now (someone may have offered them a moment ago). Nothing was offered."
    )
    assert offers_of(cohort) == []
    assert reload(agency).status == "waitlisted"


def test_search_by_reference_or_name_with_and_without_htmx(
    coordinator_client, htmx, login, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    ana = waiting("Ana Lopez", joined_minutes_ago=30)
    bo = waiting("Bo Chen", joined_minutes_ago=20)
    agency_program = waiting("Carla Diaz", joined_minutes_ago=10)

    page = open_page(coordinator_client, cohort, q="chen")
    assert [i for i, _ in candidate_rows(page)] == [bo.id]
    assert candidate_rows(page) == [(bo.id, "2")]  # the place in the whole line
    assert "1 of 3 matches “chen”." in page
    assert 'value="chen"' in page

    page = open_page(coordinator_client, cohort, q=agency_program.reference.lower())
    assert [i for i, _ in candidate_rows(page)] == [agency_program.id]
    page = open_page(coordinator_client, cohort, q="nobody")
    assert "Nobody this cohort fits matches “nobody”." in page

    login(htmx, coordinator_client.user)
    response = htmx.get(page_url(cohort), query_string={"q": "Ana"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<fieldset id="candidates"')
    assert "<html" not in body
    assert [i for i, _ in candidate_rows(body)] == [ana.id]
    search = re.search(r'<form method="get"[^>]*role="search"[^>]*>', page, re.S).group(0)
    assert 'hx-push-url="true"' in search
    assert 'hx-target="#candidates"' in search
    assert "HX-Request" in response.headers["Vary"]


# Taking an offer back ----------------------------------------------------------------------


def test_taking_an_offer_back_needs_a_reason_frees_the_seats_and_keeps_the_place(
    smtp, coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    person = waiting("Offered Person", joined_minutes_ago=60)
    joined_at = person.joined_at
    offer = offer_in_ctx(cohort, person)
    offer_id = offer.id

    page = open_page(coordinator_client, cohort)
    row = page.split(f'data-offer="{offer_id}"')[1].split("</tr>")[0]
    assert "Take back the offer to Offered Person" in row
    part = f"offers/{offer_id}/rescind"
    response = post(coordinator_client, cohort, part, {f"rescind-{offer_id}-reason": " "}, page)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="rescind-{offer_id}-reason-error"' in body
    assert "Give a reason for taking the offer back." in body
    assert re.search(r'<details class="rescind" open>', body)
    assert offers_of(cohort)[0].status == "open"
    assert reload(cohort).seats_offered == 1

    reason = "Offered to the wrong person by mistake."
    response = post(coordinator_client, cohort, part, {f"rescind-{offer_id}-reason": reason})
    assert response.status_code == 303
    [offer] = offers_of(cohort)
    assert (offer.status, offer.answered_at) == ("rescinded", clock())
    cohort = reload(cohort)
    assert (cohort.seats_offered, cohort.seats_free) == (0, 2)
    person = reload(person)
    assert (person.status, person.joined_at) == ("waitlisted", joined_at)
    last = events(person)[-1]
    assert (last.from_status, last.to_status, last.reason, last.actor_id) == (
        "offered",
        "waitlisted",
        reason,
        coordinator_client.user.id,
    )
    assert [m.to_addr for m in messages("offer_rescinded")] == [person.applicant.email]
    deliver_due(clock())
    [mail] = [m for m in smtp.messages if "withdrawn" in m["Subject"]]
    assert (mail["To"], mail["Subject"]) == (
        person.applicant.email,
        f"Your seat offer was withdrawn – {person.reference}",
    )
    assert reason not in mail.get_body(("plain",)).get_content()  # the reason stays inside

    page = coordinator_client.get(page_url(cohort)).get_data(as_text=True)
    assert notice(page) == (
        f"Offer to Offered Person ({person.reference}) taken back: 1 seat free again. They "
        "keep their place on the waitlist and are e-mailed that the offer was withdrawn."
    )
    # First in line again.
    assert previewed(page) == [person.id]
    assert candidate_rows(page) == [(person.id, "1")]


def test_taking_back_an_answered_offer_changes_nothing(
    coordinator_client, htmx, login, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    person = waiting("Quick Answerer")
    offer = offer_in_ctx(cohort, person)
    offer_id = offer.id
    page = open_page(coordinator_client, cohort)
    offers.accept(db.session.get(Offer, offer_id), now=clock())
    db.session.commit()

    part = f"offers/{offer_id}/rescind"
    response = post(coordinator_client, cohort, part, {f"rescind-{offer_id}-reason": "Oops"}, page)
    assert response.status_code == 303
    shown = notice(coordinator_client.get(page_url(cohort)).get_data(as_text=True))
    assert shown == (
        f"The offer to Quick Answerer ({person.reference}) is no longer open: it was accepted. "
        "Nothing was changed."
    )
    assert offers_of(cohort)[0].status == "accepted"
    cohort = reload(cohort)
    assert (cohort.seats_offered, cohort.seats_enrolled) == (0, 1)
    assert reload(person).status == "enrolled"

    login(htmx, coordinator_client.user)
    response = post(htmx, cohort, part, {f"rescind-{offer_id}-reason": "Oops"})
    assert response.status_code == 200
    assert "no longer open: it was accepted" in notice(response.get_data(as_text=True))
    # The enrolled list shows them, since they answered.
    enrolled = response.get_data(as_text=True).split('id="enrolled-title"')[1]
    assert "Enrolled (1 seat)" in enrolled.split("</h2>")[0]
    assert "Quick Answerer" in enrolled


def test_an_offer_of_another_cohort_is_not_found_here(coordinator_client, ctx, clock, waiting):
    cohort = add_cohort(clock(), seats=2)
    other = add_cohort(clock(), seats=2, name="Other")
    offer = offer_in_ctx(other, waiting())
    response = post(
        coordinator_client,
        cohort,
        f"offers/{offer.id}/rescind",
        {f"rescind-{offer.id}-reason": "No."},
    )
    assert response.status_code == 404
    assert offers_of(other)[0].status == "open"


# Who may -------------------------------------------------------------------------------------


def test_only_signed_in_coordinators_and_only_with_csrf(
    app, coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=2)
    person = waiting()
    offer = offer_in_ctx(add_cohort(clock(), name="Other", seats=2), waiting())
    anonymous = app.test_client()
    assert anonymous.get(page_url(cohort)).headers["Location"].startswith("/coord/login")
    # A token from a public page gets past CSRF, not past the sign-in.
    token = csrf_token(anonymous.get("/coord/login").get_data(as_text=True))
    forms = [
        ("offer-next", {"previewed": str(person.id)}),
        ("offer-one", {"application": person.id, "reason": "x"}),
        (f"offers/{offer.id}/rescind", {f"rescind-{offer.id}-reason": "x"}),
    ]
    for part, data in forms:
        response = anonymous.post(f"{page_url(cohort)}/{part}", data={**data, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/coord/login")
        # A signed-in coordinator without the form's token changes nothing either.
        response = coordinator_client.post(f"{page_url(cohort)}/{part}", data=data)
        assert response.status_code == 400
        assert "Your form could not be sent" in response.get_data(as_text=True)
    assert offers_of(cohort) == []
    assert reload(person).status == "waitlisted"
    assert reload(offer).status == "open"


def test_the_page_reads_a_fixed_number_of_queries(
    coordinator_client, ctx, clock, waiting, statements
):
    cohort = add_cohort(clock(), seats=12)

    def count():
        statements.clear()
        assert coordinator_client.get(page_url(cohort)).status_code == 200
        return len(statements)

    for n in range(2):
        waiting(joined_minutes_ago=100 - n)
    offer_in_ctx(cohort, waiting(), reason="One offer.")
    few = count()
    for n in range(20):
        waiting(agency_name=f"Agency {n}" if n % 3 == 0 else None, joined_minutes_ago=50 - n)
    for _ in range(5):
        offer_in_ctx(cohort, waiting(), reason="More offers.")
    offers.accept(offers_of(cohort)[0], now=clock())
    db.session.commit()
    assert count() == few


def test_the_number_of_seat_holders_shown_matches_the_counters(
    coordinator_client, ctx, clock, waiting
):
    cohort = add_cohort(clock(), seats=4)
    made = [offer_in_ctx(cohort, waiting(f"Holder {n}")) for n in range(3)]
    offers.accept(db.session.get(Offer, made[0].id), now=clock())
    db.session.commit()
    page = open_page(coordinator_client, cohort)
    assert "Enrolled (1 seat)" in page
    assert "Offered (2 seats)" in page
    assert page.count("data-offer=") == 3
    assert page.count('<details class="rescind"') == 2  # only open offers can be taken back
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 3
