"""Bulk e-mail to the current filtered waitlist: who gets it, what they read, once."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Application, BulkMessage, OutboxMessage, Program
from intake.outbox.delivery import deliver_due
from intake.status.services import move
from tests import factories
from tests.bulkmail.conftest import (
    CHINESE,
    ENGLISH,
    NEW,
    SEND,
    SPANISH,
    confirm,
    open_form,
    preview,
    send_from,
)

HX = {"HX-Request": "true"}


def _intro(ctx) -> str:
    return f"?program={factories.program('introductory').id}"


def _bulk_mail() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == "bulk_message")
            .order_by(OutboxMessage.id)
        )
    )


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# Who gets it ---------------------------------------------------------------------------


def test_the_confirmation_counts_people_per_language_and_says_who_is_left_out(
    coordinator_client, person, ctx
):
    for i in range(3):
        person(f"English {i}")
    for i in range(2):
        person(f"Spanish {i}", locale="es")
    person("Chinese 0", locale="zh")
    person("Gone Away", status="withdrawn")
    person("No Consent", consent=False)
    person("Done Already", status="completed")
    query = _intro(ctx) + "&status=all"

    page = open_form(coordinator_client, query)
    assert "This will e-mail 6 people: 3 in English, 2 in Spanish, 1 in Chinese." in page
    assert "1 withdrawn application (never e-mailed: they left the list)" in page
    assert "1 completed application" in page
    assert "1 person who did not agree to be e-mailed or deleted their data" in page
    # A version for every language present, English required.
    assert 'name="subject_es"' in page
    assert 'name="subject_zh"' in page

    page = confirm(coordinator_client, query, **ENGLISH, **SPANISH)
    assert "This will e-mail 6 people: 3 in English, 2 in Spanish, 1 in Chinese." in page
    assert "No Chinese version: these people get the English text" in page
    assert "Send to 6 people" in page
    # Each version through the real template, with a sample greeting.
    assert "Hello Alex Sample," in page
    assert "Hola Alex Sample," in page or "Alex Sample" in page
    assert "Noticias de los grupos" in page
    assert _count(BulkMessage) == 0  # a preview sends nothing


def test_only_languages_present_are_asked_for(coordinator_client, person, ctx):
    person("Only English")
    page = open_form(coordinator_client, _intro(ctx))
    assert "This will e-mail 1 person: 1 in English." in page
    assert 'name="subject_es"' not in page


def test_sending_delivers_each_version_in_its_language_with_reply_to_and_timeline(
    smtp, coordinator_client, person, ctx, clock
):
    intro = factories.program("introductory")
    intro.coordinator_email = "intro-team@example.org"
    db.session.commit()
    rosa = person("Rosa Inglés", email="rosa@example.org")
    ana = person("Ana Española", locale="es", email="ana@example.org")
    li = person("Li Zhong", locale="zh", email="li@example.org")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH, **SPANISH, **CHINESE)

    response = send_from(coordinator_client, page, query)
    assert response.status_code == 303
    assert response.headers["Location"] == "/coord/bulk-email"
    listing = coordinator_client.get("/coord/bulk-email").get_data(as_text=True)
    assert "Queued “News about the groups” to 3 people." in listing
    assert "Coordinator" in listing  # who sent it
    assert "English, Spanish, Chinese" in listing

    [message] = db.session.scalars(select(BulkMessage)).all()
    assert message.recipient_count == 3
    assert message.program_id == intro.id
    assert message.created_by_id == coordinator_client.user.id
    assert message.filters == {"program": str(intro.id)}
    keys = {m.dedup_key for m in _bulk_mail()}
    assert keys == {f"bulk:{message.id}:{a.applicant_id}" for a in (rosa, ana, li)}

    assert deliver_due(clock()).sent == 3
    mails = {m["To"]: m for m in smtp.messages}
    assert mails["rosa@example.org"]["Subject"] == "News about the groups"
    assert mails["ana@example.org"]["Subject"] == "Noticias de los grupos"
    assert mails["li@example.org"]["Subject"] == "小组消息"
    spanish = mails["ana@example.org"].get_body(("plain",)).get_content()
    assert "Hola del equipo." in spanish
    assert "Pronto empieza un grupo." in spanish
    assert "https://intake.example.org/manage/" in spanish  # her private link
    chinese_html = mails["li@example.org"].get_body(("html",)).get_content()
    assert "<p>团队向您问好。</p>" in chinese_html
    assert all(m["Reply-To"] == "intro-team@example.org" for m in mails.values())

    # In each person's timeline, with the subject they got.
    timeline = coordinator_client.get(f"/coord/applications/{ana.id}").get_data(as_text=True)
    assert "Bulk e-mail: Noticias de los grupos" in timeline


def test_a_missing_version_sends_the_english_text_in_their_own_frame(
    smtp, coordinator_client, person, ctx, clock
):
    person("Ana Española", locale="es", email="ana@example.org")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    assert "No Spanish version" in page
    assert send_from(coordinator_client, page, query).status_code == 303
    deliver_due(clock())
    [mail] = smtp.messages
    assert mail["Subject"] == "News about the groups"
    html_part = mail.get_body(("html",)).get_content()
    assert '<html lang="es">' in html_part  # greeting and footer in Spanish
    assert '<div lang="en">' in html_part  # the text, marked as English
    assert "Hello from the team." in html_part


def test_what_is_typed_arrives_as_text_never_markup(smtp, coordinator_client, person, ctx, clock):
    person("Rosa Inglés", email="rosa@example.org")
    query = _intro(ctx)
    body = 'Click <a href="https://evil.example/">here</a> & <script>alert(1)</script>\nline two'
    page = confirm(coordinator_client, query, subject_en="<b>Bold</b> news", body_en=body)
    assert '<a href="https://evil.example/">' not in page
    assert "&lt;a href=" in page
    assert send_from(coordinator_client, page, query).status_code == 303
    deliver_due(clock())
    [mail] = smtp.messages
    assert mail["Subject"] == "<b>Bold</b> news"
    html_part = mail.get_body(("html",)).get_content()
    assert "<script>" not in html_part
    assert 'href="https://evil.example/"' not in html_part
    assert "Click &lt;a href=&#34;https://evil.example/&#34;&gt;here&lt;/a&gt; &amp; " in html_part
    assert "&lt;/script&gt;<br>line two</p>" in html_part
    text = mail.get_body(("plain",)).get_content()
    assert body.replace("\n", "\n") in text.replace("\r\n", "\n")


# Bad input -----------------------------------------------------------------------------


def test_a_line_break_in_the_subject_is_refused_with_what_was_typed(
    coordinator_client, person, ctx
):
    person("Rosa Inglés")
    query = _intro(ctx)
    response = preview(
        coordinator_client,
        query,
        subject_en="Hello\r\nBcc: everyone@example.org",
        body_en="Text kept here",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A subject is one line: remove the line break." in page
    assert "Text kept here" in page
    assert _count(BulkMessage) == 0


def test_english_is_required_and_a_version_needs_both_parts(coordinator_client, person, ctx):
    person("Ana Española", locale="es")
    query = _intro(ctx)
    response = preview(coordinator_client, query, subject_en="", body_en="", **SPANISH)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write a subject in English" in page
    assert "Noticias de los grupos" in page  # kept

    response = preview(coordinator_client, query, **ENGLISH, subject_es="Solo asunto")
    assert response.status_code == 422
    assert "Write both a subject and a text in Spanish, or neither" in response.get_data(
        as_text=True
    )

    response = preview(coordinator_client, query, subject_en="x" * 151, body_en="Text")
    assert response.status_code == 422
    assert "Keep the subject to 150 characters." in response.get_data(as_text=True)


# The list is the waitlist's ----------------------------------------------------------


def test_filters_are_respected_program_status_and_search(
    smtp, coordinator_client, person, ctx, clock
):
    person("Rosa Match", email="rosa@example.org")
    person("Rosa Offered", email="offered@example.org", status="offered")
    person("Bob Other", email="bob@example.org")
    person("Rosa Elsewhere", email="bipoc@example.org", program="bipoc-intensive")
    query = _intro(ctx) + "&q=rosa"
    page = confirm(coordinator_client, query, **ENGLISH)
    assert "This will e-mail 1 person" in page  # waiting only, by default
    assert send_from(coordinator_client, page, query).status_code == 303
    deliver_due(clock())
    assert [m["To"] for m in smtp.messages] == ["rosa@example.org"]

    smtp.messages.clear()
    query = _intro(ctx) + "&q=rosa&status=offered"
    page = confirm(coordinator_client, query, **ENGLISH)
    assert send_from(coordinator_client, page, query).status_code == 303
    deliver_due(clock())
    assert [m["To"] for m in smtp.messages] == ["offered@example.org"]
    message = db.session.scalars(select(BulkMessage).order_by(BulkMessage.id.desc())).first()
    assert message.filters["q"] == "rosa"
    assert message.filters["status"] == "offered"


def test_the_waitlist_links_to_the_e_mail_with_its_filters(coordinator_client, person, ctx):
    person("Rosa Match")
    intro = factories.program("introductory").id
    page = coordinator_client.get(f"/coord/waitlist?program={intro}&q=rosa&page=1")
    html_page = page.get_data(as_text=True)
    assert f'href="/coord/bulk-email/new?q=rosa&amp;program={intro}"' in html_page


def test_a_coordinator_cannot_e_mail_another_programs_people(
    app, person, ctx, make_coordinator, login, clock
):
    person("Intro Person", email="intro@example.org")
    person("Hidden Person", email="hidden@example.org", program="bipoc-intensive")
    client = app.test_client()
    client.user = make_coordinator(email="intro@example.org", programs=["introductory"])
    login(client, client.user)
    bipoc = factories.program("bipoc-intensive").id

    # Their only program is chosen for them; the other program's people are not counted.
    page = open_form(client)
    assert "This will e-mail 1 person: 1 in English." in page
    # Asking for the other program by editing the address: refused, nothing sent.
    page = open_form(client, f"?program={bipoc}")
    assert "could not be used, so nothing can be sent" in page
    assert "Hidden Person" not in page
    good = confirm(client, "", **ENGLISH)
    response = send_from(client, good, f"?program={bipoc}")
    assert response.status_code == 422
    assert _count(BulkMessage) == 0
    assert _bulk_mail() == []
    # Their own send reaches their own people only.
    assert send_from(client, good).status_code == 303
    assert [m.to_addr for m in _bulk_mail()] == ["intro@example.org"]


def test_an_admin_of_several_programs_chooses_one(admin_client, person, ctx):
    person("Intro Person")
    page = open_form(admin_client)
    assert "A bulk e-mail is sent for one program" in page
    intro = factories.program("introductory")
    assert f"/coord/bulk-email/new?program={intro.id}" in page
    assert "This will e-mail" not in page


# Never twice, never to someone who left ------------------------------------------------


def test_someone_who_withdraws_after_the_preview_is_not_e_mailed(
    coordinator_client, person, ctx, clock
):
    stays = person("Stays Here", email="stays@example.org")
    leaves = person("Leaves Now", email="leaves@example.org")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    assert "Send to 2 people" in page

    move(db.session.get(Application, leaves.id), "withdrawn", actor="applicant", now=clock())
    db.session.commit()
    response = send_from(coordinator_client, page, query)
    assert response.status_code == 303
    assert [m.to_addr for m in _bulk_mail()] == ["stays@example.org"]
    listing = coordinator_client.get("/coord/bulk-email").get_data(as_text=True)
    assert "to 1 person. 1 fewer than when you checked" in listing
    assert stays.id


def test_someone_who_joins_after_the_preview_asks_for_a_new_check(coordinator_client, person, ctx):
    person("First Person")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    person("Late Joiner")
    response = send_from(coordinator_client, page, query)
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert "The list changed since you checked" in again
    assert "Send to 2 people" in again
    assert _count(BulkMessage) == 0
    assert send_from(coordinator_client, again, query).status_code == 303
    assert len(_bulk_mail()) == 2


def test_sending_twice_sends_once(smtp, coordinator_client, person, ctx, clock):
    person("Rosa Inglés", email="rosa@example.org")
    person("Bo Inglés", email="bo@example.org")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    assert send_from(coordinator_client, page, query).status_code == 303
    again = send_from(coordinator_client, page, query, headers=HX)
    assert again.headers["HX-Redirect"] == "/coord/bulk-email"
    listing = coordinator_client.get("/coord/bulk-email").get_data(as_text=True)
    assert "This message was already sent, to 2 people" in listing
    # In the workspace's one date format (the programs' time zone), not UTC by hand.
    assert "people, on Mar 2, 2026, 9:00\u202fAM. Nothing was sent again." in listing
    assert _count(BulkMessage) == 1
    deliver_due(clock())
    assert sorted(m["To"] for m in smtp.messages) == ["bo@example.org", "rosa@example.org"]


def test_a_person_with_two_applications_on_the_list_gets_one_e_mail(
    coordinator_client, person, ctx, clock
):
    first = person("Agency Lead", agency_name="Split Agency", seats=4)
    second = Application(
        applicant_id=first.applicant_id,
        program_id=first.program_id,
        reference="SPLT-2345",
        status="waitlisted",
        decision={"outcome": "pass", "rules": []},
        seats_requested=2,
        split_from_id=first.id,
        joined_at=clock(),
        created_at=clock(),
        updated_at=clock(),
    )
    db.session.add(second)
    db.session.commit()
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    assert "This will e-mail 1 person: 1 in English." in page
    assert "1 more application of people already counted: one e-mail each" in page
    assert send_from(coordinator_client, page, query).status_code == 303
    assert len(_bulk_mail()) == 1


# htmx, the list of sent e-mails, counting --------------------------------------------


def test_with_htmx_each_step_swaps_the_page_and_sending_redirects(coordinator_client, person, ctx):
    person("Rosa Inglés")
    query = _intro(ctx)
    response = preview(coordinator_client, query, headers=HX, **ENGLISH)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="bulk-page"')
    assert "Send to 1 person" in fragment

    bad = preview(coordinator_client, query, headers=HX, subject_en="", body_en="x")
    assert bad.status_code == 422
    assert "<html" not in bad.get_data(as_text=True)

    response = send_from(coordinator_client, fragment, query, headers=HX)
    assert response.headers["HX-Redirect"] == "/coord/bulk-email"
    assert len(_bulk_mail()) == 1


def test_changing_the_message_brings_back_the_form_with_the_text(coordinator_client, person, ctx):
    person("Rosa Inglés")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    from tests.bulkmail.conftest import _hidden

    data = _hidden(page, "bulk-edit")
    response = coordinator_client.post(NEW + query, data=data)
    assert response.status_code == 200
    form = response.get_data(as_text=True)
    assert "A new group starts soon." in form
    assert 'value="News about the groups"' in form
    assert data["form_token"] in form


def test_counting_does_not_grow_with_the_list(coordinator_client, person, ctx, statements):
    query = _intro(ctx)
    for i in range(3):
        person(f"Person {i}", locale=("en", "es", "zh")[i])
    open_form(coordinator_client, query)
    statements.clear()
    open_form(coordinator_client, query)
    few = len(statements)
    for i in range(30):
        person(f"More {i}", locale=("en", "es", "zh")[i % 3], commit=False)
    db.session.commit()
    statements.clear()
    open_form(coordinator_client, query)
    assert len(statements) == few


def test_the_list_of_sent_e_mails_is_scoped(app, person, ctx, make_coordinator, login, clock):
    db.session.add(
        BulkMessage(
            form_token="x" * 32,
            program_id=factories.program("bipoc-intensive").id,
            filters={"q": "secret search"},
            versions={"en": {"subject": "Hidden subject", "body": "b"}},
            recipient_count=3,
            created_at=clock(),
        )
    )
    db.session.commit()
    client = app.test_client()
    client.user = make_coordinator(email="intro@example.org", programs=["introductory"])
    login(client, client.user)
    page = client.get("/coord/bulk-email").get_data(as_text=True)
    assert "Hidden subject" not in page
    assert "secret search" not in page
    assert "No bulk e-mail has been sent yet." in page


def test_unknown_program_in_the_query_is_refused(coordinator_client, ctx):
    response = coordinator_client.post(
        SEND + "?program=2147483647", data={"subject_en": "x", "body_en": "y"}
    )
    assert response.status_code in (400, 422)
    assert quote("x")
    assert db.session.scalar(select(func.count()).select_from(Program))


def test_people_who_deleted_their_data_are_never_e_mailed(coordinator_client, person, ctx, clock):
    from intake.manage.services import delete_personal_data

    person("Stays Here", email="stays@example.org")
    deleted = person("Deleted Soon", email="deleted@example.org")
    delete_personal_data(deleted.applicant, clock())
    db.session.commit()
    query = _intro(ctx) + "&status=all"
    page = confirm(coordinator_client, query, **ENGLISH)
    assert "This will e-mail 1 person: 1 in English." in page
    assert "1 withdrawn application" in page
    assert send_from(coordinator_client, page, query).status_code == 303
    assert [m.to_addr for m in _bulk_mail()] == ["stays@example.org"]


def test_sending_loads_nothing_per_person(coordinator_client, person, ctx, statements):
    """Each extra person costs only their outbox row (enqueue's look-up and insert)."""
    query = _intro(ctx)

    def send_to(count: int) -> int:
        for i in range(count):
            person(f"Person {count}-{i}", locale=("en", "es")[i % 2], commit=False)
        db.session.commit()
        page = confirm(coordinator_client, query, **ENGLISH, **SPANISH)
        statements.clear()
        assert send_from(coordinator_client, page, query).status_code == 303
        used = len(statements)
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.template == "bulk_message")
            .values(status="sent")
        )
        for application in db.session.scalars(select(Application)):
            application.status = "closed"
        db.session.commit()
        return used

    few, many = send_to(2), send_to(12)
    assert many - few <= 10 * 4


def test_a_new_language_since_the_preview_asks_for_a_new_check(
    coordinator_client, person, ctx, clock
):
    person("Stays Here")
    leaves = person("Leaves Now")
    query = _intro(ctx)
    page = confirm(coordinator_client, query, **ENGLISH)
    # As many people as before, but one now reads Chinese, which the preview did not show.
    move(db.session.get(Application, leaves.id), "withdrawn", actor="applicant", now=clock())
    person("Li Zhong", locale="zh")
    response = send_from(coordinator_client, page, query)
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert "This will e-mail 2 people: 1 in English, 1 in Chinese." in again
    assert "No Chinese version" in again
    assert _count(BulkMessage) == 0
