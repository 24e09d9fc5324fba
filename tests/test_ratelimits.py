"""Rate limits sized for a room on one Wi-Fi: per client address, e-mail and session.

Every client here comes from the same address (the test client's 127.0.0.1), as a
training room behind one router does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Applicant, OutboxMessage
from tests.helpers import (
    APPLICATION_DETAILS,
    complete_screener,
    csrf_token,
    open_application,
    submit_application,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def limited(app_config):
    """The production figures, counted in memory for this test."""
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    return app_config


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_room_of_twenty_on_one_address_can_all_apply(limited, app):
    # The old limit (ten a minute per address) refused the eleventh person.
    statuses = [
        submit_application(app.test_client(), email=f"person{i}@example.org").status_code
        for i in range(20)
    ]
    assert statuses == [303] * 20
    assert _count(app, Applicant) == 20


def test_the_sixth_application_for_one_address_is_refused_keeping_the_answers(limited, app):
    # Different browsers, so only the e-mail address ties the submissions together.
    assert [submit_application(app.test_client()).status_code for _ in range(5)] == [303] * 5

    client = app.test_client()
    client.get("/?lang=es")
    response = submit_application(client, name="Rosa Sexta", organisation="Sprouts Seis")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    # The form again, in the applicant's language, with what they typed.
    assert '<html lang="es">' in page
    assert "Este formulario se envió con esta dirección de correo electrónico" in page
    assert 'value="Rosa Sexta"' in page
    assert 'value="Sprouts Seis"' in page
    assert 'value="rosa@example.org"' in page
    assert "Retry-After" in response.headers
    assert _count(app, Applicant) == 5
    assert _count(app, OutboxMessage) == 5
    # Another person in the same room is not held back by it.
    assert submit_application(client, email="ana@example.org").status_code == 303


def test_a_form_sent_back_with_errors_does_not_use_up_the_allowance(limited, app):
    client = app.test_client()
    for _ in range(8):
        assert submit_application(client, name="").status_code == 422
    assert submit_application(client).status_code == 303


def test_one_browser_session_is_limited(limited, app):
    client = app.test_client()
    responses = [submit_application(client, email=f"kiosk{i}@example.org") for i in range(11)]
    assert [r.status_code for r in responses] == [303] * 10 + [429]
    page = responses[-1].get_data(as_text=True)
    assert "This form was sent from this browser many times in a short while." in page
    assert 'value="kiosk10@example.org"' in page
    # A fresh browser on the same network goes on.
    assert submit_application(app.test_client(), email="next@example.org").status_code == 303


def test_the_client_address_limit_still_holds(limited, request):
    limited.update(RATELIMIT_SUBMIT="3 per hour")
    app = request.getfixturevalue("app")
    statuses = [
        submit_application(app.test_client(), email=f"p{i}@example.org").status_code
        for i in range(4)
    ]
    assert statuses == [303, 303, 303, 429]


def test_refused_with_htmx_answers_with_the_whole_page(limited, request):
    limited.update(RATELIMIT_SUBMIT_EMAIL="1 per hour")
    app = request.getfixturevalue("app")
    assert submit_application(app.test_client()).status_code == 303
    client = app.test_client()
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {**APPLICATION_DETAILS, "name": "Rosa Again", "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data, headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    # The whole page: htmx swaps its <main> for the page's (htmx-config in base.html).
    assert response.status_code == 429
    assert '<main id="main"' in page
    assert 'value="Rosa Again"' in page
    assert "Please wait a moment" in page


def test_asking_for_ones_link_is_limited_per_address_typed(limited, app):
    def ask(client, email):
        token = csrf_token(client.get("/manage/link").get_data(as_text=True))
        return client.post("/manage/link", data={"email": email, "csrf_token": token})

    statuses = [ask(app.test_client(), "Rosa@Example.org ").status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    page = ask(app.test_client(), "rosa@example.org").get_data(as_text=True)
    assert 'value="rosa@example.org"' in page
    assert ask(app.test_client(), "ana@example.org").status_code == 303


def test_a_room_of_agency_staff_can_each_refer_their_director(limited, app):
    def refer(client, email):
        token = csrf_token(client.get("/screener/agency/refer").get_data(as_text=True))
        return client.post(
            "/screener/agency/refer", data={"director_email": email, "csrf_token": token}
        )

    statuses = [refer(app.test_client(), f"d{i}@agency.example.org").status_code for i in range(12)]
    assert statuses == [200] * 12
    same = [refer(app.test_client(), "d0@agency.example.org").status_code for _ in range(3)]
    assert same == [200, 200, 429]


def test_sign_in_is_limited_per_account_whatever_the_address(limited, request):
    limited.update(RATELIMIT_LOGIN_EMAIL="2 per minute")
    app = request.getfixturevalue("app")
    client = app.test_client()
    token = csrf_token(client.get("/coord/login").get_data(as_text=True))
    data = {"email": "admin@example.org", "password": "wrong", "csrf_token": token}
    statuses = [
        client.post("/coord/login", data=data, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [422, 422, 429]
    assert 'value="admin@example.org"' in statuses[-1].get_data(as_text=True)


# Two workers, one Redis ------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/7"

# One gunicorn worker: its own process and app, submitting ``count`` applications.
WORKER = """
import json, sys
from intake import create_app
from tests.helpers import submit_application

config, email, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = create_app(config)
print(json.dumps([
    submit_application(app.test_client(), email=email).status_code for _ in range(count)
]))
"""


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return client


def _worker(config: dict, email: str, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), email, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("storage", ["redis", "memory"])
# _schema's value (the database URL) is used: its underscore only keeps it out of sight.
def test_two_workers_share_the_limit_through_redis(app, limited, _schema, storage):  # noqa: PT019
    redis = _redis()
    prefix = f"intake-test-{uuid.uuid4().hex}"
    config = {
        key: value
        for key, value in limited.items()
        if isinstance(value, str | int | bool | type(None))
    }
    config.update(
        SQLALCHEMY_DATABASE_URI=_schema,
        RATELIMIT_STORAGE_URI=REDIS_URL if storage == "redis" else "memory://",
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_SUBMIT_EMAIL="2 per hour",
    )
    try:
        assert _worker(config, "rosa@example.org", 2) == [303, 303]
        second = _worker(config, "rosa@example.org", 1)
        if storage == "redis":
            assert second == [429]
            keys = [k.decode() for k in redis.scan_iter(f"*{prefix}*")]
            assert keys
            # The limiter's store holds a keyed hash, never the address.
            assert not any("rosa" in key or "example.org" in key for key in keys)
        else:
            # The control: each worker counting on its own lets the third through.
            assert second == [303]
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)


def test_a_get_of_a_limited_form_skips_the_limits_check(limited, app, monkeypatch):
    """A form's limits count what is sent: a GET of the form does not ask
    Flask-Limiter (it found nothing to count there); a post still does."""
    from intake.extensions import limiter

    checks = []
    check = limiter._check_request_limit

    def counting(*args, **kwargs):
        checks.append(kwargs.get("callable_name"))
        return check(*args, **kwargs)

    # The decorators call the limiter's method (the check before the request is left
    # out: test_no_check_before_the_request below), so the forms' own checks count.
    monkeypatch.setattr(limiter, "_check_request_limit", counting)
    client = app.test_client()
    page = client.get("/screener")
    assert page.status_code == 200
    assert client.get("/apply/agency").status_code in (200, 302)
    assert checks == []
    answer = client.post("/screener", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert answer.status_code == 422
    assert checks
    assert all("individual" in name for name in checks)


def test_form_limits_takes_only_limits_on_what_is_sent():
    from intake import ratelimits
    from intake.extensions import limiter

    ratelimits.form_limits(limiter.limit("1 per minute", methods=["POST"]))
    with pytest.raises(ValueError, match="sent forms only"):
        ratelimits.form_limits(limiter.limit("1 per minute"))
    with pytest.raises(ValueError, match="sent forms only"):
        ratelimits.form_limits(limiter.limit("1 per minute", methods=["GET", "POST"]))


# A process of its own: Flask-Limiter keeps default limits on its (shared) extension
# object once an app sets them, which would reach every later test's app.
GETS = """
import json, sys
from intake import create_app

config, path, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4:  # a limit on a whole blueprint, set as its module is imported
    from importlib import import_module
    from intake.extensions import limiter

    limiter.limit(sys.argv[4])(import_module(f"intake.{sys.argv[5]}.views").bp)
client = create_app(config).test_client()
print(json.dumps([client.get(path).status_code for _ in range(count)]))
"""


def test_no_check_before_the_request_without_a_limit_on_every_request(limited, app):
    """Every limit is a view's own, checked by its decorator: Flask-Limiter's check
    before each request is taken out (it found nothing to count); the limits above
    still refuse."""
    from intake.extensions import limiter

    hooks = app.before_request_funcs[None]
    assert not [hook for hook in hooks if getattr(hook, "__self__", None) is limiter]


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("RATELIMIT_DEFAULT", "/screener"),
        ("RATELIMIT_DEFAULT", "/"),
        ("RATELIMIT_APPLICATION", "/"),
        ("RATELIMIT_APPLICATION", "/screener"),
        # (A limit on a blueprint does not reach a view with limits of its own, as the
        # screener: Flask-Limiter's rule, with or without the check before requests.)
        ("blueprint home", "/"),
    ],
)
# _schema's value (the database URL) is used: its underscore only keeps it out of sight.
def test_a_limit_on_every_request_still_counts_every_get(limited, _schema, setting, path):  # noqa: PT019
    config = {
        key: value
        for key, value in limited.items()
        if isinstance(value, str | int | bool | type(None))
    }
    config.update(SQLALCHEMY_DATABASE_URI=_schema)
    extra = []
    if setting.startswith("blueprint "):
        extra = ["2 per minute", setting.split()[1]]
    else:
        config[setting] = "2 per minute"
    result = subprocess.run(
        [sys.executable, "-c", GETS, json.dumps(config), path, "3", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, 200, 429]
