from datetime import timedelta

from tests.factories import add_window


def test_home_lists_open_programs_and_one_way_to_start(client):
    page = client.get("/").get_data(as_text=True)
    assert "Introductory reflective practice" in page
    assert "King County reflective consultation groups" in page
    assert page.count('class="button button-primary"') == 1
    assert 'href="/screener"' in page


def test_program_page_and_unknown_program(client):
    assert "6 virtual sessions" in client.get("/programs/introductory").get_data(as_text=True)
    response = client.get("/programs/no-such-program")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_healthz_reports_database_and_outbox(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "outbox": {"waiting": 0, "failed": 0},
    }


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]


def test_a_first_visit_to_a_page_that_sends_nothing_sets_no_cookie(client, ctx, clock):
    # Home, and a program taking applications: no form and nothing sent with htmx, so
    # no CSRF token is made, and no session cookie is set to sign one.
    for path in ("/", "/programs/introductory"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Check if you can join" in page or "Check which groups fit you" in page
        assert "Set-Cookie" not in response.headers, path
        assert "X-CSRFToken" not in page
        assert 'name="csrf_token"' not in page
    # A program taking no applications shows its notice form, with the form's own token.
    add_window("introductory", clock() + timedelta(days=3), clock() + timedelta(days=30))
    closed = client.get("/programs/introductory").get_data(as_text=True)
    assert "E-mail me when it opens" in closed
    assert 'name="csrf_token"' in closed
    assert "X-CSRFToken" not in closed
    # A page with a form still carries the token for htmx, and the cookie that signs it.
    screener = client.get("/screener")
    assert '"X-CSRFToken": "' in screener.get_data(as_text=True)
    assert screener.headers["Set-Cookie"].startswith("session=")
