"""Download my data, and delete my data."""

import json

from sqlalchemy import func, select

from intake.casefile.services import add_note, change_priority
from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    ManageToken,
    Note,
    Offer,
    OutboxMessage,
    SelfIdentification,
    StatusEvent,
)
from intake.offers.services import make_offer
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort
from tests.helpers import AGENCY_DETAILS, csrf_token, send_form, submit_agency_application
from tests.manage.support import applicant_by_email, apply, emails_to, link_in


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# Download ------------------------------------------------------------------------------


def test_download_holds_everything_about_them_and_no_coordinator_papers(
    smtp, client, ctx, clock, make_coordinator
):
    path = apply(smtp, client, clock, access_needs=["captions"])
    application = applicant_by_email("rosa@example.org").applications[0]
    coordinator = make_coordinator(email="casey.coordinator@example.org")
    add_note(application, author=coordinator, body="Private: asked about fees", now=clock())
    change_priority(
        application, actor=coordinator, priority=2, reason="Secret priority reason", now=clock()
    )
    db.session.commit()
    clock.advance(days=1)

    response = client.get(path + "/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="my-application-{application.reference}.json"'
    )
    body = response.get_data(as_text=True)
    data = json.loads(body)

    assert data["exported_at"] == "2026-03-03T17:00:00+00:00"
    assert data["applicant"]["name"] == "Rosa Example"
    assert data["applicant"]["email"] == "rosa@example.org"
    assert data["applicant"]["work_zip"] == "98104"
    assert data["applicant"]["access_needs"] == ["captions"]
    assert data["answers"]["works_with_young_children"] == "direct"
    assert data["answers"]["roles"] == ["home_visitor"]
    assert data["languages"] == ["en", "es"]
    assert data["availability"] == ["weekday_evening"]
    # Their own self-identification answer is theirs to have.
    assert data["self_identification"] == {"bipoc": "prefer_not"}
    assert data["agency"] is None

    (exported,) = data["applications"]
    assert exported["reference"] == application.reference
    assert exported["status"] == "waitlisted"
    assert exported["decision"]["outcome"] == "pass"
    assert [(e["from"], e["to"], e["by"]) for e in exported["events"]] == [
        (None, "submitted", "applicant"),
        ("submitted", "eligible", "system"),
        ("eligible", "waitlisted", "system"),
    ]
    assert exported["events"][0]["at"] == "2026-03-02T17:00:00+00:00"
    (mail,) = data["emails"]
    assert mail["subject"].startswith("We received your application")
    assert mail["status"] == "sent"

    # Not theirs: coordinators' notes, names and reasons.
    assert "Private: asked about fees" not in body
    assert "Secret priority reason" not in body
    assert "Casey" not in body
    assert "casey.coordinator" not in body


def test_download_for_an_agency_includes_its_details(smtp, client, ctx, clock):
    assert submit_agency_application(client).status_code == 303
    deliver_due(clock())
    path = link_in(emails_to(smtp, AGENCY_DETAILS["email"])[0])
    data = client.get(path + "/data.json").get_json()
    assert data["agency"]["agency_name"] == "Little Sprouts Family Center"
    assert data["agency"]["leader_title"] == "Executive Director"
    assert data["agency"]["service_zips"] == ["98104", "98118"]
    assert data["applications"][0]["seats_requested"] == 6


# Delete ----------------------------------------------------------------------------------


def test_delete_asks_for_a_tick_first(smtp, client, htmx, ctx, clock):
    path = apply(smtp, client, clock)
    page = client.get(path + "/delete").get_data(as_text=True)
    assert "Delete my data?" in page
    assert "This cannot be undone." in page
    response = client.post(path + "/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Tick the box to confirm that you want your data deleted." in response.get_data(
        as_text=True
    )

    token = csrf_token(htmx.get(path + "/delete").get_data(as_text=True))
    response = htmx.post(path + "/delete", data={"csrf_token": token})
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith("<form")

    assert applicant_by_email("rosa@example.org").name == "Rosa Example"
    assert client.get(path).status_code == 200


def test_delete_anonymises_and_keeps_the_counts_true(smtp, client, ctx, clock, make_coordinator):
    path = apply(smtp, client, clock, programs=["introductory", "reflective-practice-group"])
    # A second link, from a second e-mail, must stop working too.
    second = send_form(client, "/manage/link", {"email": "rosa@example.org"})
    assert second.status_code == 303
    deliver_due(clock())
    other_link = link_in(
        next(m for m in emails_to(smtp, "rosa@example.org") if "Your link" in m["Subject"])
    )
    applicant = applicant_by_email("rosa@example.org")
    applicant_id = applicant.id
    intro, group = applicant.applications
    coordinator = make_coordinator()
    add_note(intro, author=coordinator, body="Rosa called about the schedule", now=clock())
    cohort = add_cohort(clock(), name="Evening English", seats=4)
    offer = make_offer(cohort, intro, now=clock())
    db.session.commit()
    events_before = _count(StatusEvent)
    applications_before = _count(Application)
    # One e-mail waits unsent when the data is deleted (the offer's).
    queued = (OutboxMessage.status == "queued", OutboxMessage.applicant_id == applicant_id)
    assert _count(OutboxMessage, *queued) == 1

    page = client.get(path + "/delete").get_data(as_text=True)
    response = client.post(path + "/delete", data={"confirm": "y", "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage/deleted"
    final = client.get("/manage/deleted")
    assert "Your data is deleted" in final.get_data(as_text=True)
    assert final.headers["Cache-Control"] == "no-store"

    # A second click of the button shows the final page again; nothing else happens.
    again = client.post(path + "/delete", data={"confirm": "y", "csrf_token": csrf_token(page)})
    assert again.headers["Location"] == "/manage/deleted"

    db.session.expire_all()
    applicant = db.session.get(Applicant, applicant_id)
    assert applicant.name == "Deleted applicant"
    assert applicant.email == applicant.email_key == f"deleted-{applicant_id}@invalid"
    assert applicant.phone is None
    assert applicant.work_zip is None
    assert applicant.organisation is None
    assert applicant.role_other is None
    assert applicant.roles == []
    assert applicant.answers == {}
    assert applicant.access_needs == []
    assert applicant.access_needs_other is None
    for model in (ApplicantLanguage, ApplicantAvailability, SelfIdentification, ManageToken):
        assert _count(model, model.applicant_id == applicant_id) == 0, model
    assert _count(Note) == 0

    # The applications and their history stay, closed, so counts and reports stay true.
    assert _count(Application) == applications_before
    assert _count(StatusEvent) == events_before + 2
    for application in (intro, group):
        application = db.session.get(Application, application.id)
        assert application.status == "withdrawn"
        assert application.events[-1].reason == "Applicant deleted their data"
        assert all("details" not in r for r in application.decision["rules"])
    assert db.session.get(Offer, offer.id).status == "rescinded"
    assert db.session.get(Cohort, cohort.id).seats_offered == 0

    # E-mails to them are scrubbed, and the unsent one is not sent to nobody.
    messages = list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.applicant_id == applicant_id))
    )
    assert messages
    assert all(m.status == "sent" for m in messages)
    assert {m.to_addr for m in messages} == {f"deleted-{applicant_id}@invalid"}
    assert {m.text_body for m in messages} == {m.html_body for m in messages} == {"[deleted]"}
    assert not db.session.scalar(select(func.count()).where(OutboxMessage.text_body.like("%Rosa%")))

    # Every link stops working.
    for link in (path, other_link):
        response = client.get(link)
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True)
    # And no new link can be had for the old address.
    send_form(client, "/manage/link", {"email": "rosa@example.org"})
    clock.advance(minutes=11)
    send_form(client, "/manage/link", {"email": "rosa@example.org"})
    assert _count(OutboxMessage, OutboxMessage.template == "manage_link") == 1


def test_coordinators_still_see_the_anonymised_application(
    smtp, client, ctx, clock, make_coordinator, login, app
):
    path = apply(smtp, client, clock)
    application_id = applicant_by_email("rosa@example.org").applications[0].id
    send_form(client, path + "/delete", {"confirm": "y"})
    coordinator = login(app.test_client(), make_coordinator())
    page = coordinator.get(f"/coord/applications/{application_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Deleted applicant" in text
    assert "Applicant deleted their data" in text
    assert "Rosa" not in text
    assert "rosa@example.org" not in text


def test_deleting_an_agency_removes_its_details(smtp, client, htmx, ctx, clock):
    assert submit_agency_application(client).status_code == 303
    deliver_due(clock())
    path = link_in(emails_to(smtp, AGENCY_DETAILS["email"])[0])
    token = csrf_token(htmx.get(path + "/delete").get_data(as_text=True))
    response = htmx.post(path + "/delete", data={"confirm": "y", "csrf_token": token})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/manage/deleted"
    db.session.expire_all()
    assert _count(AgencyDetails) == 0
    (applicant,) = db.session.scalars(select(Applicant))
    assert applicant.name == "Deleted applicant"
    assert applicant.applications[0].status == "withdrawn"


def test_after_delete_the_address_is_nowhere_in_the_outbox(smtp, app_config, request, clock):
    """Not in a recipient, a body, or a mail server's error that quoted it."""
    app_config["OUTBOX_MAX_ATTEMPTS"] = 1
    client = request.getfixturevalue("client")
    request.getfixturevalue("ctx")
    path = apply(smtp, client, clock)
    # Her mailbox is closed now; the server's refusal quotes her address, as they do.
    smtp.sink.rcpt_replies["rosa@example.org"] = (
        "550 5.2.1 <rosa@example.org>: Recipient mailbox disabled"
    )
    assert send_form(client, "/manage/link", {"email": "rosa@example.org"}).status_code == 303
    assert deliver_due(clock()).failed == 1
    assert _count(OutboxMessage, OutboxMessage.status == "failed") == 1

    assert send_form(client, path + "/delete", {"confirm": "y"}).status_code == 303

    db.session.expire_all()
    # The failed one is dropped like a waiting one: there is nobody to send it to.
    assert _count(OutboxMessage, OutboxMessage.status == "failed") == 0
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert messages  # the sent "received" e-mail stays, scrubbed
    columns = [column.key for column in OutboxMessage.__table__.columns]
    for message in messages:
        stored = json.dumps({key: str(getattr(message, key)) for key in columns}).lower()
        assert "rosa@example.org" not in stored
        assert "rosa example" not in stored
