"""Every link an e-mail can carry opens its page: the worker mints each registered link
kind through ``public_url_for``, so a renamed or moved route fails here, not in a
person's inbox. And a PUBLIC_BASE_URL with a path (the app served under a prefix)
puts that path in every link exactly once."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from intake import links
from intake.extensions import db
from intake.links import (
    ActionLink,
    LinkSpec,
    ManageLink,
    ParticipantLink,
    PasswordLink,
    SurveyLink,
    public_url_for,
)
from intake.models import Application, OutboxMessage
from intake.outbox import delivery, services
from intake.outbox.delivery import deliver_due
from tests.factories import add_participant
from tests.helpers import csrf_token, submit_application
from tests.respond.support import add_cohort, apply, offer

BASE = "https://intake.example.org"

# What each kind's link opens, for each of its purposes: a kind or purpose added
# without a line here fails the first test.
PAGES = {
    ("manage", None): "<h1>Your application</h1>",
    ("action", "offer_accept"): 'action="/respond/offer_accept/',
    ("action", "offer_decline"): 'action="/respond/offer_decline/',
    ("action", "checkin_yes"): 'action="/respond/checkin_yes/',
    ("action", "checkin_leave"): 'action="/respond/checkin_leave/',
    ("action", "reactivate"): 'action="/respond/reactivate/',
    ("password", "reset"): "Choose a new password",
    ("password", "welcome"): "Choose a new password",
    ("survey", None): 'action="/survey/',
    ("participant", None): "<h1>Your group</h1>",
}


def _specs(offer_id: int, expires) -> dict[str, list[LinkSpec]]:
    """One spec of every purpose, by kind."""
    return {
        ManageLink.kind: [ManageLink()],
        ActionLink.kind: [
            ActionLink(
                purpose, expires, offer_id=offer_id if purpose.startswith("offer_") else None
            )
            for purpose in sorted(links.PURPOSES)
        ],
        PasswordLink.kind: [PasswordLink(purpose) for purpose in sorted(links.PASSWORD_PURPOSES)],
        SurveyLink.kind: [SurveyLink(expires)],
        ParticipantLink.kind: [ParticipantLink()],
    }


def test_every_registered_link_kind_opens_its_page(app, client, ctx, clock, make_coordinator):
    now = clock()
    offered = apply(app, name="Ana Offered", email="ana@example.org")
    made = offer(add_cohort(now), offered, now)
    asked = apply(app, name="Bo Asked", email="bo@example.org")
    inactive = apply(app, name="Cy Inactive", email="cy@example.org")
    # Asked whether he still wants his place: the check-in links have a question.
    asked.checkin_sent_at = now
    # Set aside for not answering one: the reactivate link has something to do.
    inactive.status = "inactive"
    coordinator = make_coordinator()
    # In a group: the survey link is the participant's.
    participant = add_participant(offered, made.cohort, now, commit=False)
    # A staff member an agency named: the participant link opens their page.
    named = add_participant(
        offered, made.cohort, now, name="Di Named", email="di@example.org", staff=True
    )
    db.session.commit()
    application_for = {
        "offer_accept": offered,
        "offer_decline": offered,
        "checkin_yes": asked,
        "checkin_leave": asked,
        "reactivate": inactive,
    }

    specs = _specs(made.id, now + timedelta(days=3))
    assert set(links.link_kinds()) == set(specs)
    purposes = {(kind, getattr(spec, "purpose", None)) for kind in specs for spec in specs[kind]}
    assert purposes == set(PAGES)

    routes = ctx.url_map.bind("intake.example.org")
    for kind, registered in links.link_kinds().items():
        for spec in specs[kind]:
            purpose = getattr(spec, "purpose", None)
            application = application_for.get(purpose, offered)
            row = OutboxMessage(
                applicant_id=application.applicant_id,
                application_id=application.id,
                coordinator_id=coordinator.id,
                participant_id=named.id if kind == ParticipantLink.kind else participant.id,
            )
            url = links.mint_link(row, spec, now)
            db.session.commit()  # a manage token is stored as it is minted
            assert url.startswith(f"{BASE}/"), url
            path = url.removeprefix(BASE)
            assert routes.match(path)[0] == registered.endpoint
            response = client.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 200, (kind, purpose, response.status_code)
            assert PAGES[kind, purpose] in page, (kind, purpose)
            if kind not in (PasswordLink.kind, SurveyLink.kind, ParticipantLink.kind):
                assert application.reference in page, (kind, purpose)


# PUBLIC_BASE_URL with a path -----------------------------------------------------------

PREFIXED = "https://example.org/intake"


@pytest.fixture
def prefixed(app_config, request):
    """The app served under /intake: PUBLIC_BASE_URL says so (with a trailing slash,
    as people write it), and the proxy passes the prefix as SCRIPT_NAME."""
    app_config["PUBLIC_BASE_URL"] = PREFIXED + "/"
    request.getfixturevalue("smtp")
    client = request.getfixturevalue("client")
    client.environ_base["SCRIPT_NAME"] = "/intake"
    request.getfixturevalue("ctx")
    return client


def test_public_url_for_puts_the_base_path_in_once(prefixed, app):
    with app.app_context():  # as in the worker: no request
        assert public_url_for("manage.status", token="abc") == f"{PREFIXED}/manage/abc"
        assert public_url_for("home.index") == f"{PREFIXED}/"
        assert public_url_for("cohorts.show", cohort_id=7) == f"{PREFIXED}/coord/cohorts/7"
    # In a request under the prefix, on any Host: the same links, never the Host's.
    with app.test_request_context(
        "/screener/agency/refer", base_url="http://forged.example.net/intake"
    ):
        assert url_for("screener.agency") == "/intake/screener/agency"
        assert public_url_for("screener.agency") == f"{PREFIXED}/screener/agency"


def test_links_in_e_mails_work_under_a_prefix(prefixed, smtp, clock):
    # A link made in a request (the referral's "apply" link) ...
    page = prefixed.get("/screener/agency/refer").get_data(as_text=True)
    response = prefixed.post(
        "/screener/agency/refer",
        data={
            "director_email": "director@example.org",
            "your_name": "Sam",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 200
    # ... and one the worker mints (the manage link of "we received your application").
    assert submit_application(prefixed).status_code == 303
    assert deliver_due(clock()).sent == 2

    sent = {message["To"]: message.get_body(("plain",)).get_content() for message in smtp.messages}
    assert re.search(rf"{re.escape(PREFIXED)}/screener/agency\s", sent["director@example.org"])
    [token] = re.findall(
        rf"{re.escape(PREFIXED)}/manage/([A-Za-z0-9_-]+)", sent["rosa@example.org"]
    )
    assert "/intake/intake" not in " ".join(sent.values())
    # The link opens the page, through the prefix.
    reference = db.session.scalars(select(Application.reference)).one()
    page = prefixed.get(f"/manage/{token}")
    assert page.status_code == 200
    assert reference in page.get_data(as_text=True)


def test_the_worker_knows_no_features_tokens():
    """The outbox and the links module mint through the registered kinds: they import
    none of the features whose pages the links open."""
    features = ("intake.auth", "intake.manage", "intake.respond", "intake.checkins")
    for module in (delivery, services, links):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert not {name for name in imported if name.startswith(features)}, module.__name__
