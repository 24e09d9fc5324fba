"""What new users tripped on in the screener (issue 12): each reason said once, no
alternative pointing at a closed program, the programs' contact, the question count,
follow-ups without JavaScript, and staff who are not their agency's leadership."""

import re
from datetime import timedelta

from intake.extensions import db
from tests.factories import add_window, program
from tests.helpers import (
    AGENCY_SCREENER_ANSWERS,
    SCREENER_ANSWERS,
    complete_agency_screener,
    complete_screener,
    csrf_token,
)

NOT_PRENATAL = "These groups are for people whose work is with children from before birth"
NOT_PRENATAL_INSTEAD = "If your work changes, or you support people who work with young"
INSTEAD = "What you can do instead:"


def _results(page: str) -> str:
    return page[page.index('id="screener-results"') : page.index("</section>")]


def _cards(page: str) -> list[str]:
    return re.findall(r'<li class="result [^"]*">(.*?)</li>', _results(page), re.S)


# Each reason once --------------------------------------------------------------------


def test_programs_closed_for_the_same_reason_share_one_card(client):
    page = complete_screener(client, works_with_young_children="no").get_data(as_text=True)
    assert page.count(NOT_PRENATAL) == 1
    assert page.count(NOT_PRENATAL_INSTEAD) == 1
    [shared] = [card for card in _cards(page) if NOT_PRENATAL in card]
    assert (
        "<h3>Introductory reflective practice, Intensive reflective practice for BIPOC "
        "practitioners, and Reflective practice groups in Illinois (10 sessions)</h3>"
    ) in shared


def test_no_alternative_suggests_a_program_closed_in_the_same_result(client):
    page = complete_screener(client, works_with_young_children="no", bipoc="no").get_data(
        as_text=True
    )
    [bipoc] = [card for card in _cards(page) if "created for and by Black" in card]
    assert INSTEAD not in bipoc
    assert "Introductory" not in bipoc
    assert "open to everyone who works with children prenatal to five" not in page


def test_the_bipoc_alternative_names_the_programs_open_to_the_person(client, ctx):
    program("introductory").is_open = False
    db.session.commit()
    page = complete_screener(client, bipoc="no").get_data(as_text=True)
    [bipoc] = [card for card in _cards(page) if "created for and by Black" in card]
    assert (
        "You can apply to Reflective practice groups in Illinois (10 sessions), which is open "
        "to you whatever your answer to this question."
    ) in bipoc
    assert "Introductory" not in _results(page)


def test_an_open_program_keeps_its_own_card(client):
    page = complete_screener(client).get_data(as_text=True)
    cards = _cards(page)
    assert [
        c for c in cards if "Introductory reflective practice</h3>" in c and "You can apply." in c
    ]
    assert "Continue to your application" in page


# The programs' contact ---------------------------------------------------------------


def test_a_programs_contact_is_shown_publicly_as_a_mailto_link(client, ctx):
    program("introductory").coordinator_email = "intro@example.org"
    db.session.commit()
    link = '<a href="mailto:intro@example.org">intro@example.org</a>'
    assert link in client.get("/").get_data(as_text=True)
    assert link in client.get("/programs/introductory").get_data(as_text=True)
    other = client.get("/programs/bipoc-intensive").get_data(as_text=True)
    assert "This program has no public e-mail address yet." in other

    page = complete_screener(client, works_with_young_children="no").get_data(as_text=True)
    assert (
        "Questions about Introductory reflective practice? Write to the coordinators: " + link
    ) in page


def test_without_any_contact_the_result_says_so_once(client):
    page = complete_screener(client, works_with_young_children="no").get_data(as_text=True)
    assert page.count("The coordinators have not published an e-mail address yet.") == 1
    assert "mailto:" not in _results(page)


def test_an_address_that_is_not_one_plain_address_is_not_made_a_link(client, ctx):
    program("introductory").coordinator_email = 'x@example.org?cc=a@b.org"><b>hi</b>'
    db.session.commit()
    page = client.get("/programs/introductory").get_data(as_text=True)
    assert "mailto:" not in page
    assert "<b>hi</b>" not in page
    assert "x@example.org?cc=a@b.org&#34;&gt;&lt;b&gt;hi&lt;/b&gt;" in page


def test_the_admin_form_says_the_address_is_public(admin_client, ctx):
    path = f"/coord/admin/programs/{program('introductory').id}/edit"
    page = admin_client.get(path).get_data(as_text=True)
    assert "e-mail address (shown publicly)" in page
    assert "Shown on the public pages as the program&#39;s contact" in page


# The number of questions -------------------------------------------------------------


def test_the_lead_counts_the_questions_everyone_is_asked(client):
    page = client.get("/screener").get_data(as_text=True)
    # The retreat's follow-up (in <noscript>) is not counted; the Illinois question is
    # asked while a program in Illinois is open.
    assert page.count('<fieldset class="field field-group') - 1 == 4
    assert "4 short questions, about two minutes." in page
    page = client.get("/screener/agency").get_data(as_text=True)
    assert "7 short questions, about three minutes." in page


# Follow-up questions without JavaScript ----------------------------------------------


def test_without_javascript_follow_ups_can_be_answered_with_the_first_submit(client):
    page = client.get("/screener").get_data(as_text=True)
    assert "If you chose Other: describe your role" in page
    data = {
        **SCREENER_ANSWERS,
        "roles": ["other"],
        "role_other": "Librarian for families",
        "bipoc": "yes",
        "retreat": "yes",
        "csrf_token": csrf_token(page),
    }
    response = client.post("/screener", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "field-error" not in page
    assert "error-summary" not in page
    assert 'value="Librarian for families"' in page
    assert "Continue to your application" in page


def test_a_follow_up_answered_without_its_question_is_not_kept(client):
    complete_screener(client, role_other="not asked")
    page = client.get("/apply").get_data(as_text=True)
    assert "not asked" not in page


# Staff who are not their agency's leadership ----------------------------------------


def test_staff_are_offered_only_the_referral(client):
    page = client.get("/screener/agency").get_data(as_text=True)
    response = client.post(
        "/screener/agency", data={"is_leader": "no", "csrf_token": csrf_token(page)}
    )
    page = response.get_data(as_text=True)
    # The other questions are not asked of them: no errors for leaving them empty.
    assert response.status_code == 200
    assert "error-summary" not in page
    results = _results(page)
    assert 'action="/screener/agency/refer"' in results
    # The referral form, made only for these results, with its own token.
    assert 'name="director_email"' in results
    assert 'id="referral-csrf_token"' in results
    assert "must come from your agency&#39;s director" in results
    assert "continue to your application" not in results.lower()
    assert "None of these programs fits" not in results
    assert 'href="/apply/agency"' not in page


def test_staff_are_not_told_to_continue_while_answering(htmx):
    page = htmx.get("/screener/agency").get_data(as_text=True)
    data = {**AGENCY_SCREENER_ANSWERS, "is_leader": "no", "commit_virtual": "no"}
    page = htmx.post("/screener/agency", data={**data, "csrf_token": csrf_token(page)}).get_data(
        as_text=True
    )
    assert "continue to your application" not in page.lower()
    assert "All groups meet online" not in page  # only the one reason that matters
    assert 'action="/screener/agency/refer"' in page


def test_a_leader_still_answers_every_question(client):
    page = client.get("/screener/agency").get_data(as_text=True)
    response = client.post(
        "/screener/agency", data={"is_leader": "yes", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 422
    assert "Answer yes or no." in response.get_data(as_text=True)


def test_a_complete_agency_screener_still_continues(client):
    page = complete_agency_screener(client).get_data(as_text=True)
    assert 'href="/apply/agency"' in page


def test_a_program_whose_cycle_is_closed_is_not_suggested_instead(client, ctx, clock):
    # Illinois groups fit, but their cycle closed: the BIPOC card must not send the
    # person there ("You can apply to …") while that program's own card says it is closed.
    add_window(
        "reflective-practice-group", clock() - timedelta(days=60), clock() - timedelta(days=30)
    )
    page = complete_screener(client, bipoc="no").get_data(as_text=True)
    [bipoc] = [card for card in _cards(page) if "created for and by Black" in card]
    assert "You can apply to Introductory reflective practice, which is open" in bipoc
    assert "Illinois" not in bipoc


# What the results announce to screen readers ------------------------------------------


def _announced(page: str) -> str:
    [said] = re.findall(r'id="results-announcement"[^>]*>(.*?)</p>', page, re.S)
    return said.strip()


def test_the_announcement_counts_the_programs_one_can_apply_to_now(client, ctx, clock):
    # The default answers fit two programs (the BIPOC space does not fit "prefer not").
    page = complete_screener(client).get_data(as_text=True)
    assert _announced(page) == "Results updated: 2 programs you can apply for."
    # One that fits but takes no applications now (Illinois, its cycle closed) is not.
    add_window(
        "reflective-practice-group", clock() - timedelta(days=60), clock() - timedelta(days=30)
    )
    page = complete_screener(client).get_data(as_text=True)
    assert "This program fits your answers, but it is not taking applications now." in page
    assert _announced(page) == "Results updated: 1 program you can apply for."


def test_the_announcement_leaves_out_programs_still_waiting_for_answers(htmx):
    # One answer decides the introductory program; the other two wait for more.
    page = htmx.get("/screener").get_data(as_text=True)
    page = htmx.post(
        "/screener",
        data={"works_with_young_children": "direct", "csrf_token": csrf_token(page)},
    ).get_data(as_text=True)
    assert "Answer the questions above to see if this fits." in page
    assert _announced(page) == "Results updated: 1 program you can apply for."
