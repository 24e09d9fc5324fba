"""Changing one's details: name, phone, languages and days/times."""

from intake.extensions import db
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort
from tests.helpers import AGENCY_DETAILS, csrf_token, send_form, submit_agency_application
from tests.manage.support import applicant_by_email, apply, checked, emails_to, link_in, places

VALID = {
    "name": "Rosa Q. Example",
    "phone": "206 555 0199",
    "languages": ["en", "es"],
    "availability": ["weekday_evening", "weekend"],
}


def test_the_form_shows_current_details(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    page = client.get(path + "/details").get_data(as_text=True)
    assert 'value="Rosa Example"' in page
    assert checked(page, "languages") == {"en", "es"}
    assert checked(page, "availability") == {"weekday_evening"}
    # The address is shown, not offered for editing.
    assert "rosa@example.org" in page
    assert 'name="email"' not in page
    assert "reply to any e-mail from us" in page


def test_saving_updates_the_rows_and_the_place_shown(smtp, client, ctx, clock):
    path = apply(smtp, client, clock, languages=["en"])
    add_cohort(clock(), name="Evening Spanish", language="es")
    add_cohort(clock(), name="Weekend English", time_slot="weekend")
    assert places(client.get(path).get_data(as_text=True)) == {}

    response = send_form(client, path + "/details", {**VALID, "email": "evil@example.org"})
    assert response.status_code == 303
    assert response.headers["Location"] == path

    applicant = applicant_by_email("rosa@example.org")  # the address did not change
    assert applicant.name == "Rosa Q. Example"
    assert applicant.phone == "206 555 0199"
    assert applicant.language_codes == ["en", "es"]
    assert applicant.availability == ["weekday_evening", "weekend"]

    page = client.get(path).get_data(as_text=True)
    assert "Saved. Your details are up to date." in page
    assert places(page) == {"Evening Spanish": (1, 8), "Weekend English": (1, 8)}

    # Dropping a language takes the group out of the list again.
    send_form(client, path + "/details", {**VALID, "languages": ["en"]})
    assert applicant_by_email("rosa@example.org").language_codes == ["en"]
    assert places(client.get(path).get_data(as_text=True)) == {"Weekend English": (1, 8)}


def test_invalid_answers_come_back_422_with_errors_and_answers_kept(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    bad = {"name": "", "phone": "call me", "languages": [], "availability": ["weekend"]}
    response = send_form(client, path + "/details", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please check your answers" in page
    assert "Enter your name." in page
    assert "Enter a phone number, like 206 555 0100." in page
    assert "Choose at least one language." in page
    assert 'value="call me"' in page
    assert checked(page, "availability") == {"weekend"}
    assert checked(page, "languages") == set()
    applicant = applicant_by_email("rosa@example.org")
    assert applicant.name == "Rosa Example"
    assert applicant.availability == ["weekday_evening"]


def test_with_htmx_the_form_swaps_itself(smtp, client, htmx, ctx, clock):
    path = apply(smtp, client, clock)
    page = htmx.get(path + "/details").get_data(as_text=True)
    token = csrf_token(page)
    response = htmx.post(path + "/details", data={**VALID, "languages": [], "csrf_token": token})
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<form")
    assert "<html" not in fragment
    assert "Choose at least one language." in fragment
    assert 'value="Rosa Q. Example"' in fragment

    response = htmx.post(path + "/details", data={**VALID, "csrf_token": token})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == path
    assert applicant_by_email("rosa@example.org").name == "Rosa Q. Example"


def test_an_agency_leader_must_keep_a_phone_number(smtp, client, ctx, clock):
    assert submit_agency_application(client).status_code == 303
    deliver_due(clock())
    path = link_in(emails_to(smtp, AGENCY_DETAILS["email"])[0])
    data = {**VALID, "phone": "", "languages": ["en"], "availability": ["weekday_morning"]}
    response = send_form(client, path + "/details", data)
    assert response.status_code == 422
    assert "Enter a phone number where we can reach you." in response.get_data(as_text=True)
    response = send_form(client, path + "/details", {**data, "phone": "206 555 0111"})
    assert response.status_code == 303
    applicant = applicant_by_email(AGENCY_DETAILS["email"])
    assert (applicant.name, applicant.phone) == ("Rosa Q. Example", "206 555 0111")
    assert applicant.language_codes == ["en"]


def test_without_the_csrf_token_nothing_changes(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    response = client.post(path + "/details", data=VALID)
    # Refused, the form shown again with its answers (issue 9, item 8).
    assert response.status_code == 422
    assert "This form was open for a long time" in response.get_data(as_text=True)
    assert applicant_by_email("rosa@example.org").name == "Rosa Example"
    db.session.rollback()


def test_a_change_shows_in_the_coordinators_timeline_without_its_values(
    smtp, client, ctx, clock, make_coordinator, login
):
    from sqlalchemy import select

    from intake.models import Application, AuditEvent

    path = apply(smtp, client, clock)
    clock.advance(minutes=30)
    # The same name and days: only the phone and the languages change.
    same = {"name": "Rosa Example", "availability": ["weekday_evening"]}
    response = send_form(
        client, path + "/details", {**same, "phone": "206 555 0199", "languages": ["en"]}
    )
    assert response.status_code == 303
    application = db.session.scalars(select(Application)).one()
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.application_id, e.kind, e.actor_id, e.detail) for e in events] == [
        (application.id, "details", None, {"fields": ["phone", "languages"]})
    ]
    assert events[0].created_at == clock()

    # Saving again without a change records nothing.
    send_form(client, path + "/details", {**same, "phone": "206 555 0199", "languages": ["en"]})
    db.session.rollback()
    assert len(db.session.scalars(select(AuditEvent)).all()) == 1

    coordinator = login(client.application.test_client(), make_coordinator())
    page = coordinator.get(f"/coord/applications/{application.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Changed their details: phone number, languages</strong> by the applicant" in timeline
    assert "206 555 0199" not in timeline
    assert "Reason:" not in timeline[timeline.index("Changed their details") :].split("</li>")[0]
