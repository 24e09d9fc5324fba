"""The screener's answers wait on the server, never in the session cookie: the
cookie is signed, not encrypted, so anyone holding it could read them."""

import base64
import json
import zlib
from datetime import timedelta

from sqlalchemy import func, select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import Applicant, ScreenerDraft
from tests.helpers import (
    APPLICATION_DETAILS,
    complete_agency_screener,
    complete_screener,
    csrf_token,
    open_application,
)
from tests.manage.support import checked

BIPOC_ANSWERS = {
    "works_with_young_children": "direct",
    "roles": ["home_visitor"],
    "bipoc": "yes",
    "retreat": "unsure",
    "works_in_illinois": "no",
}


def session_cookie(client) -> str:
    """The session cookie as anyone holding it can read it: no key needed."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    value = cookie.value
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        data = zlib.decompress(data)
    text = data.decode()
    json.loads(text)  # it is the session itself, readable
    return text


def drafts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ScreenerDraft))


def _no_answers_in(text: str) -> None:
    for word in ("bipoc", "retreat", "unsure", "works_with_young_children", "home_visitor"):
        assert word not in text, text


def test_the_cookie_carries_no_screener_answer(client, ctx):
    complete_screener(client, **BIPOC_ANSWERS)
    text = session_cookie(client)
    _no_answers_in(text)
    assert drafts() == 1
    # Opening the application form keeps it that way.
    open_application(client)
    _no_answers_in(session_cookie(client))


def test_the_cookie_carries_no_answer_with_htmx(client, htmx, ctx):
    page = htmx.get("/screener").get_data(as_text=True)
    token = csrf_token(page)
    # Answering one question at a time, as htmx sends them.
    partial = {"works_with_young_children": "direct", "bipoc": "yes", "csrf_token": token}
    assert htmx.post("/screener", data=partial).status_code == 200
    _no_answers_in(session_cookie(htmx))
    response = htmx.post("/screener", data={**BIPOC_ANSWERS, "csrf_token": token})
    assert response.status_code == 200
    _no_answers_in(session_cookie(htmx))
    assert drafts() == 1

    # And the journey goes on with htmx: the form, then HX-Redirect when it is sent.
    _, csrf, form_token = open_application(htmx)
    data = {
        **APPLICATION_DETAILS,
        "programs": ["bipoc-intensive"],
        "csrf_token": csrf,
        "form_token": form_token,
    }
    response = htmx.post("/apply", data=data)
    assert response.headers["HX-Redirect"] == "/apply/received"
    applicant = db.session.scalars(select(Applicant)).one()
    assert applicant.self_identification.bipoc == "yes"
    assert drafts() == 0


def test_the_journey_without_htmx_keeps_the_answers_and_deletes_them_when_sent(client, ctx):
    complete_screener(client, **BIPOC_ANSWERS)
    # Back on the screener, the answers are still there (read from the server).
    page = client.get("/screener").get_data(as_text=True)
    assert checked(page, "bipoc") == {"yes"}
    assert checked(page, "retreat") == {"unsure"}
    page, csrf, form_token = open_application(client)
    assert "Intensive reflective practice for BIPOC practitioners" in page
    data = {
        **APPLICATION_DETAILS,
        "programs": ["bipoc-intensive"],
        "csrf_token": csrf,
        "form_token": form_token,
    }
    response = client.post("/apply", data=data)
    assert response.status_code == 303
    applicant = db.session.scalars(select(Applicant)).one()
    assert applicant.self_identification.bipoc == "yes"
    assert applicant.answers["retreat"] == "unsure"
    assert "bipoc" not in applicant.answers
    assert drafts() == 0
    _no_answers_in(session_cookie(client))
    # The answers went with the application: a new one starts with the screener.
    assert client.get("/apply").headers["Location"].startswith("/screener")


def test_an_incomplete_screener_deletes_the_saved_answers(client, ctx):
    complete_screener(client, **BIPOC_ANSWERS)
    assert drafts() == 1
    page = client.get("/screener").get_data(as_text=True)
    response = client.post("/screener", data={"bipoc": "yes", "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert drafts() == 0
    assert client.get("/apply").status_code == 302


def test_answers_expire_and_the_tick_deletes_them(client, ctx, clock):
    complete_screener(client, **BIPOC_ANSWERS)
    clock.advance(minutes=59)
    # More than half their time left: opening the form does not renew them.
    assert client.get("/apply").status_code == 200
    clock.advance(minutes=60)
    assert tick_once(clock())["expired screener answers deleted"] == 0

    clock.advance(minutes=2)
    response = client.get("/apply")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/screener")
    assert tick_once(clock())["expired screener answers deleted"] == 1
    assert drafts() == 0


def test_changing_an_answer_updates_the_one_saved_copy(client, ctx, clock):
    complete_screener(client, **BIPOC_ANSWERS)
    clock.advance(minutes=100)
    complete_screener(client, bipoc="no")
    assert drafts() == 1
    clock.advance(minutes=100)  # the change gave the answers their full time again
    assert client.get("/apply").status_code == 200
    saved = db.session.scalars(select(ScreenerDraft)).one()
    assert saved.answers["bipoc"] == "no"


def test_an_older_cookie_with_the_answers_in_it_is_not_trusted(client, ctx):
    with client.session_transaction() as session:
        session["screener"] = dict(BIPOC_ANSWERS)
    response = client.get("/apply")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/screener")
    _no_answers_in(session_cookie(client))


def test_one_browser_cannot_use_another_browsers_answers(app, client, ctx):
    complete_screener(client, **BIPOC_ANSWERS)
    other = app.test_client()
    assert other.get("/apply").status_code == 302
    # A made-up key of the right shape finds nothing either.
    with other.session_transaction() as session:
        session["screener"] = "x" * 43
    assert other.get("/apply").status_code == 302


def test_agency_answers_stay_off_the_cookie(client, ctx):
    complete_agency_screener(client)
    text = session_cookie(client)
    for word in ("is_leader", "98104", "commit_cases", "bsk_consultation"):
        assert word not in text, text
    assert client.get("/apply/agency").status_code == 200


def test_reading_and_changing_the_answers_builds_no_statement(client, ctx, monkeypatch):
    # The draft's selects are built once, at import: a request only binds its values.
    from intake.screener import drafts as draft_store

    built = []
    real_select = draft_store.select
    monkeypatch.setattr(
        draft_store, "select", lambda *what: built.append(what) or real_select(*what)
    )
    complete_screener(client)
    complete_screener(client, bipoc="no")  # the saved copy found and changed
    assert checked(client.get("/screener").get_data(as_text=True), "bipoc") == {"no"}
    assert 'name="programs"' in client.get("/apply").get_data(as_text=True)
    assert built == []


def _sent(client, csrf, token):
    return client.post(
        "/apply", data={**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    )


def test_opening_the_form_late_renews_the_answers_for_the_typing(client, ctx, clock):
    """Opened with less than half their time left, the answers get their full time
    again: someone who takes 25 minutes over the form still sends it."""
    complete_screener(client)
    clock.advance(minutes=100)
    _, csrf, token = open_application(client)
    saved = db.session.scalars(select(ScreenerDraft)).one()
    db.session.refresh(saved)
    assert saved.expires_at == clock() + timedelta(minutes=120)
    clock.advance(minutes=25)
    response = _sent(client, csrf, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/apply/received"
    assert db.session.scalar(select(func.count()).select_from(Applicant)) == 1


def test_answers_that_ran_out_under_a_form_say_so(client, ctx, clock):
    """Sent after the answers expired: back to the screener, with a message that says
    what happened (not "answer a few short questions first")."""
    complete_screener(client)
    clock.advance(minutes=10)
    _, csrf, token = open_application(client)
    clock.advance(minutes=115)
    response = _sent(client, csrf, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/screener"
    page = client.get("/screener").get_data(as_text=True)
    assert "that time ran out" in page
    assert "answer a few short questions first" not in page
    assert db.session.scalar(select(func.count()).select_from(Applicant)) == 0


def test_htmx_is_sent_to_the_screener_by_a_full_page_load(app, client, ctx, clock):
    """htmx follows a plain redirect inside its request and would swap the screener's
    whole page into the form: it is told to load the page instead (HX-Redirect)."""
    complete_screener(client)
    _, csrf, token = open_application(client)
    clock.advance(minutes=125)
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    response = _sent(client, csrf, token)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/screener"
    assert response.get_data(as_text=True) == ""
