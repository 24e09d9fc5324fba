"""The response pages: a GET never changes anything, a button press acts once, and
every link that cannot act (expired, forged, for another purpose, overtaken) says so
plainly and changes nothing."""

import threading

import pytest
from sqlalchemy import select

from intake import links
from intake.casefile.services import withdraw
from intake.extensions import db
from intake.models import Application, Cohort, Offer, OutboxMessage
from intake.offers.services import rescind
from tests.helpers import csrf_token
from tests.respond.support import (
    checked_in,
    deliver,
    link_for,
    offered,
    only,
    press,
    snapshot,
    spaces,
    templates_queued,
    text,
)

PURPOSES = ["offer_accept", "offer_decline", "checkin_yes", "checkin_leave", "reactivate"]
BUTTONS = {
    "offer_accept": "Accept the seat",
    "offer_decline": "Decline the seat",
    "checkin_yes": "Yes, keep my place",
    "checkin_leave": "Take me off the waitlist",
    "reactivate": "Put me back on the waitlist",
}
# What each press changes, and the e-mail it queues (if any).
OUTCOMES = {
    "offer_accept": ("enrolled", "enrolled"),
    "offer_decline": ("waitlisted", "offer_declined"),
    "checkin_yes": ("waitlisted", None),
    "checkin_leave": ("withdrawn", "withdrawn"),
    "reactivate": ("waitlisted", None),
}
# What the same link shows once it has been acted on.
AFTERWARDS = {
    "offer_accept": "You accepted this seat on",
    "offer_decline": "You declined this seat on",
    "checkin_yes": "that you are still interested",
    "checkin_leave": "You left the waitlist on",
    "reactivate": "You are on the waitlist again, in the same place in line",
}


def status_of(application) -> str:
    db.session.commit()
    return db.session.get(Application, application.id).status


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("hx", [False, True], ids=["plain", "htmx"])
def test_opening_a_link_changes_nothing(smtp, app, ctx, client, clock, purpose, hx):
    _, path = link_for(app, smtp, clock, purpose)
    headers = {"HX-Request": "true"} if hx else {}
    before = snapshot()
    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f'<form method="post" action="{path}"' in page
        assert BUTTONS[purpose] in page
        assert response.headers["Cache-Control"] == "no-store"
        assert client.head(path).status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize("purpose", PURPOSES)
def test_pressing_twice_has_one_effect_and_one_email(smtp, app, ctx, client, clock, purpose):
    application, path = link_for(app, smtp, clock, purpose)
    status, template = OUTCOMES[purpose]
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "choice": "defer"}

    first = client.post(path, data=data)
    assert first.status_code == 303
    assert first.headers["Location"] == path
    assert status_of(application) == status
    after_first = snapshot()
    queued = templates_queued()
    if template:
        assert queued.count(template) == 1

    second = client.post(path, data=data)
    assert second.status_code == 303
    assert snapshot() == after_first
    assert templates_queued() == queued

    page = spaces(client.get(path).get_data(as_text=True))
    assert AFTERWARDS[purpose] in page
    assert 'method="post"' not in page
    assert application.reference in page
    if template:
        assert len([m for m in deliver(smtp, clock()) if m["To"] == "rosa@example.org"]) == 1


def test_two_presses_at_once_accept_once(smtp, app, ctx, clock):
    application, paths = offered(app, smtp, clock)
    path = paths["offer_accept"]
    clients = [app.test_client(), app.test_client()]
    tokens = [csrf_token(c.get(path).get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(2)
    statuses = []

    def press_now(client, token):
        with app.app_context():
            barrier.wait()
            statuses.append(client.post(path, data={"csrf_token": token}).status_code)

    threads = [
        threading.Thread(target=press_now, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303, 303]
    assert status_of(application) == "enrolled"
    assert templates_queued().count("enrolled") == 1
    assert db.session.scalars(select(Offer.status)).all() == ["accepted"]


def test_htmx_press_is_redirected_by_header(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    path = paths["offer_accept"]
    token = csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == path
    assert status_of(application) == "enrolled"


def test_decline_needs_a_choice(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    before = snapshot()
    response = press(client, paths["offer_decline"], choice="maybe")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert snapshot() == before
    assert status_of(application) == "offered"


def test_a_press_without_the_form_token_changes_nothing(smtp, app, ctx, client, clock):
    _, paths = offered(app, smtp, clock)
    before = snapshot()
    response = client.post(paths["offer_accept"])
    # Refused, the form shown again with its answers (issue 9, item 8).
    assert response.status_code == 422
    assert "This form was open for a long time" in response.get_data(as_text=True)
    assert snapshot() == before


def test_expired_link_shows_a_clear_page_and_changes_nothing(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    path = paths["offer_accept"]
    token = csrf_token(client.get(path).get_data(as_text=True))
    # Past the offer's time, before the tick has expired it: the link is over anyway.
    clock.advance(days=7)
    before = snapshot()
    for response in (client.get(path), client.post(path, data={"csrf_token": token})):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "This link has expired" in page
        assert "Nothing has changed" in page
        assert application.reference in page
        assert 'href="/manage/' in page or "private link in any e-mail" in page
        assert 'method="post"' not in page
    assert snapshot() == before
    assert status_of(application) == "offered"


def tampered(path: str) -> str:
    """The same link with one character of its signature changed."""
    last = path[-1]
    return path[:-1] + ("A" if last != "A" else "B")


def test_tampered_link_shows_a_clear_page_and_changes_nothing(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    token = csrf_token(client.get(paths["offer_accept"]).get_data(as_text=True))
    bad = tampered(paths["offer_accept"])
    before = snapshot()
    for response in (client.get(bad), client.post(bad, data={"csrf_token": token})):
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "This link does not work" in page
        assert "Nothing has changed" in page
        assert application.reference not in page  # a bad link learns nothing
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/respond/offer_accept/not-a-token",
        "/respond/delete_everything/x",
        "/respond/reactivate/" + "x" * 400,
    ],
)
def test_links_that_are_not_ours(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


def test_a_link_only_works_for_its_own_purpose(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    accept_token = paths["offer_accept"].rsplit("/", 1)[1]
    token = csrf_token(client.get(paths["offer_accept"]).get_data(as_text=True))
    before = snapshot()
    for purpose in ("offer_decline", "checkin_leave", "reactivate"):
        path = f"/respond/{purpose}/{accept_token}"
        assert client.get(path).status_code == 404
        assert client.post(path, data={"csrf_token": token, "choice": "leave"}).status_code == 404
    assert snapshot() == before
    assert status_of(application) == "offered"


def test_a_link_is_bound_to_its_application(smtp, app, ctx, client, clock):
    rosa, _ = offered(app, smtp, clock)
    ana, _ = offered(app, smtp, clock, name="Ana Example")
    ana_offer = db.session.scalars(select(Offer).where(Offer.application_id == ana.id)).one()
    # Correctly signed, but naming Rosa's application with Ana's offer.
    token = links.sign("offer_accept", rosa.id, ana_offer.id, ana_offer.expires_at)
    before = snapshot()
    assert client.get(f"/respond/offer_accept/{token}").status_code == 404
    assert snapshot() == before


def test_links_of_a_rescinded_offer_change_nothing(smtp, app, ctx, client, clock, make_coordinator):
    coordinator = make_coordinator()
    application, paths = offered(app, smtp, clock)
    tokens = {
        purpose: csrf_token(client.get(path).get_data(as_text=True))
        for purpose, path in paths.items()
    }
    made = db.session.scalars(select(Offer)).one()
    rescind(made, now=clock(), actor=coordinator, reason="Cohort moved to mornings.")
    db.session.commit()

    before = snapshot()
    for purpose, path in paths.items():
        page = client.get(path).get_data(as_text=True)
        assert "This offer was withdrawn" in page
        assert "this link no longer does anything" in page
        assert 'method="post"' not in page
        response = client.post(path, data={"csrf_token": tokens[purpose], "choice": "leave"})
        assert response.status_code == 303
    assert snapshot() == before
    assert status_of(application) == "waitlisted"

    rescinded = only(deliver(smtp, clock()), "Your seat offer was withdrawn")
    assert application.reference in rescinded["Subject"]
    assert "You keep your place on the waitlist" in text(rescinded)


def test_pages_speak_the_applicants_language(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock, lang="es")
    assert db.session.get(Application, application.id).applicant.locale == "es"
    # The e-mail too.
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "offer_made")
    ).one()
    assert message.locale == "es"
    assert '<html lang="es">' in message.html_body

    for path in paths.values():
        response = client.get(path)  # this browser asked for nothing in particular
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert '<html lang="es">' in page
        assert "Número de referencia" in page  # a label the catalogue already has
    # After acting too, and the reader may still pick another language.
    assert press(client, paths["offer_accept"]).status_code == 303
    assert '<html lang="es">' in client.get(paths["offer_accept"]).get_data(as_text=True)
    english = client.get(paths["offer_accept"] + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english


def test_responses_are_rate_limited(smtp, app_config, request, clock):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_RESPOND="2 per minute")
    app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
    request.getfixturevalue("ctx")
    _, paths = offered(app, smtp, clock)
    token = csrf_token(client.get(paths["offer_decline"]).get_data(as_text=True))
    statuses = [
        client.post(paths["offer_decline"], data={"csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [422, 422, 429]
    # Opening the page is not limited: it changes nothing.
    assert client.get(paths["offer_decline"]).status_code == 200


def test_links_after_a_coordinator_withdrew_the_application(
    smtp, app, ctx, client, clock, make_coordinator
):
    coordinator = make_coordinator()
    application, paths = checked_in(app, smtp, clock)
    token = csrf_token(client.get(paths["checkin_yes"]).get_data(as_text=True))
    withdraw(
        db.session.get(Application, application.id),
        actor=coordinator,
        reason="Asked by phone to be taken off.",
        now=clock(),
    )
    db.session.commit()

    before = snapshot()
    for path in paths.values():
        page = client.get(path).get_data(as_text=True)
        assert "Your application was withdrawn" in page
        assert "this link no longer does anything" in page
        assert "Asked by phone" not in page  # the reason stays internal
        assert client.post(path, data={"csrf_token": token}).status_code == 303
    assert snapshot() == before


def test_counters_that_disagree_with_the_offer_change_nothing(smtp, app, ctx, client, clock):
    application, paths = offered(app, smtp, clock)
    # Someone edited the seat counters by hand: the offer's seat is not counted.
    db.session.scalars(select(Cohort)).one().seats_offered = 0
    db.session.commit()
    before = snapshot()
    response = press(client, paths["offer_accept"])
    assert response.status_code == 409
    assert "We could not save your answer" in response.get_data(as_text=True)
    assert snapshot() == before
    assert status_of(application) == "offered"
