import re

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    Applicant,
    Application,
    OutboxMessage,
    SelfIdentification,
    StatusEvent,
)
from tests.helpers import (
    APPLICATION_DETAILS,
    complete_screener,
    open_application,
    submit_application,
)

REFERENCE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}$")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_application_needs_the_screener_first(client):
    response = client.get("/apply")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/screener")


def test_only_programs_that_fit_are_offered(client):
    complete_screener(client)  # prefers not to self-identify
    page, _, _ = open_application(client)
    assert 'value="introductory"' in page
    assert 'value="reflective-practice-group"' in page
    assert 'value="bipoc-intensive"' not in page
    assert 'value="king-county-consultation"' not in page


def test_submit_creates_waitlisted_applications_events_and_email(client, ctx, clock):
    response = submit_application(
        client,
        programs=["introductory", "reflective-practice-group"],
        email="  Rosa@EXAMPLE.org ",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/apply/received"

    applicant = db.session.scalars(select(Applicant)).one()
    assert applicant.email == "Rosa@example.org"  # trimmed, domain normalised
    assert applicant.language_codes == ["en", "es"]
    assert applicant.availability == ["weekday_evening"]
    assert applicant.roles == ["home_visitor"]
    assert applicant.locale == "en"
    assert "bipoc" not in applicant.answers
    assert db.session.get(SelfIdentification, applicant.id).bipoc == "prefer_not"

    applications = applicant.applications
    assert [a.program.slug for a in applications] == ["introductory", "reflective-practice-group"]
    passed = {"outcome": "pass", "reason": None}
    for application, rule_keys in zip(
        applications, [["prenatal_to_five"], ["prenatal_to_five", "works_in_illinois"]], strict=True
    ):
        assert application.status == "waitlisted"
        assert REFERENCE.match(application.reference)
        assert application.joined_at == clock()
        assert application.decision == {
            "outcome": "pass",
            "rules": [{"key": key, **passed} for key in rule_keys],
        }
        steps = [(e.from_status, e.to_status) for e in application.events]
        assert steps == [
            (None, "submitted"),
            ("submitted", "eligible"),
            ("eligible", "waitlisted"),
        ]

    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.to_addr == "Rosa@example.org"
    assert message.status == "queued"
    assert message.dedup_key == f"received:{applicant.id}"
    for application in applications:
        assert application.reference in message.subject
        assert application.reference in message.text_body
        assert application.reference in message.html_body


def test_confirmation_page_shows_references_and_next_steps(client, ctx):
    submit_application(client)
    page = client.get("/apply/received").get_data(as_text=True)
    reference = db.session.scalars(select(Application.reference)).one()
    assert reference in page
    assert "What happens next" in page
    assert "rosa@example.org" in page


def test_review_outcome_waits_for_a_coordinator(client, ctx):
    response = submit_application(
        client,
        screener={"bipoc": "yes", "retreat": "unsure"},
        programs=["bipoc-intensive"],
    )
    assert response.status_code == 303
    application = db.session.scalars(select(Application)).one()
    assert application.status == "needs_review"
    assert application.joined_at is None
    assert application.decision["outcome"] == "review"
    assert {"key": "retreat_attendance", "outcome": "review", "reason": "retreat_unsure"} in (
        application.decision["rules"]
    )
    assert "retreat_unsure" in application.events[-1].reason
    text = db.session.scalars(select(OutboxMessage.text_body)).one()
    assert "A coordinator will look at your answers" in text
    assert "we will e-mail you an offer" not in text


def test_errors_sit_next_to_fields_and_keep_every_answer(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {
        **APPLICATION_DETAILS,
        "name": "",
        "email": "not-an-address",
        "work_zip": "981",
        "phone": "call me",
        "languages": [],
        "csrf_token": csrf,
        "form_token": token,
        "organisation": "Keep Me Org",
        "access_needs_other": "Large print, please",
    }
    data.pop("consent")
    response = client.post("/apply", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in [
        "Enter your name.",
        "Enter an e-mail address like name@example.org.",
        "Enter a five-digit ZIP code, like 98104.",
        "Enter a phone number, like 206 555 0100.",
        "Choose at least one language.",
        "We need your permission to e-mail you about your application.",
    ]:
        assert message in page
    assert 'id="name-error"' in page
    assert 'aria-describedby="name-error"' in page
    assert 'value="not-an-address"' in page
    assert 'value="Keep Me Org"' in page
    assert "Large print, please</textarea>" in page
    assert re.search(r'value="weekday_evening" checked', page)
    assert f'value="{token}"' in page  # the same form token, so a fix-and-resend is one
    assert count(Applicant) == 0


def test_length_limits_are_enforced(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "name": "x" * 201, "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    assert "Field cannot be longer than 200 characters." in response.get_data(as_text=True)
    assert count(Applicant) == 0


def test_a_program_that_does_not_fit_cannot_be_forced(client, ctx):
    response = submit_application(client, programs=["bipoc-intensive"])
    assert response.status_code == 422
    assert "is not a valid choice for this field" in response.get_data(as_text=True)
    assert count(Application) == 0


def test_double_submit_creates_one_application(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    first = client.post("/apply", data=data)
    # The second click arrives after the first finished: the screener answers are
    # gone from the session, so it goes through the screener again and resubmits.
    complete_screener(client)
    second = client.post("/apply", data=data)
    assert first.status_code == second.status_code == 303
    assert count(Applicant) == 1
    assert count(Application) == 1
    assert count(OutboxMessage) == 1
    assert count(StatusEvent) == 3


def test_post_without_csrf_changes_nothing(client, ctx):
    complete_screener(client)
    _, _, token = open_application(client)
    response = client.post("/apply", data={**APPLICATION_DETAILS, "form_token": token})
    # Refused, the form shown again with its answers (issue 9, item 8).
    assert response.status_code == 422
    assert "This form was open for a long time" in response.get_data(as_text=True)
    assert 'value="Rosa Example"' in response.get_data(as_text=True)
    assert count(Applicant) == 0
    assert count(OutboxMessage) == 0


def test_oversize_body_gets_413(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {
        **APPLICATION_DETAILS,
        "access_needs_other": "x" * 100_000,
        "csrf_token": csrf,
        "form_token": token,
    }
    response = client.post("/apply", data=data)
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    assert count(Applicant) == 0


def test_unknown_program_is_404(client):
    complete_screener(client)
    assert client.get("/apply?program=no-such-thing").status_code == 404


def test_chosen_program_is_preselected(client):
    complete_screener(client)
    page = client.get("/apply?program=reflective-practice-group").get_data(as_text=True)
    assert re.search(r'value="reflective-practice-group" checked', page)
    assert not re.search(r'value="introductory" checked', page)


def test_htmx_errors_return_the_form_fragment_with_422(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "name": "", "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data, headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith("<form")
    assert "<html" not in page
    assert "Enter your name." in page


def test_htmx_success_redirects_with_hx_redirect(client, ctx):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/apply/received"
    assert count(Application) == 1


def test_the_applicants_language_is_stored(client, ctx):
    client.get("/?lang=es")
    submit_application(client)
    assert db.session.scalars(select(Applicant.locale)).one() == "es"
    assert db.session.scalars(select(OutboxMessage.locale)).one() == "es"


def test_a_choice_sent_twice_is_one_choice(client, ctx):
    """A crafted post repeats checkbox values: one application to the program, and one
    row for each language and time slot (not a second row's primary key: a 500)."""
    response = submit_application(
        client,
        programs=["introductory", "introductory"],
        languages=["en", "en", "es"],
        availability=["weekday_evening", "weekday_evening"],
    )
    assert response.status_code == 303
    applicant = db.session.scalars(select(Applicant)).one()
    assert [a.program.slug for a in applicant.applications] == ["introductory"]
    assert applicant.language_codes == ["en", "es"]
    assert applicant.availability == ["weekday_evening"]
    assert count(OutboxMessage) == 1


def test_a_resent_form_with_a_nul_in_its_token_is_not_a_500(client, ctx):
    """Sent again after the first copy went in (its screener answers gone), the form's
    token is looked up straight from the post: cleaned as the form cleans it, on
    PostgreSQL too, which refuses a NUL."""
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    assert client.post("/apply", data=data).status_code == 303
    again = client.post("/apply", data={**data, "form_token": token + "\x00"})
    assert again.status_code == 303
    assert again.headers["Location"] == "/apply/received"
    too_long = client.post("/apply", data={**data, "form_token": "x" * 1000 + "\x00"})
    assert too_long.status_code == 303  # no draft, no such token: the screener again
    assert too_long.headers["Location"] == "/screener"
    assert count(Applicant) == 1
    assert count(OutboxMessage) == 1


def test_an_address_with_letters_mail_cannot_carry_is_refused_plainly(client, ctx):
    """Mail cannot be written to "josé@…" here (no SMTPUTF8): the form says so and keeps
    what was typed. A name in the domain is fine: it goes in its ASCII form."""
    response = submit_application(client, email="josé@example.org")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "We can only send e-mail to an address that uses the letters a to z" in page
    assert 'value="josé@example.org"' in page
    assert count(Applicant) == 0
    assert submit_application(client, email="rosa@bücher.example").status_code == 303
    assert db.session.scalars(select(Applicant.email)).one() == "rosa@bücher.example"
