import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import FORGOTTEN_RECIPIENT
from tests.helpers import AGENCY_SCREENER_ANSWERS, complete_agency_screener, csrf_token


def _token(client, path="/screener/agency"):
    return csrf_token(client.get(path).get_data(as_text=True))


def test_agency_screener_asks_every_rules_question(client):
    page = client.get("/screener/agency").get_data(as_text=True)
    for question in [
        "director, or part of its executive leadership?",
        "in King County, Washington?",
        "through Best Starts for Kids",
        "at least one year?",
        "attend consistently",
        "online (by video)?",
        "real-life cases",
    ]:
        assert question in page
    # A follow-up: without JavaScript it is there from the start, saying when it applies.
    followup = page.split('id="followup-zips"')[1].split("</noscript>")[0]
    assert "<noscript>" in followup
    assert 'name="service_zips"' in followup
    assert "If you answered Yes or I am not sure" in followup


def test_eligible_agency_can_continue(client):
    page = complete_agency_screener(client).get_data(as_text=True)
    assert "King County reflective consultation groups" in page
    assert "You can apply." in page
    assert 'href="/apply/agency"' in page
    # Staff are pointed to the individual programs.
    assert "Staff can apply to this program for themselves." in page


def test_htmx_reveals_zip_question_and_names_zips_outside_king_county(htmx):
    data = {**AGENCY_SCREENER_ANSWERS, "service_zips": "98104 98402", "csrf_token": _token(htmx)}
    page = htmx.post("/screener/agency", data=data).get_data(as_text=True)
    assert "<html" not in page
    assert 'id="followup-zips" class="followup" hx-swap-oob="true"' in page
    assert 'name="service_zips"' in page
    assert "A coordinator will review your answers" in page
    assert "These ZIP codes do not look like King County ZIP codes: 98402." in page


def test_zip_crossing_the_county_line_goes_to_review(client):
    page = complete_agency_screener(client, service_zips="98001").get_data(as_text=True)
    assert "These ZIP codes are partly outside King County: 98001." in page
    assert "You can apply. A coordinator will review your answers." in page


def test_already_served_agency_is_told_kindly_where_else_to_look(client):
    page = complete_agency_screener(client, bsk_consultation="yes").get_data(as_text=True)
    assert "Not eligible this time" in page
    assert "already receives reflective consultation through Best Starts" in page
    assert "Your current Best Starts for Kids contact" in page
    assert 'href="/apply/agency"' not in page


def test_a_no_to_a_commitment_explains_why_it_matters(client):
    page = complete_agency_screener(client, commit_virtual="no").get_data(as_text=True)
    assert "All groups meet online" in page
    assert "Not eligible this time" in page


def test_not_leadership_offers_to_email_the_director(client):
    page = complete_agency_screener(client, is_leader="no").get_data(as_text=True)
    assert "must come from your agency&#39;s director" in page
    assert 'action="/screener/agency/refer"' in page
    assert "Your director" in page
    assert "e-mail address" in page


def test_errors_and_kept_answers(client):
    data = {"is_leader": "yes", "serves_king_county": "yes", "csrf_token": _token(client)}
    response = client.post("/screener/agency", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "List the ZIP codes your agency serves." in page
    assert "Answer yes or no." in page
    assert re.search(r'name="is_leader"\s+value="yes" checked', page)


def test_bad_zip_list_is_refused_with_the_bad_entries_named(client):
    data = {**AGENCY_SCREENER_ANSWERS, "service_zips": "98104, 981, seattle"}
    response = client.post("/screener/agency", data={**data, "csrf_token": _token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "These are not five-digit ZIP codes: 981, seattle." in page
    assert "98104, 981, seattle</textarea>" in page


def test_referral_reaches_the_director_and_the_address_is_not_kept(smtp, client, ctx, clock):
    csrf = _token(client, "/screener/agency/refer")
    response = client.post(
        "/screener/agency/refer",
        data={
            "director_email": "Director@Agency.example.org",
            "your_name": "Sam",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200
    assert "We have e-mailed your director a link to apply" in response.get_data(as_text=True)

    row = db.session.scalars(select(OutboxMessage)).one()
    assert "director@agency.example.org" not in row.dedup_key.lower()
    assert deliver_due(clock()).sent == 1
    [message] = smtp.messages
    assert message["To"] == "Director@agency.example.org"
    text = message.get_body(("plain",)).get_content()
    assert "Sam, a member of your staff, asked us to send you this message." in text
    assert "https://intake.example.org/screener/agency" in text

    db.session.refresh(row)
    assert row.to_addr == FORGOTTEN_RECIPIENT
    stored = " ".join([row.to_addr, row.dedup_key, row.subject, row.text_body, row.html_body])
    assert "agency.example.org" not in stored.lower()


def test_referral_twice_the_same_day_sends_one_message(client, ctx):
    csrf = _token(client, "/screener/agency/refer")
    data = {"director_email": "director@agency.example.org", "csrf_token": csrf}
    client.post("/screener/agency/refer", data=data)
    client.post("/screener/agency/refer", data=data)
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_referral_with_htmx_answers_with_the_fragment(htmx, ctx):
    csrf = _token(htmx, "/screener/agency/refer")
    response = htmx.post(
        "/screener/agency/refer", data={"director_email": "nope", "csrf_token": csrf}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith("<form")
    assert "Enter an e-mail address like name@example.org." in page


def test_referral_is_rate_limited(app_config, request):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_REFERRAL="2 per hour")
    client = request.getfixturevalue("client")
    csrf = _token(client, "/screener/agency/refer")
    statuses = [
        client.post(
            "/screener/agency/refer",
            data={"director_email": f"d{i}@agency.example.org", "csrf_token": csrf},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_full_width_zip_codes_are_read_as_zip_codes(client):
    # What a Chinese input method types for "98104，98118".
    typed = "９８１０４，９８１１８"  # noqa: RUF001 - full-width digits are the point
    page = complete_agency_screener(client, service_zips=typed).get_data(as_text=True)
    assert "You can apply." in page
