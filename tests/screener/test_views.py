import re

from tests.helpers import SCREENER_ANSWERS, complete_screener, csrf_token


def _token(client):
    return csrf_token(client.get("/screener").get_data(as_text=True))


def test_screener_asks_the_questions_in_plain_words(client):
    page = client.get("/screener").get_data(as_text=True)
    assert "Do you work with young children ages birth to five?" in page
    assert "Do you identify as Black, Indigenous, or a Person of Color (BIPOC)?" in page
    assert "I prefer not to say" in page
    assert "We ask only because one program is a space for BIPOC practitioners" in page
    # The retreat question is a follow-up: htmx reveals it when someone answers BIPOC
    # "yes"; without JavaScript it is there from the start, saying when it applies.
    followup = page.split('id="followup-retreat"')[1].split("</noscript>")[0]
    assert "<noscript>" in followup
    assert 'name="retreat"' in followup
    assert "If you answered Yes: the BIPOC program includes an in-person retreat." in followup


def test_htmx_answer_updates_results_and_reveals_follow_up(htmx):
    data = {"works_with_young_children": "direct", "bipoc": "yes", "csrf_token": _token(htmx)}
    response = htmx.post("/screener", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page  # a fragment, not the page
    assert 'id="followup-retreat" class="followup" hx-swap-oob="true"' in page
    assert 'name="retreat"' in page
    assert 'hx-swap-oob="innerHTML"' in page  # the screen-reader announcement
    # Roles are not answered yet, but nobody is scolded before they submit.
    assert "field-error" not in page
    assert "Introductory reflective practice" in page


def test_htmx_results_say_why_and_what_instead(htmx):
    data = {**SCREENER_ANSWERS, "csrf_token": _token(htmx)}
    page = htmx.post("/screener", data=data).get_data(as_text=True)
    bipoc_result = page.split("Intensive reflective practice for BIPOC practitioners")[1]
    assert "Not eligible this time" in bipoc_result.split("</li>")[0]
    assert "You chose not to say, and that is fine." in bipoc_result
    assert (
        "You can apply to Introductory reflective practice and Reflective practice groups in "
        "Illinois (10 sessions), which are open to you whatever your answer to this question."
    ) in bipoc_result
    assert "Continue to your application" in page


def test_not_working_with_young_children_is_told_kindly(client):
    response = complete_screener(client, works_with_young_children="no")
    page = response.get_data(as_text=True)
    # One card for the reason the three programs share, one for the BIPOC program's own.
    assert page.count("Not eligible this time") == 2
    assert page.count("These groups are for people whose work is with children") == 1
    assert "you are welcome to check again" in page
    assert "Continue to your application" not in page


def test_missing_answers_get_errors_next_to_fields_and_answers_are_kept(client):
    data = {"roles": ["other", "nurse"], "csrf_token": _token(client)}
    response = client.post("/screener", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in page
    assert 'href="#works_with_young_children-0"' in page
    assert "Tell us whether you work with young children." in page
    assert "Describe your role, or untick Other." in page
    assert "Choose an answer. You can choose" in page
    checked = re.findall(r'name="roles"\s+value="(\w+)" checked', page)
    assert sorted(checked) == ["nurse", "other"]
    assert 'aria-describedby="role_other-error"' in page


def test_a_tampered_answer_is_refused_not_crashed(client):
    data = {**SCREENER_ANSWERS, "bipoc": "maybe", "csrf_token": _token(client)}
    response = client.post("/screener", data=data)
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_retreat_is_required_once_revealed(client):
    data = {**SCREENER_ANSWERS, "bipoc": "yes", "csrf_token": _token(client)}
    response = client.post("/screener", data=data)
    assert response.status_code == 422
    assert "Tell us whether you could attend the retreat." in response.get_data(as_text=True)


def test_unknown_program_is_404(client):
    assert client.get("/screener?program=nope").status_code == 404


def test_post_without_csrf_token_is_refused_clearly(client):
    # Refused, and the form shown again with the answers (issue 9, item 8): 422, the
    # status htmx swaps, like every form sent back to be checked.
    response = client.post("/screener", data=SCREENER_ANSWERS)
    assert response.status_code == 422
    assert "Nothing was saved" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "screener" not in session
