"""What applicants see and may do while a program's cycle is open, not open yet or
closed: the lines on the public pages, the application form refusing a closed
program (also one that closed while the form was open), and the cycle kept."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import Applicant, Application, OpeningNotice
from tests.factories import add_window, program
from tests.helpers import (
    APPLICATION_DETAILS,
    complete_screener,
    csrf_token,
    open_application,
    submit_application,
    without_csrf,
)

# The clock starts on 2026-03-02 at 17:00 UTC, 09:00 in the programs' time zone.
CLOSES = datetime(2026, 3, 31, 0, 30, tzinfo=UTC)  # 30 March, 17:30 Pacific


def _open_window(clock, **kwargs):
    return add_window("introductory", clock() - timedelta(days=1), CLOSES, **kwargs)


def _text(response) -> str:
    # Babel puts a narrow no-break space before AM/PM.
    return response.get_data(as_text=True).replace("\u202f", " ")


def test_the_program_list_shows_the_deadline_and_the_cycle(client, ctx, clock):
    _open_window(clock, translations={"es": "Ciclo 2027"})
    page = _text(client.get("/"))
    assert "Apply by March 30, 2026 at 5:30 PM." in page
    assert "2027 cycle — groups begin after January 2027" in page
    spanish = _text(client.get("/?lang=es"))
    assert "30 de marzo de 2026" in spanish
    assert "Ciclo 2027" in spanish


def test_a_program_not_open_yet_says_when_it_opens(client, ctx, clock):
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    page = _text(client.get("/programs/introductory"))
    assert "Applications open March 5, 2026 at 9:00 AM." in page
    assert "Check if you can join" not in page
    assert "E-mail me when it opens" in page


def test_a_program_after_its_last_window_takes_no_applications(client, ctx, clock):
    add_window("introductory", clock() - timedelta(days=30), clock() - timedelta(days=1))
    assert "Not taking applications now." in _text(client.get("/"))
    page = _text(client.get("/programs/introductory"))
    assert "Not taking applications now." in page
    assert "E-mail me when it opens" in page


def test_a_program_without_windows_shows_no_line(client, ctx):
    page = _text(client.get("/programs/introductory"))
    assert "Apply by" not in page
    assert "Not taking applications" not in page
    assert "Check if you can join" in page


def test_the_screener_says_a_closed_program_fits_but_cannot_be_applied_to(client, ctx, clock):
    for slug in ("introductory", "reflective-practice-group"):
        add_window(slug, clock() - timedelta(days=30), clock() - timedelta(days=1))
    page = _text(complete_screener(client))
    assert "This program fits your answers, but it is not taking applications now." in page
    assert "/programs/introductory/notify" in page
    assert "Continue to your application" not in page
    assert "Results updated: 0 programs you can apply for." in page
    page = _text(client.get("/apply"))
    assert "The programs that fit your answers are not taking applications now." in page
    assert 'name="programs"' not in page


def test_the_form_offers_only_open_programs_with_their_deadline(client, ctx, clock):
    _open_window(clock)
    add_window("reflective-practice-group", clock() + timedelta(days=3), CLOSES)
    complete_screener(client)
    page, _, _ = open_application(client)
    page = page.replace("\u202f", " ")
    assert 'value="introductory"' in page
    assert 'value="reflective-practice-group"' not in page
    assert "Apply by March 30, 2026 at 5:30 PM." in page
    assert "/programs/reflective-practice-group/notify" in page


def test_an_application_keeps_the_window_it_came_in(client, ctx, clock):
    window = _open_window(clock)
    response = submit_application(client)
    assert response.status_code == 303
    application = db.session.scalars(select(Application)).one()
    assert application.window_id == window.id


def test_without_windows_an_application_has_no_cycle(client, ctx):
    assert submit_application(client).status_code == 303
    assert db.session.scalars(select(Application)).one().window_id is None


def test_a_form_sent_after_the_window_closed_is_refused_with_everything_kept(client, ctx, clock):
    add_window("introductory", clock() - timedelta(days=1), clock() + timedelta(hours=1))
    complete_screener(client)
    _, csrf, token = open_application(client)
    clock.advance(hours=1)  # the deadline, exactly: closed
    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data)
    page = _text(response)
    assert response.status_code == 422
    assert "is not taking applications now, so this application cannot go to it" in page
    assert 'value="Rosa Example"' in page
    assert 'value="rosa@example.org"' in page
    assert db.session.scalars(select(Applicant)).all() == []


def test_a_form_sent_a_microsecond_before_the_deadline_is_taken(client, ctx, clock):
    add_window("introductory", clock() - timedelta(days=1), clock() + timedelta(hours=1))
    complete_screener(client)
    _, csrf, token = open_application(client)
    clock.advance(hours=1, microseconds=-1)
    data = {**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token}
    assert client.post("/apply", data=data).status_code == 303
    assert db.session.scalars(select(Application)).one().window_id is not None


def test_a_closed_program_posted_anyway_is_refused(client, ctx, clock):
    add_window("reflective-practice-group", clock() + timedelta(days=3), CLOSES)
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {
        **APPLICATION_DETAILS,
        "programs": ["introductory", "reflective-practice-group"],
        "csrf_token": csrf,
        "form_token": token,
    }
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    assert "is not taking applications now" in _text(response)
    assert db.session.scalars(select(Application)).all() == []


# "E-mail me when it opens" --------------------------------------------------------------


def _ask(client, email="Someone@Example.org", slug="introductory", **headers):
    page = client.get(f"/programs/{slug}")
    return client.post(
        f"/programs/{slug}/notify",
        data={"email": email, "csrf_token": csrf_token(page.get_data(as_text=True))},
        headers=headers,
    )


def test_an_address_is_kept_once_and_the_answer_is_the_same(client, ctx, clock):
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    first, second = _ask(client), _ask(client, email="someone@example.org")
    assert first.status_code == second.status_code == 200
    assert without_csrf(_text(first)) == without_csrf(_text(second))
    assert "We will send one e-mail to that address when applications open" in _text(first)
    [notice] = db.session.scalars(select(OpeningNotice)).all()
    assert notice.email_key == "someone@example.org"
    assert notice.locale == "en"


def test_an_address_is_not_kept_while_the_program_is_open(client, ctx, clock):
    # The form was loaded while the program took no applications; it opened meanwhile
    # (a program taking applications shows no form, so its page carries no token).
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    page = client.get("/programs/introductory").get_data(as_text=True)
    clock.advance(days=4)
    response = client.post(
        "/programs/introductory/notify",
        data={"email": "Someone@Example.org", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200
    assert "This program is taking applications now." in _text(response)
    assert db.session.scalars(select(OpeningNotice)).all() == []


def test_a_bad_address_comes_back_with_what_was_typed(htmx, ctx, clock):
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    response = _ask(htmx, email="not an address", **{"HX-Request": "true"})
    page = _text(response)
    assert response.status_code == 422
    assert page.lstrip().startswith("<form")
    assert 'value="not an address"' in page
    assert db.session.scalars(select(OpeningNotice)).all() == []


def test_the_notice_form_needs_its_csrf_token(client, ctx, clock):
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    response = client.post("/programs/introductory/notify", data={"email": "a@example.org"})
    assert response.status_code in (400, 422)
    assert db.session.scalars(select(OpeningNotice)).all() == []


def test_the_notice_form_is_rate_limited(app_config, request, clock):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_OPENING_NOTICE="2 per hour")
    client = request.getfixturevalue("client")
    request.getfixturevalue("ctx")
    add_window("introductory", clock() + timedelta(days=3), CLOSES)
    statuses = [_ask(client, email=f"p{i}@example.org").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert len(db.session.scalars(select(OpeningNotice)).all()) == 2


def test_a_program_an_admin_closed_has_no_notice_form(client, ctx):
    program("introductory").is_open = False
    db.session.commit()
    assert client.get("/programs/introductory/notify").status_code == 404
