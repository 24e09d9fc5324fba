"""Two copies of the same form arriving at once still make one application."""

import threading

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Applicant, Application, OutboxMessage
from tests.helpers import APPLICATION_DETAILS, complete_screener, open_application


def test_simultaneous_double_submit_creates_one_application(app, ctx):
    first = app.test_client()
    complete_screener(first)
    _, csrf, token = open_application(first)
    # A second tab with the same session cookie (and so the same screener answers).
    second = app.test_client()
    cookie = first.get_cookie("session")
    second.set_cookie("session", cookie.value)

    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    barrier = threading.Barrier(2)
    statuses = []

    def post(client):
        with app.app_context():
            barrier.wait()
            statuses.append(client.post("/apply", data=data).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303, 303]
    for model in (Applicant, Application, OutboxMessage):
        assert db.session.scalar(select(func.count()).select_from(model)) == 1


def test_submitting_is_rate_limited(app_config, request):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="2 per minute")
    client = request.getfixturevalue("client")
    complete_screener(client)
    _, csrf, _ = open_application(client)
    data = {**APPLICATION_DETAILS, "name": "", "csrf_token": csrf, "form_token": "t"}
    assert [client.post("/apply", data=data).status_code for _ in range(3)] == [422, 422, 429]
    # A limited request changes nothing and says so plainly.
    assert "Please wait a moment" in client.post("/apply", data=data).get_data(as_text=True)
