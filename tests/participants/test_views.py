"""The director's staff pages, the named person's own page, the individual's manage
page and the coordinator's application page: through the real pages, with e-mail
over SMTP on loopback."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from intake.extensions import db
from intake.models import Attendance, OutboxMessage, ParticipantToken
from intake.outbox.delivery import deliver_due
from tests.helpers import csrf_token
from tests.participants.support import (
    STAFF,
    enrolled,
    name_one,
    new_manage_link,
    participant_path,
    staff_of,
)
from tests.respond.support import deliver, only, text

HX = {"HX-Request": "true"}


def test_a_director_names_staff_and_each_gets_their_own_working_link(smtp, app, ctx, client, clock):
    application, cohort, manage = enrolled(clock, agency=True, seats=2)
    status = client.get(manage).get_data(as_text=True)
    assert "Named for your seats: 0 of 2." in status
    page = client.get(f"{manage}/staff/{application.reference}").get_data(as_text=True)
    assert "Named so far: 0 of 2" in page
    assert "Please name everyone by" in page

    response = name_one(client, manage, application)
    assert response.status_code == 303
    shown = client.get(response.location).get_data(as_text=True)
    assert "Ana Staff is named for a seat. We have e-mailed them their own link." in shown
    assert "Named so far: 1 of 2" in shown
    [ana] = staff_of(application)
    assert (ana.applicant_id, ana.cohort_id, ana.locale, ana.role) == (
        None,
        cohort.id,
        "es",
        "home_visitor",
    )
    assert ana.access_needs == ["asl_interpreter"]

    welcome = only(deliver(smtp, clock()), "Group 1")
    assert welcome["To"] == "ana@example.org"
    assert welcome["Subject"] == "Tiene un lugar en Group 1"
    assert "Little Sprouts" in text(welcome)
    path = participant_path(welcome)
    assert f'href="https://intake.example.org{path}"' in welcome.get_body(("html",)).get_content()
    # The welcome is about the link: the layout's own-page lines are not added twice.
    assert text(welcome).count("/participant/") == 1
    assert welcome.get_body(("html",)).get_content().count("/participant/") == 1
    # Only the token's hash is kept.
    token = path.rsplit("/", 1)[1]
    [stored] = db.session.scalars(select(ParticipantToken)).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (db.session.scalars(select(OutboxMessage.text_body)).all()[-1])

    mine = app.test_client().get(path)
    assert mine.status_code == 200
    assert mine.headers["Referrer-Policy"] == "strict-origin"
    assert mine.headers["Cache-Control"] == "no-store"
    body = mine.get_data(as_text=True)
    assert "Su grupo" in body
    assert "Little Sprouts" in body
    assert "Group 1" in body
    assert body.count("Enlace de la videollamada") == 6


def test_naming_with_htmx_redirects_and_a_refused_form_swaps_itself(smtp, app, ctx, client, clock):
    application, _, manage = enrolled(clock, agency=True, seats=2)
    response = name_one(client, manage, application, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith(f"/staff/{application.reference}")

    refused = name_one(client, manage, application, headers=HX, email="not an address")
    assert refused.status_code == 422
    fragment = refused.get_data(as_text=True)
    assert "<html" not in fragment
    assert 'id="staff-form"' in fragment
    assert "Enter an e-mail address like name@example.org." in fragment
    assert len(staff_of(application)) == 1


def test_a_bad_address_or_control_characters_are_refused_with_answers_kept(app, ctx, client, clock):
    application, _, manage = enrolled(clock, agency=True)
    refused = name_one(client, manage, application, email="ana@")
    assert refused.status_code == 422
    assert "Enter an e-mail address like name@example.org." in refused.get_data(as_text=True)
    marked = name_one(client, manage, application, name="An\x00a Staff")
    page = marked.get_data(as_text=True)
    assert marked.status_code == 422
    assert "had invisible control characters in it, which we removed" in page
    assert 'value="Ana Staff"' in page
    assert 'value="ana@example.org"' in page
    empty = name_one(client, manage, application, name="", role="")
    assert "Enter their name." in empty.get_data(as_text=True)
    assert "Choose their role." in empty.get_data(as_text=True)
    assert staff_of(application) == []


def test_never_more_named_than_seats_through_the_page(smtp, app, ctx, client, clock):
    application, _, manage = enrolled(clock, agency=True, seats=2)
    page = client.get(f"{manage}/staff/{application.reference}").get_data(as_text=True)
    token = csrf_token(page)
    path = f"{manage}/staff/{application.reference}"
    for who in ("ana", "bo", "cy"):
        client.post(
            path, data={**STAFF, "name": who, "email": f"{who}@example.org", "csrf_token": token}
        )
    assert [p.name for p in staff_of(application)] == ["ana", "bo"]
    shown = client.get(path).get_data(as_text=True)
    assert "Every seat already has someone named, so nobody was added." in shown
    assert "Every seat has someone named." in shown
    assert 'id="staff-form"' not in shown
    deliver_due(clock())
    welcomed = sorted(m["To"] for m in smtp.messages if "en Group 1" in m["Subject"])
    assert welcomed == ["ana@example.org", "bo@example.org"]


def test_replacing_someone_until_the_set_session_then_the_page_says_why_not(
    smtp, app, ctx, client, clock
):
    application, _, manage = enrolled(clock, agency=True, seats=1)
    name_one(client, manage, application, language="en")
    [ana] = staff_of(application)
    old_link = participant_path(only(deliver(smtp, clock()), "You have a seat in"))

    clock.advance(days=36)  # the first session was held
    manage = new_manage_link(application, clock)
    staff_page = client.get(f"{manage}/staff/{application.reference}").get_data(as_text=True)
    replace = f"{manage}/staff/{application.reference}/replace/{ana.id}"
    assert f'href="{replace}"' in staff_page
    form = client.get(replace).get_data(as_text=True)
    response = client.post(
        replace,
        data={
            **STAFF,
            "name": "Bo Staff",
            "email": "bo@example.org",
            "language": "zh",
            "csrf_token": csrf_token(form),
        },
    )
    assert response.status_code == 303
    assert "Bo Staff now has Ana Staff" in client.get(response.location).get_data(as_text=True)
    old, new = staff_of(application)
    assert (old.status, old.replaced_by_id, new.status) == ("replaced", new.id, "active")
    welcome = only(deliver(smtp, clock()), "Group 1")
    assert welcome["To"] == "bo@example.org"
    assert "在" in welcome["Subject"]
    chinese = app.test_client().get(participant_path(welcome))
    assert chinese.status_code == 200
    assert "您的小组" in chinese.get_data(as_text=True)
    gone = app.test_client().get(old_link)
    assert gone.status_code == 404
    assert "This link does not work" in gone.get_data(as_text=True)

    clock.advance(days=7)  # the second session was held: too late
    manage = new_manage_link(application, clock)
    staff_page = client.get(f"{manage}/staff/{application.reference}").get_data(as_text=True)
    assert "Nobody can be replaced any more: session 2 has been held." in staff_page
    late = f"{manage}/staff/{application.reference}/replace/{new.id}"
    page = client.get(late).get_data(as_text=True)
    assert "It is too late to replace someone: session 2 of the group has been held." in page
    refused = client.post(
        late,
        data={**STAFF, "name": "Cy", "email": "cy@example.org", "csrf_token": csrf_token(page)},
    )
    assert "It is too late to replace someone in this group." in client.get(
        refused.location
    ).get_data(as_text=True)
    assert [p.status for p in staff_of(application)] == ["replaced", "active"]


def test_only_the_directors_own_enrolled_application_and_people(app, ctx, client, clock):
    application, _, manage = enrolled(clock, agency=True)
    other, _, other_manage = enrolled(clock, agency=True, number=2)
    name_one(client, other_manage, other)
    [theirs] = staff_of(other)
    assert client.get(f"{manage}/staff/{other.reference}").status_code == 404
    assert (
        client.get(f"{manage}/staff/{application.reference}/replace/{theirs.id}").status_code == 404
    )
    individual, _, individual_manage = enrolled(clock, number=3)
    assert client.get(f"{individual_manage}/staff/{individual.reference}").status_code == 404
    assert client.get("/participant/not-a-token").status_code == 404
    assert client.get("/participant/" + "x" * 300).status_code == 404


def test_an_individuals_manage_page_shows_their_group(app, ctx, client, clock):
    application, cohort, manage = enrolled(clock)
    [me] = staff_of(application)
    cohort.sessions[2].status = "cancelled"
    db.session.add(
        Attendance(
            session_id=cohort.sessions[0].id,
            participant_id=me.id,
            status="present",
            recorded_at=clock(),
        )
    )
    db.session.commit()
    clock.advance(days=37)  # the first session held
    manage = new_manage_link(application, clock)
    page = client.get(manage).get_data(as_text=True)
    assert "Your group: Group 1" in page
    assert "Attended" in page
    assert "Cancelled" in page
    assert '<dd class="hours">1.5</dd>' in page
    for lang, words in (("es", "Su grupo"), ("zh", "您的小组")):
        assert words in client.get(f"{manage}?lang={lang}").get_data(as_text=True)


def test_the_coordinators_application_page_lists_the_named_staff(
    app, ctx, client, clock, make_coordinator, login
):
    application, _, manage = enrolled(clock, agency=True)
    name_one(client, manage, application)
    kc = login(app.test_client(), make_coordinator(programs=["king-county-consultation"]))
    page = kc.get(f"/coord/applications/{application.id}").get_data(as_text=True)
    assert "Named staff" in page
    assert "Ana Staff" in page
    assert "ana@example.org" in page
    assert "Spanish" in page or "Español" in page
    outsider = login(
        app.test_client(), make_coordinator(email="intro@example.org", programs=["introductory"])
    )
    assert outsider.get(f"/coord/applications/{application.id}").status_code == 404


def test_deleting_the_directors_data_forgets_the_people_named(smtp, app, ctx, client, clock):
    application, _, manage = enrolled(clock, agency=True)
    name_one(client, manage, application)
    path = participant_path(only(deliver(smtp, clock()), "Group 1"))
    name_one(client, manage, application, name="Bo Staff", email="bo@example.org")  # unsent
    page = client.get(f"{manage}/delete").get_data(as_text=True)
    response = client.post(
        f"{manage}/delete", data={"confirm": "y", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    people = staff_of(application)
    assert [p.status for p in people] == ["withdrawn", "withdrawn"]
    for person in people:
        assert "Staff" not in person.name
        assert "example.org" not in person.email
        assert (person.role, person.access_needs) == (None, [])
    assert db.session.scalars(select(ParticipantToken)).all() == []
    bodies = db.session.scalars(
        select(OutboxMessage.text_body).where(OutboxMessage.participant_id.is_not(None))
    ).all()
    assert len(bodies) == 1  # the sent one, scrubbed; the unsent one dropped
    assert "Ana" not in bodies[0]
    assert client.get(path).status_code == 404
