import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import AgencyDetails, Applicant, Application, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.helpers import (
    AGENCY_DETAILS,
    complete_agency_screener,
    open_application,
    submit_agency_application,
    submit_application,
)


def test_agency_application_is_one_entry_asking_for_seats(smtp, client, ctx, clock):
    response = submit_agency_application(client)
    assert response.status_code == 303

    applicant = db.session.scalars(select(Applicant)).one()
    assert applicant.kind == "agency"
    assert applicant.name == "Dana Example"
    assert applicant.organisation == "Little Sprouts Family Center"
    assert applicant.email == "dana@sprouts.example.org"
    assert applicant.language_codes == ["cmn", "en"]
    agency = db.session.get(AgencyDetails, applicant.id)
    assert agency.service_zips == ["98104", "98118"]
    assert agency.leader_title == "Executive Director"
    assert agency.staff_roles == ["home_visitor", "ece_teacher"]
    assert agency.heard_about == "colleague"
    assert agency.agency_key == "littlesproutsfamilycenter"

    application = db.session.scalars(select(Application)).one()
    assert application.program.slug == "king-county-consultation"
    assert application.seats_requested == 6
    assert application.status == "waitlisted"
    assert application.decision["outcome"] == "pass"
    assert [r["key"] for r in application.decision["rules"]] == [
        "leadership",
        "king_county",
        "not_already_served",
        "commitment_one_year",
        "commitment_attendance",
        "commitment_virtual",
        "commitment_cases",
    ]

    page = client.get("/apply/received").get_data(as_text=True)
    assert "For Little Sprouts Family Center: 6 staff seats" in page
    assert application.reference in page

    # The received e-mail goes to the leader.
    deliver_due(clock())
    [message] = smtp.messages
    assert message["To"] == "dana@sprouts.example.org"
    assert "6 staff seats" in message.get_body(("plain",)).get_content()


def test_zips_corrected_on_the_form_are_what_the_rules_read(client, ctx):
    response = submit_agency_application(client, service_zips="98104 98402")
    assert response.status_code == 303
    application = db.session.scalars(select(Application)).one()
    assert application.status == "needs_review"
    [king_county] = [r for r in application.decision["rules"] if r["key"] == "king_county"]
    assert king_county == {
        "key": "king_county",
        "outcome": "review",
        "reason": "zip_outside_king_county",
        "details": {"zips": "98402"},
    }


def test_review_reasons_are_shown_before_sending(client):
    complete_agency_screener(client, service_zips="98001")
    page, _, _ = open_application(client, "/apply/agency")
    assert "These ZIP codes are partly outside King County: 98001." in page
    assert "98001</textarea>" in page  # the screener's ZIPs are carried over


def test_every_answer_is_kept_and_every_error_sits_by_its_field(client, ctx):
    complete_agency_screener(client)
    _, csrf, token = open_application(client, "/apply/agency")
    data = {
        **AGENCY_DETAILS,
        "seats": "80",
        "phone": "",
        "leader_title": "",
        "heard_about": "other",
        "staff_roles": [],
        "csrf_token": csrf,
        "form_token": token,
    }
    response = client.post("/apply/agency", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, message in [
        ("seats", "Enter a number from 1 to 50."),
        ("phone", "Enter a phone number where we can reach you."),
        ("leader_title", "Enter your title."),
        ("heard_about_other", "Tell us where, or choose another answer."),
        ("staff_roles", "Choose at least one role."),
    ]:
        assert re.search(rf'id="{field}-error">.*?{re.escape(message)}', page, re.S), field
    assert 'value="80"' in page
    assert 'value="Little Sprouts Family Center"' in page
    assert re.search(r'value="cmn" checked', page)
    assert db.session.scalars(select(Applicant)).all() == []


def test_not_a_number_for_seats_is_a_clear_error(client, ctx):
    response = submit_agency_application(client, seats="six")
    assert response.status_code == 422
    assert 'value="six"' in response.get_data(as_text=True)


def test_agency_cannot_apply_without_passing_the_screener(client, ctx):
    complete_agency_screener(client, bsk_consultation="yes")
    page = client.get("/apply/agency").get_data(as_text=True)
    assert "None of the programs fits your answers right now." in page
    assert 'id="application-form"' not in page


def test_application_needs_its_screener_first(client):
    response = client.get("/apply/agency")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/screener/agency")


def test_same_agency_again_is_flagged_not_merged(client, app, ctx):
    submit_agency_application(client)
    other = app.test_client()
    submit_agency_application(
        other,
        agency_name="Little Sprouts Family Center, Inc.",
        email="someone-else@sprouts.example.org",
        leader_name="Lee Example",
    )
    first, second = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert first.duplicate_of_id is None
    assert (second.duplicate_of_id, second.duplicate_reason) == (first.id, "same_agency")
    assert second.status == "waitlisted"  # flagged for a coordinator, nothing merged


def test_same_leader_email_is_flagged(client, app, ctx):
    submit_agency_application(client)
    submit_agency_application(
        app.test_client(),
        agency_name="Another Agency",
        zip="98118",
        email="DANA@sprouts.example.org",
    )
    second = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    assert second.duplicate_reason == "same_email"


def test_same_agency_name_elsewhere_is_not_a_duplicate(client, app, ctx):
    submit_agency_application(client)
    submit_agency_application(
        app.test_client(), zip="98118", email="other@example.org", leader_name="Lee Example"
    )
    second = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    assert second.duplicate_of_id is None


def test_individual_applying_twice_is_flagged(client, app, ctx):
    submit_application(client)
    submit_application(app.test_client(), email="ROSA@example.org")
    first, second = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert (second.duplicate_of_id, second.duplicate_reason) == (first.id, "same_email")
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2
