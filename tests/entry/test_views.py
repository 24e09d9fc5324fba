"""Entering an application for someone (phone or paper): the same rules, form and
e-mail as the public path, marked as entered by the coordinator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Applicant, Application, OutboxMessage, SelfIdentification, StatusEvent
from intake.outbox.delivery import deliver_due
from tests.helpers import (
    AGENCY_DETAILS,
    AGENCY_SCREENER_ANSWERS,
    APPLICATION_DETAILS,
    SCREENER_ANSWERS,
    at_once,
    csrf_token,
    form_token,
    submit_agency_application,
    submit_application,
)
from tests.review.support import received

ENTER = "/coord/enter"
ENTER_AGENCY = "/coord/enter/agency"


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def applicant_by_email(email: str) -> Applicant:
    db.session.rollback()
    return db.session.scalars(select(Applicant).where(Applicant.email == email)).one()


def open_entry(client, url=ENTER):
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return text, csrf_token(text), form_token(text)


def enter(client, url=ENTER, *, via="phone", locale="en", token=None, **answers):
    """Open the entry page and send it with ``answers`` (the public defaults)."""
    _, csrf, fresh = open_entry(client, url)
    defaults = (
        {**AGENCY_SCREENER_ANSWERS, **AGENCY_DETAILS}
        if url == ENTER_AGENCY
        else {**SCREENER_ANSWERS, **APPLICATION_DETAILS}
    )
    data = {
        **defaults,
        "entered_via": via,
        "locale": locale,
        **answers,
        "csrf_token": csrf,
        "form_token": token or fresh,
    }
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def decisions(applicant: Applicant) -> dict[str, tuple]:
    return {
        a.program.slug: (a.decision, a.status, a.joined_at is not None)
        for a in applicant.applications
    }


@pytest.mark.parametrize(
    ("screener", "programs"),
    [
        ({}, ["introductory", "reflective-practice-group"]),  # every rule passes
        ({"bipoc": "yes", "retreat": "unsure"}, ["bipoc-intensive"]),  # to review
    ],
)
def test_an_entered_application_is_decided_and_stored_as_the_public_one(
    app, coordinator_client, ctx, screener, programs
):
    public = submit_application(
        app.test_client(), screener=screener, programs=programs, email="public@example.org"
    )
    assert public.status_code == 303
    response = enter(coordinator_client, **screener, programs=programs, email="entered@example.org")
    assert response.status_code == 303, response.get_data(as_text=True)

    mine, theirs = (
        applicant_by_email("entered@example.org"),
        applicant_by_email("public@example.org"),
    )
    assert decisions(mine) == decisions(theirs)
    assert mine.answers == theirs.answers
    assert "bipoc" not in mine.answers  # self-identification kept apart, as for the public
    assert (
        db.session.get(SelfIdentification, mine.id).bipoc
        == db.session.get(SelfIdentification, theirs.id).bipoc
    )
    assert (mine.entered_by_id, mine.entered_via) == (coordinator_client.user.id, "phone")
    assert (theirs.entered_by_id, theirs.entered_via) == (None, None)
    # The person is the one who applied; the coordinator sent it, and says so.
    first = db.session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == mine.applications[0].id)
        .order_by(StatusEvent.id)
    ).first()
    assert (first.to_status, first.actor, first.actor_id) == (
        "submitted",
        "coordinator",
        coordinator_client.user.id,
    )
    assert response.headers["Location"] == f"/coord/applications/{mine.applications[0].id}"


def test_an_agency_is_entered_with_the_agency_rules_and_form(coordinator_client, app, ctx):
    assert (
        submit_agency_application(app.test_client(), email="a@sprouts.example.org").status_code
        == 303
    )
    response = enter(coordinator_client, ENTER_AGENCY, via="paper", email="b@sprouts.example.org")
    assert response.status_code == 303, response.get_data(as_text=True)
    mine, theirs = (
        applicant_by_email("b@sprouts.example.org"),
        applicant_by_email("a@sprouts.example.org"),
    )
    assert decisions(mine) == decisions(theirs)
    assert mine.agency.service_zips == theirs.agency.service_zips
    assert mine.entered_via == "paper"
    # Same agency, same program: flagged as a possible duplicate, as for the public.
    [application] = mine.applications
    assert application.duplicate_of_id == theirs.applications[0].id
    assert application.applicant.applications[0].seats_requested == 6


def test_the_casefile_and_export_say_who_entered_it_and_how(coordinator_client, ctx):
    enter(coordinator_client, via="phone", name="Pat Phone", email="pat@example.org")
    [application] = applicant_by_email("pat@example.org").applications
    page = coordinator_client.get(f"/coord/applications/{application.id}").get_data(as_text=True)
    assert "Entered by Coordinator by phone on Mar 2, 2026" in re.sub(r"<[^>]+>", "", page)
    assert "Entered on the applicant&#39;s behalf (phone)." in page  # the timeline
    export = coordinator_client.get("/coord/waitlist/export.csv").get_data(as_text=True)
    header, row = export.strip().splitlines()
    assert header.endswith(",Entered by coordinator")
    assert row.endswith(",phone")


def test_the_received_email_goes_out_in_the_chosen_language_with_the_manage_link(
    smtp, coordinator_client, ctx, clock
):
    response = enter(coordinator_client, via="phone", locale="es", email="lucia@example.org")
    assert response.status_code == 303
    applicant = applicant_by_email("lucia@example.org")
    assert applicant.locale == "es"
    assert deliver_due(clock()).sent == 1
    [mail] = received(smtp, "Recibimos su solicitud")
    assert mail["To"] == "lucia@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert "con lo que nos dijo por teléfono" in body
    assert "https://intake.example.org/manage/" in body


def test_a_double_submit_is_one_application(coordinator_client, ctx):
    _, csrf, token = open_entry(coordinator_client)
    data = {
        **SCREENER_ANSWERS,
        **APPLICATION_DETAILS,
        "entered_via": "paper",
        "locale": "en",
        "csrf_token": csrf,
        "form_token": token,
    }
    first = coordinator_client.post(ENTER, data=data)
    second = coordinator_client.post(ENTER, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Applicant) == 1
    assert count(OutboxMessage, OutboxMessage.template == "application_received") == 1
    page = coordinator_client.get(second.headers["Location"]).get_data(as_text=True)
    assert "was entered already" in page


def test_only_programs_in_the_coordinators_scope(app, make_coordinator, login, ctx):
    client = login(
        app.test_client(), make_coordinator(email="intro@example.org", programs=["introductory"])
    )
    page, _, _ = open_entry(client)
    assert 'value="introductory"' in page
    assert 'value="reflective-practice-group"' not in page
    response = enter(client, programs=["reflective-practice-group"])
    assert response.status_code == 422
    assert count(Applicant) == 0
    # An agency program is not theirs either: nothing to enter there.
    page, _, _ = open_entry(client, ENTER_AGENCY)
    assert "nothing to enter here" in page
    assert enter(client, ENTER_AGENCY).status_code == 422
    assert count(Applicant) == 0


def test_the_illinois_question_is_asked_when_a_program_in_scope_needs_it(
    app, coordinator_client, make_coordinator, login
):
    # Every program: the Illinois groups among them apply the rule that reads it.
    assert 'name="works_in_illinois"' in open_entry(coordinator_client)[0]
    client = login(
        app.test_client(), make_coordinator(email="intro@example.org", programs=["introductory"])
    )
    assert 'name="works_in_illinois"' not in open_entry(client)[0]


def test_facilitators_and_strangers_cannot_enter(app, make_coordinator, login, client):
    assert client.get(ENTER).status_code == 302  # to sign in
    facilitator = login(
        app.test_client(), make_coordinator(email="f@example.org", role="facilitator")
    )
    assert facilitator.get(ENTER).status_code == 403
    token = csrf_token(facilitator.get("/coord/groups").get_data(as_text=True))
    assert facilitator.post(ENTER, data={"csrf_token": token}).status_code == 403


def test_a_program_the_rules_fail_is_refused_with_the_answers_kept(coordinator_client, ctx):
    # "prefer not to say" fails the BIPOC intensive's self-identification rule.
    response = enter(coordinator_client, programs=["bipoc-intensive"], name="Kim Kept")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        "Not eligible with these answers: Intensive reflective practice for BIPOC practitioners"
        in page
    )
    assert 'value="Kim Kept"' in page
    assert 'value="prefer_not" checked' in page
    assert count(Applicant) == 0


def test_missing_answers_come_back_with_every_problem(coordinator_client, ctx):
    response = enter(coordinator_client, via=None, works_with_young_children=None, email="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Choose by phone or on a paper form.",
        "Tell us whether you work with young children.",
        "Enter your e-mail address.",
    ):
        assert message in page
    assert count(Applicant) == 0


def test_checking_the_answers_shows_what_each_program_says_and_stores_nothing(
    coordinator_client, htmx, ctx
):
    _, csrf, token = open_entry(coordinator_client)
    data = {"bipoc": "yes", "check": "1", "csrf_token": csrf, "form_token": token}
    response = coordinator_client.post(ENTER, data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#entry-results"
    text = response.get_data(as_text=True)
    assert "Not decided yet" in text
    assert 'id="followup-retreat"' in text
    assert 'name="retreat"' in text
    # Without JavaScript the button does the same, on the whole page, without errors.
    page = coordinator_client.post(ENTER, data={**data, **SCREENER_ANSWERS})
    assert page.status_code == 200
    assert "Fits: every rule passed" in page.get_data(as_text=True)
    assert "error-summary" not in page.get_data(as_text=True)
    assert count(Applicant) == 0


@pytest.fixture
def limited(app_config):
    """Public submit limits of one an hour, counted in memory for this test."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_SUBMIT="1 per hour",
        RATELIMIT_SUBMIT_SESSION="1 per hour",
        RATELIMIT_SUBMIT_EMAIL="1 per hour",
    )
    return app_config


def test_public_rate_limits_do_not_count_a_coordinators_entries(
    limited, app, make_coordinator, login, ctx
):
    """A coordinator entering a stack of paper forms from one office (one address, one
    session) is signed in and not held to the public forms' limits; the public form
    from that office still is."""
    client = login(app.test_client(), make_coordinator())
    for n in range(3):
        response = enter(client, email=f"person{n}@example.org")
        assert response.status_code == 303, n
    assert count(Application, Application.status == "waitlisted") == 3
    public = app.test_client()
    assert submit_application(public, email="one@example.org").status_code == 303
    assert submit_application(public, email="two@example.org").status_code == 429


def test_two_copies_of_the_form_arriving_at_once_make_one_application(coordinator_client, app, ctx):
    _, csrf, token = open_entry(coordinator_client)
    # A second tab of the same signed-in browser.
    second = app.test_client()
    second.set_cookie("session", coordinator_client.get_cookie("session").value)
    data = {
        **SCREENER_ANSWERS,
        **APPLICATION_DETAILS,
        "entered_via": "phone",
        "locale": "en",
        "csrf_token": csrf,
        "form_token": token,
    }

    def post(client):
        def send():
            with app.app_context():
                return client.post(ENTER, data=data).status_code

        return send

    assert at_once([post(coordinator_client), post(second)]) == [303, 303]
    for model in (Applicant, Application, OutboxMessage):
        assert count(model) == 1


def test_a_program_whose_cycle_is_closed_is_refused_with_the_answers_kept(
    coordinator_client, ctx, clock
):
    from datetime import timedelta

    from tests.factories import add_window

    add_window("introductory", clock() - timedelta(days=60), clock() - timedelta(days=30))
    response = enter(coordinator_client, programs=["introductory"], name="Kim Closed")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not taking applications now (its cycle is closed)" in page
    assert 'value="Kim Closed"' in page
    assert count(Applicant, Applicant.name == "Kim Closed") == 0


def test_a_reference_that_clashes_is_replaced(coordinator_client, ctx, monkeypatch):
    """References are not looked up before the insert (issue 13): the unique constraint
    refuses a clash, and the entry goes in once more with new references."""
    from intake.applications import services as applications

    assert enter(coordinator_client).status_code == 303
    taken = db.session.scalars(select(Application.reference)).one()
    fresh = applications.new_reference
    references = iter([taken])
    monkeypatch.setattr(applications, "new_reference", lambda: next(references, None) or fresh())

    response = enter(coordinator_client, email="someone.else@example.org")
    assert response.status_code == 303
    db.session.rollback()
    assert count(Applicant) == 2
    assert len(set(db.session.scalars(select(Application.reference)))) == 2
    assert count(OutboxMessage, OutboxMessage.template == "application_received") == 2
