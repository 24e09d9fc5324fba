"""Manage links work for MANAGE_LINK_DAYS from the e-mail they came in; an expired
link changes and shows nothing, and offers a new link by e-mail."""

from intake.extensions import db
from intake.outbox.delivery import deliver_due
from tests.helpers import csrf_token, send_form
from tests.manage.support import applicant_by_email, apply, emails_to, link_in

DETAILS = {
    "name": "Rosa Changed",
    "phone": "206 555 0111",
    "languages": ["en"],
    "availability": ["weekday_evening"],
}


def test_a_link_works_until_its_last_day_and_using_it_does_not_extend_it(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    clock.advance(days=29, hours=23)
    assert client.get(path).status_code == 200
    assert client.get(path + "/data.json").status_code == 200

    clock.advance(hours=1)
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert response.headers["Cache-Control"] == "no-store"
    assert "This link has expired" in page
    assert "30 days" in page
    assert 'href="/manage/link"' in page
    # Nothing of the application is shown.
    assert "Rosa Example" not in page
    assert applicant_by_email("rosa@example.org").applications[0].reference not in page


def test_an_expired_link_opens_no_data_and_changes_nothing(smtp, client, ctx, clock, app):
    path = apply(smtp, client, clock)
    # The form is opened while the link works, and sent after it expired.
    token = csrf_token(client.get(path + "/details").get_data(as_text=True))
    clock.advance(days=31)

    export = client.get(path + "/data.json")
    assert export.status_code == 410
    assert "rosa@example.org" not in export.get_data(as_text=True)
    assert export.mimetype == "text/html"

    response = client.post(path + "/details", data={**DETAILS, "csrf_token": token})
    assert response.status_code == 410
    reference = applicant_by_email("rosa@example.org").applications[0].reference
    for sub in ("/delete", f"/withdraw/{reference}"):
        response = client.post(path + sub, data={"confirm": "y", "csrf_token": token})
        assert response.status_code == 410, sub

    applicant = applicant_by_email("rosa@example.org")
    assert applicant.name == "Rosa Example"
    assert applicant.applications[0].status == "waitlisted"


def test_the_expired_page_speaks_the_applicants_language(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    applicant = applicant_by_email("rosa@example.org")
    applicant.locale = "es"
    db.session.commit()
    clock.advance(days=30)
    page = client.get(path).get_data(as_text=True)
    assert "Este enlace ha caducado" in page
    assert "30 días" in page


def test_e_mail_me_my_link_renews_it(smtp, client, ctx, clock):
    old = apply(smtp, client, clock)
    clock.advance(days=40)
    assert client.get(old).status_code == 410

    response = send_form(client, "/manage/link", {"email": "rosa@example.org"})
    assert response.status_code == 303
    deliver_due(clock())
    new = link_in(
        [m for m in emails_to(smtp, "rosa@example.org") if "Your link" in m["Subject"]][-1]
    )
    assert new != old
    assert client.get(new).status_code == 200
    assert client.get(new + "/data.json").get_json()["applicant"]["email"] == "rosa@example.org"
    # The old link stays expired.
    assert client.get(old).status_code == 410

    clock.advance(days=30)
    assert client.get(new).status_code == 410


def test_the_lifetime_is_a_setting(smtp, client, ctx, clock, app):
    path = apply(smtp, client, clock)
    app.config["MANAGE_LINK_DAYS"] = 90
    clock.advance(days=60)
    assert client.get(path).status_code == 200
    clock.advance(days=30)
    assert client.get(path).status_code == 410
