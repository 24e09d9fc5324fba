import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Application
from intake.outbox.delivery import deliver_due
from tests.helpers import submit_application


def test_manage_link_from_the_email_shows_the_status(smtp, client, ctx, clock):
    submit_application(client)
    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    path = re.search(r"https://intake\.example\.org(/manage/\S+)", text).group(1)

    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalars(select(Application.reference)).one() in page
    assert "On the waitlist" in page
    assert "Rosa Example" in page


def test_unknown_or_mangled_link_gets_a_clear_page(client):
    response = client.get("/manage/not-a-real-token")
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)
    assert client.get("/manage/" + "x" * 500).status_code == 404


def test_the_two_sections_have_different_names_in_every_language(smtp, client, ctx, clock):
    # Spanish said "Sus datos" for both "Your details" and "Your data" (issue 12).
    submit_application(client)
    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    path = re.search(r"https://intake\.example\.org(/manage/\S+)", text).group(1)
    for lang in ("en", "es", "zh"):
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        details = re.search(r'<h2 id="details-title">([^<]+)</h2>', page).group(1)
        data = re.search(r'<h2 id="data-title">([^<]+)</h2>', page).group(1)
        assert details != data, lang
