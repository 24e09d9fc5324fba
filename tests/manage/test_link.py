""" "E-mail me my link again", the invalid-link page, language and caching."""


import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Application, ManageToken, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.helpers import csrf_token, send_form, without_csrf
from tests.manage.support import apply, emails_to, link_in, text_of


def _link_emails(smtp, address):
    return [m for m in emails_to(smtp, address) if m["Subject"] == "Your link to your application"]


def test_known_and_unknown_addresses_get_the_same_page(smtp, client, ctx, clock):
    first = apply(smtp, client, clock)
    answers = {}
    for address in ("rosa@example.org", "nobody@example.org"):
        response = send_form(client, "/manage/link", {"email": address})
        assert response.status_code == 303
        page = client.get(response.headers["Location"])
        answers[address] = (
            response.headers["Location"],
            page.status_code,
            without_csrf(page.get_data(as_text=True)),
        )
    assert answers["rosa@example.org"] == answers["nobody@example.org"]
    assert "If we have an application from that address" in answers["nobody@example.org"][2]

    deliver_due(clock())
    assert emails_to(smtp, "nobody@example.org") == []
    (mail,) = _link_emails(smtp, "rosa@example.org")
    text = text_of(mail)
    reference = db.session.scalars(select(Application.reference)).one()
    assert reference in text
    assert "On the waitlist" in text
    new = link_in(mail)
    assert new != first
    # Both the new link and the first one work.
    for path in (new, first):
        page = client.get(path)
        assert page.status_code == 200
        assert reference in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ManageToken)) == 2


def test_the_address_is_matched_whatever_its_case(smtp, client, ctx, clock):
    apply(smtp, client, clock)
    send_form(client, "/manage/link", {"email": "  Rosa@Example.ORG "})
    deliver_due(clock())
    assert len(_link_emails(smtp, "rosa@example.org")) == 1


def test_a_double_click_sends_one_email_and_later_asks_send_again(smtp, client, htmx, ctx, clock):
    apply(smtp, client, clock)
    token = csrf_token(htmx.get("/manage/link").get_data(as_text=True))
    for _ in range(2):
        response = htmx.post(
            "/manage/link", data={"email": "rosa@example.org", "csrf_token": token}
        )
        assert response.status_code == 200
        assert response.headers["HX-Redirect"] == "/manage/link/sent"
    clock.advance(minutes=11)
    htmx.post("/manage/link", data={"email": "rosa@example.org", "csrf_token": token})
    assert (
        db.session.scalar(select(func.count()).where(OutboxMessage.template == "manage_link")) == 2
    )


def test_an_invalid_address_is_a_422_with_the_answer_kept(client, htmx):
    response = send_form(client, "/manage/link", {"email": "rosa at example"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter an e-mail address like name@example.org." in page
    assert 'value="rosa at example"' in page

    token = csrf_token(htmx.get("/manage/link").get_data(as_text=True))
    response = htmx.post("/manage/link", data={"email": "", "csrf_token": token})
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<form")
    assert "Enter your e-mail address." in fragment


def test_asking_for_a_link_is_rate_limited(app_config, request):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_MANAGE_LINK="2 per hour")
    client = request.getfixturevalue("client")
    token = csrf_token(client.get("/manage/link").get_data(as_text=True))
    statuses = [
        client.post(
            "/manage/link", data={"email": f"p{i}@example.org", "csrf_token": token}
        ).status_code
        for i in range(3)
    ]
    assert statuses == [303, 303, 429]


def test_the_invalid_link_page_offers_a_new_link(client):
    response = client.get("/manage/not-a-real-token")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'href="/manage/link"' in page
    assert response.headers["Cache-Control"] == "no-store"
    for sub in ("/details", "/delete", "/data.json", "/withdraw/ABCD-1234"):
        assert client.get("/manage/not-a-real-token" + sub).status_code == 404


def test_pages_are_in_the_applicants_language_unless_they_pick_another(smtp, client, ctx, clock):
    client.get("/?lang=es")
    path = apply(smtp, client, clock)
    browser = client.application.test_client()  # a fresh browser, no language chosen
    page = browser.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "<h1>Su solicitud</h1>" in page
    page = browser.get(path + "?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    # The choice holds on the next pages, to the last one.
    page = browser.get(path + "/details").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    send_form(browser, path + "/delete", {"confirm": "y"})
    page = browser.get("/manage/deleted").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page


@pytest.mark.parametrize(
    "suffix", ["", "/details", "/delete", "/data.json", "/withdraw/{reference}"]
)
def test_every_page_is_kept_out_of_caches(smtp, client, ctx, clock, suffix):
    path = apply(smtp, client, clock)
    reference = db.session.scalars(select(Application.reference)).one()
    response = client.get(path + suffix.format(reference=reference))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/manage/link", "/manage/link/sent", "/manage/deleted"])
def test_public_pages_are_kept_out_of_caches_too(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
