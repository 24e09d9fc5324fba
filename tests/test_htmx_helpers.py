"""intake.htmx, through real routes: a form answered with and without htmx, a page or
its fragment, and the Vary header that tells caches the two apart. (A request refused
by a rate limit gets the whole page even from htmx: tests/test_ratelimits.py.)"""

from tests.helpers import csrf_token

LINK = "/manage/link"
REFER = "/screener/agency/refer"
HISTORY_RESTORE = {"HX-History-Restore-Request": "true"}


def _varies(response) -> bool:
    return "HX-Request" in response.vary


def _post_link(client, email: str):
    token = csrf_token(client.get(LINK).get_data(as_text=True))
    return client.post(LINK, data={"email": email, "csrf_token": token})


def test_after_a_post_a_plain_form_gets_a_303(client):
    response = _post_link(client, "nobody@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage/link/sent"
    assert "HX-Redirect" not in response.headers
    assert _varies(response)


def test_after_a_post_htmx_gets_hx_redirect(htmx):
    response = _post_link(htmx, "nobody@example.org")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/manage/link/sent"
    assert "Location" not in response.headers
    assert response.get_data() == b""
    assert _varies(response)


def test_a_page_for_a_plain_request_and_its_block_for_htmx(client, htmx):
    page = client.get(REFER)
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    assert _varies(page)

    fragment = htmx.get(REFER)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body
    assert "<main" not in body
    assert 'name="director_email"' in body
    assert _varies(fragment)


def test_a_history_restore_gets_the_whole_page(htmx):
    response = htmx.get(REFER, headers=HISTORY_RESTORE)
    assert "<html" in response.get_data(as_text=True)
    assert _varies(response)


def test_a_form_page_answers_a_refused_htmx_post_with_the_form_alone(htmx):
    # A GET, even from htmx, is the page; a refused POST from htmx is the form, 422.
    assert "<html" in htmx.get(LINK).get_data(as_text=True)
    response = _post_link(htmx, "rosa at example")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body
    assert body.lstrip().startswith("<form")
    assert 'value="rosa at example"' in body
    assert _varies(response)
