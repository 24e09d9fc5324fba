"""The Illinois question: asked only while a program that needs it is considered;
"no" or "not sure" sends that program to review, with the reason and an alternative."""

from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant
from tests.factories import program
from tests.helpers import (
    SCREENER_ANSWERS,
    complete_screener,
    csrf_token,
    open_application,
    submit_application,
)

QUESTION = "Do you work in Illinois?"
ILLINOIS = "Reflective practice groups in Illinois (10 sessions)"


def _token(client):
    return csrf_token(client.get("/screener").get_data(as_text=True))


def _result(page: str, name: str) -> str:
    return page.split(f"<h3>{name}</h3>")[1].split("</li>")[0]


def test_asked_while_the_illinois_groups_are_open_without_an_error_at_first(client):
    page = client.get("/screener").get_data(as_text=True)
    assert QUESTION in page
    assert 'name="works_in_illinois"' in page
    assert "field-error" not in page
    assert "has-error" not in page


def test_not_asked_when_no_program_considered_needs_it(client, ctx):
    program("reflective-practice-group").is_open = False
    db.session.commit()
    page = client.get("/screener").get_data(as_text=True)
    assert QUESTION not in page
    # Nor required: the other answers complete the screener.
    answers = {k: v for k, v in SCREENER_ANSWERS.items() if k != "works_in_illinois"}
    response = client.post("/screener", data={**answers, "csrf_token": _token(client)})
    assert response.status_code == 200
    assert "Continue to your application" in response.get_data(as_text=True)


def test_not_asked_of_agencies(client):
    assert QUESTION not in client.get("/screener/agency").get_data(as_text=True)


def test_required_when_asked(client):
    answers = {k: v for k, v in SCREENER_ANSWERS.items() if k != "works_in_illinois"}
    response = client.post("/screener", data={**answers, "csrf_token": _token(client)})
    assert response.status_code == 422
    assert "Tell us whether you work in Illinois." in response.get_data(as_text=True)


def test_htmx_answers_before_it_do_not_scold(htmx):
    data = {"works_with_young_children": "direct", "csrf_token": _token(htmx)}
    page = htmx.post("/screener", data=data).get_data(as_text=True)
    assert "Tell us whether you work in Illinois." not in page
    # Unanswered, the Illinois groups wait for the answer.
    assert "Answer the questions above to see if this fits." in _result(page, ILLINOIS)


def test_working_elsewhere_is_a_review_with_reason_and_alternative(client):
    data = {**SCREENER_ANSWERS, "works_in_illinois": "no", "csrf_token": _token(client)}
    page = client.post("/screener", data=data).get_data(as_text=True)
    result = _result(page, ILLINOIS)
    assert "You can apply. A coordinator will review your answers." in result
    assert "run throughout Illinois by the Illinois Association for Infant Mental Health" in result
    assert "What you can do instead:" in result
    assert "open to everyone who works with children prenatal to five, wherever" in result
    # The other programs do not read the answer.
    assert "You can apply." in _result(page, "Introductory reflective practice")


def test_not_sure_is_a_review_too(client):
    data = {**SCREENER_ANSWERS, "works_in_illinois": "unsure", "csrf_token": _token(client)}
    result = _result(client.post("/screener", data=data).get_data(as_text=True), ILLINOIS)
    assert "You were not sure whether you work in Illinois." in result


def test_the_answer_reaches_the_application_and_its_decision(client, ctx):
    response = submit_application(
        client,
        screener={"works_in_illinois": "no"},
        programs=["reflective-practice-group"],
    )
    assert response.status_code == 303
    applicant = db.session.scalars(select(Applicant)).one()
    (application,) = applicant.applications
    assert application.status == "needs_review"
    assert applicant.answers["works_in_illinois"] == "no"
    problems = [r for r in application.decision["rules"] if r["outcome"] != "pass"]
    assert problems == [
        {"key": "works_in_illinois", "outcome": "review", "reason": "not_in_illinois"}
    ]


def test_the_application_form_says_why_it_will_be_reviewed(client):
    complete_screener(client, works_in_illinois="unsure")
    page, _, _ = open_application(client)
    assert "a coordinator will review your answers before you join its waitlist" in page
    assert "You were not sure whether you work in Illinois." in page
