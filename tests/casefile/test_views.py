import re

from sqlalchemy import event, select, update

from intake.extensions import db
from intake.models import Application, AuditEvent, Note, OutboxMessage, StatusEvent
from intake.outbox.delivery import deliver_due
from tests.helpers import csrf_token, submit_application
from tests.review.support import outbox, received, reload

HX = {"HX-Request": "true"}


def _url(application, part=""):
    return f"/coord/applications/{application.id}{part}"


def _post(client, application, part, **data):
    token = csrf_token(client.get(_url(application)).get_data(as_text=True))
    headers = data.pop("headers", None)
    return client.post(_url(application, part), data={**data, "csrf_token": token}, headers=headers)


def _audit(application, kind):
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.application_id == application.id, AuditEvent.kind == kind)
            .order_by(AuditEvent.id)
        )
    )


def _submit_twice(app, **details):
    """The same person applies twice for the same program: the second is flagged."""
    for _ in range(2):
        response = submit_application(app.test_client(), **details)
        assert response.status_code == 303
    db.session.rollback()
    first, second = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert (second.duplicate_of_id, second.duplicate_reason) == (first.id, "same_email")
    return first, second


# The page ------------------------------------------------------------------------


def test_page_shows_answers_decision_and_a_timeline_of_every_kind(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    application = apply_for_review(
        "Ana Review", access_needs=["captions"], access_needs_other="A quiet room"
    )
    assert deliver_due(clock()).sent == 1  # "received": sent
    clock.advance(minutes=5)
    assert _post(coordinator_client, application, "/notes", body="Called her.\nLeft a message.")
    clock.advance(minutes=5)
    _post(
        coordinator_client, application, "/priority", priority="3", reason="Referred by a partner."
    )
    clock.advance(minutes=5)
    _post(coordinator_client, application, "/approve", reason="Retreat support arranged.")
    # One more message that could not be delivered.
    failed = OutboxMessage(
        dedup_key="test:failed",
        template="review_approved",
        to_addr="ana@example.org",
        subject="A message that failed",
        text_body="Body",
        html_body="<p>Body</p>",
        locale="en",
        applicant_id=application.applicant_id,
        status="failed",
        attempts=8,
        next_attempt_at=clock(),
        last_error="SMTPRecipientsRefused: mailbox unavailable",
        created_at=clock.advance(minutes=1),
    )
    db.session.add(failed)
    db.session.commit()

    response = coordinator_client.get(_url(application))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Answers
    assert "ana@example.org" in page
    assert "English, Español" in page
    assert "Weekday evenings" in page
    assert "Live captions (CART)" in page
    assert "A quiet room" in page
    assert "Home visitor (including nurse home visitor)" in page
    assert "Can attend the in-person retreat" in page
    assert "I am not sure yet" in page
    # The decision, each rule with its result and reason
    assert "A rule asked for a coordinator&#39;s review." in page
    assert "You were not sure you can attend the in-person retreat." in page
    # The timeline: status events, audit events, notes and e-mails with their state
    timeline = page[page.index('id="timeline"') :]
    expected_in_order = [
        "Submitted</strong>",
        "Submitted → Being reviewed",
        "E-mail: We received your application",
        "Called her.\nLeft a message.",
        "Priority changed from 0 to 3",
        "Referred by a partner.",
        "Being reviewed → Eligible",
        "Retreat support arranged.",
        "Eligible → On the waitlist",
        "E-mail: You are on the waitlist",
        "E-mail: A message that failed",
    ]
    positions = [timeline.index(text) for text in expected_in_order]
    assert positions == sorted(positions)
    assert "by Coordinator" in timeline  # who acted
    # In the programs' time zone, to the minute (17:00 UTC is 9 am in Seattle in March).
    assert re.search(
        r'Sent on <time datetime="2026-03-02T17:00:00\+00:00">Mar 2, 2026, 9:00\u202fAM</time>'
        r" · 1 attempt\b",
        timeline,
    )
    assert re.search(r"Queued · 0 attempts", timeline)
    assert re.search(r"Failed · 8 attempts", timeline)
    assert "Last error: SMTPRecipientsRefused: mailbox unavailable" in timeline
    assert "%%LINK:" not in page
    assert "[private link to the applicant&#39;s page]" in timeline


def test_agency_page_shows_agency_details_and_seats(coordinator_client, apply_for_review, ctx):
    application = apply_for_review("Dana Lead", agency=True)
    page = coordinator_client.get(_url(application)).get_data(as_text=True)
    assert "Little Sprouts Family Center" in page
    assert "100 Example Way, Seattle, WA 98104" in page
    assert "Staff seats requested</dt><dd>6</dd>" in page
    assert "Executive Director" in page
    assert "These ZIP codes do not look like King County ZIP codes: 98402." in page


def test_unknown_application_is_a_404_page(coordinator_client):
    response = coordinator_client.get("/coord/applications/999999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert coordinator_client.post("/coord/applications/999999/notes").status_code in (400, 404)


def test_only_the_actions_the_status_allows_are_offered(
    coordinator_client, apply_for_review, app, ctx
):
    in_review = apply_for_review("Ana Review")
    page = coordinator_client.get(_url(in_review)).get_data(as_text=True)
    for part in ("/approve", "/decline", "/withdraw", "/priority"):
        assert f'action="{_url(in_review, part)}"' in page
    assert "Hello Ana Review," in page  # the decline message, prefilled
    assert "/duplicate" not in page

    assert submit_application(app.test_client(), email="wait@example.org").status_code == 303
    waitlisted = db.session.scalars(
        select(Application).where(Application.status == "waitlisted")
    ).one()
    page = coordinator_client.get(_url(waitlisted)).get_data(as_text=True)
    assert "/approve" not in page
    assert "/decline" not in page
    assert f'action="{_url(waitlisted, "/withdraw")}"' in page
    assert f'action="{_url(waitlisted, "/priority")}"' in page

    _post(coordinator_client, waitlisted, "/withdraw", reason="Asked us by phone.")
    page = coordinator_client.get(_url(waitlisted)).get_data(as_text=True)
    assert "None: an application that is withdrawn cannot change any more." in page
    assert not re.search(r'action="[^"]+/(approve|decline|withdraw|priority)"', page)

    # A form the page no longer offers changes nothing, and says why.
    response = _post(coordinator_client, waitlisted, "/priority", priority="4", reason="Why not")
    assert response.status_code == 303
    assert "That is not possible now: this application is Withdrawn." in (
        coordinator_client.get(_url(waitlisted)).get_data(as_text=True)
    )
    assert reload(waitlisted).priority == 0


# Notes and priority --------------------------------------------------------------


def test_notes_are_added_and_an_empty_one_is_refused(coordinator_client, apply_for_review, ctx):
    application = apply_for_review("Ana Review")
    response = _post(coordinator_client, application, "/notes", body="   ")
    assert response.status_code == 422
    assert "Write the note first." in response.get_data(as_text=True)

    response = _post(coordinator_client, application, "/notes", body="Spoke with her manager.")
    assert response.status_code == 303
    assert response.headers["Location"] == _url(application)
    db.session.rollback()
    note = db.session.scalars(select(Note)).one()
    assert (note.body, note.author_id) == ("Spoke with her manager.", coordinator_client.user.id)


def test_priority_change_needs_a_reason_and_is_recorded(coordinator_client, apply_for_review, ctx):
    application = apply_for_review("Ana Review")

    response = _post(coordinator_client, application, "/priority", priority="5", reason="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#priority-reason"' in page
    assert "Give a reason" in page
    assert 'value="5"' in page  # the answer is kept
    for bad, message in (("abc", "Not a valid integer value."), ("500", "from -99 to 99")):
        response = _post(coordinator_client, application, "/priority", priority=bad, reason="x")
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = _post(coordinator_client, application, "/priority", priority="0", reason="x")
    assert "The priority is already 0." in response.get_data(as_text=True)
    assert reload(application).priority == 0
    assert _audit(application, "priority") == []

    response = _post(
        coordinator_client, application, "/priority", priority="5", reason="Waited two years."
    )
    assert response.status_code == 303
    assert reload(application).priority == 5
    [event] = _audit(application, "priority")
    assert event.detail == {"from": 0, "to": 5}
    assert (event.reason, event.actor_id) == ("Waited two years.", coordinator_client.user.id)
    assert "Priority changed from 0 to 5." in coordinator_client.get(_url(application)).get_data(
        as_text=True
    )


# Approve, decline and withdraw from the page -----------------------------------


def test_approve_and_decline_from_the_page_reuse_the_review(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    approved, declined = apply_for_review("Ana A"), apply_for_review("Bo B")
    deliver_due(clock())

    response = _post(coordinator_client, approved, "/approve", reason="")
    assert response.status_code == 422
    assert reload(approved).status == "needs_review"
    assert _post(coordinator_client, approved, "/approve", reason="Fine.").status_code == 303
    assert reload(approved).status == "waitlisted"

    response = _post(
        coordinator_client, declined, "/decline", reason="No retreat.", message="Dear Bo, sorry."
    )
    assert response.status_code == 303
    assert reload(declined).status == "ineligible"
    deliver_due(clock())
    assert [m["To"] for m in received(smtp, "You are on the waitlist")] == ["ana@example.org"]
    [mail] = received(smtp, "About your application")
    assert "Dear Bo, sorry." in mail.get_body(("plain",)).get_content()

    # Deciding again (a second coordinator, or a stale page) changes nothing.
    response = _post(coordinator_client, approved, "/decline", reason="x", message="y")
    assert response.status_code == 303
    page = coordinator_client.get(_url(approved)).get_data(as_text=True)
    assert "no longer waiting for review (now On the waitlist)" in page
    response = _post(coordinator_client, approved, "/approve", reason="x", headers=HX)
    assert response.status_code == 200
    assert "no longer waiting for review" in response.get_data(as_text=True)
    assert reload(approved).status == "waitlisted"
    assert len(outbox("review_approved")) == 1
    assert len(outbox("review_declined")) == 1


def test_withdraw_needs_a_reason_and_tells_the_applicant(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    application = apply_for_review("Ana Review", lang="es")
    deliver_due(clock())
    assert _post(coordinator_client, application, "/withdraw", reason=" ").status_code == 422
    assert reload(application).status == "needs_review"

    response = _post(coordinator_client, application, "/withdraw", reason="Moved away.")
    assert response.status_code == 303
    application = reload(application)
    assert application.status == "withdrawn"
    db.session.rollback()
    last = db.session.scalars(
        select(StatusEvent).where(StatusEvent.application_id == application.id)
    ).all()[-1]
    assert (last.to_status, last.actor, last.actor_id, last.reason) == (
        "withdrawn",
        "coordinator",
        coordinator_client.user.id,
        "Moved away.",
    )
    deliver_due(clock())
    [mail] = received(smtp, "Se retiró su solicitud")  # in her language
    assert application.reference in mail["Subject"]
    assert (
        "El equipo de coordinación retiró su solicitud" in mail.get_body(("plain",)).get_content()
    )
    assert '<html lang="es">' in mail.get_body(("html",)).get_content()
    assert "Moved away." not in mail.get_body(("plain",)).get_content()  # kept internal


# Duplicates ----------------------------------------------------------------------


def test_a_possible_duplicate_is_shown_side_by_side_and_resolved_once(coordinator_client, app, ctx):
    first, second = _submit_twice(app)
    page = coordinator_client.get(_url(second)).get_data(as_text=True)
    assert "Possible duplicate" in page
    assert "same e-mail address" in page
    assert f'href="{_url(first)}"' in page
    assert first.reference in page
    assert second.reference in page
    # The other application's page points here.
    assert f'href="{_url(second)}"' in coordinator_client.get(_url(first)).get_data(as_text=True)

    response = _post(coordinator_client, second, "/duplicate", resolution="keep_both", reason="")
    assert response.status_code == 422
    assert reload(second).duplicate_resolution is None

    response = _post(
        coordinator_client,
        second,
        "/duplicate",
        resolution="keep_both",
        reason="Two roles, two groups.",
    )
    assert response.status_code == 303
    second = reload(second)
    assert (second.duplicate_resolution, second.status) == ("keep_both", "waitlisted")
    assert second.duplicate_resolved_at is not None
    [event] = _audit(second, "duplicate")
    assert event.detail["resolution"] == "keep_both"
    assert event.detail["other_reference"] == first.reference
    assert event.reason == "Two roles, two groups."
    page = coordinator_client.get(_url(second)).get_data(as_text=True)
    assert "both applications stay" in page
    assert "/duplicate" not in page  # no form any more

    # A second attempt (a stale page, a double click) changes nothing and says so.
    response = _post(
        coordinator_client, second, "/duplicate", resolution="merged", reason="Changed my mind"
    )
    assert response.status_code == 303
    page = coordinator_client.get(_url(second)).get_data(as_text=True)
    assert "already resolved (both were kept)" in page
    assert reload(second).status == "waitlisted"
    assert len(_audit(second, "duplicate")) == 1


def test_merging_a_duplicate_withdraws_this_one_and_keeps_the_other(
    smtp, coordinator_client, app, ctx, clock
):
    first, second = _submit_twice(app)
    deliver_due(clock())
    response = _post(
        coordinator_client, second, "/duplicate", resolution="merged", reason="Sent twice."
    )
    assert response.status_code == 303
    first, second = reload(first), reload(second)
    assert (second.status, second.duplicate_resolution) == ("withdrawn", "merged")
    assert first.status == "waitlisted"
    [event] = _audit(second, "duplicate")
    assert event.detail["resolution"] == "merged"
    deliver_due(clock())
    [mail] = received(smtp, "Your application was withdrawn")
    assert second.reference in mail["Subject"]
    assert "so we closed this copy" in mail.get_body(("plain",)).get_content()


# Self-identification -------------------------------------------------------------


def test_self_identification_shows_only_to_the_programs_coordinators(
    make_coordinator, login, apply_for_review, app, ctx
):
    application = apply_for_review("Ana Review")
    theirs = login(
        app.test_client(), make_coordinator(email="bipoc@example.org", programs=["bipoc-intensive"])
    )
    other = login(
        app.test_client(), make_coordinator(email="intro@example.org", programs=["introductory"])
    )

    page = theirs.get(_url(application)).get_data(as_text=True)
    assert "Identifies as Black, Indigenous, or a Person of Color (BIPOC)</dt>" in page
    assert re.search(r"\(BIPOC\)</dt>\s*<dd>Yes</dd>", page)
    assert "Self-identifies as Black, Indigenous and/or a Person of Color" in page  # the rule

    page = other.get(_url(application)).get_data(as_text=True)
    assert "Self-identification" not in page
    assert "BIPOC" not in page.replace("Intensive reflective practice for BIPOC practitioners", "")
    assert "Self-identifies as" not in page


# htmx ----------------------------------------------------------------------------


def test_htmx_forms_swap_their_part_and_the_timeline(coordinator_client, apply_for_review, ctx):
    application = apply_for_review("Ana Review")

    response = _post(coordinator_client, application, "/notes", body="A new note.", headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<section id="note-form"')
    assert 'id="note-body"' in fragment
    assert "A new note.</textarea>" not in fragment
    timeline = fragment[fragment.index('<section id="timeline"') :]
    assert timeline.startswith('<section id="timeline" class="casefile-timeline"')
    assert 'hx-swap-oob="true"' in timeline.split(">")[0]
    assert "A new note." in timeline
    assert 'id="casefile-notice"' in fragment
    assert "Note added." in fragment

    response = _post(coordinator_client, application, "/notes", body="", headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 422
    assert fragment.lstrip().startswith('<section id="note-form"')
    assert "Write the note first." in fragment
    assert 'id="timeline"' not in fragment

    response = _post(
        coordinator_client, application, "/priority", priority="7", reason="Urgent", headers=HX
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="actions"')
    summary = fragment[fragment.index('<section id="summary"') :]
    assert 'hx-swap-oob="true"' in summary.split(">")[0]
    assert "<dt>Priority</dt><dd>7</dd>" in summary
    assert "Priority changed from 0 to 7" in fragment

    response = _post(coordinator_client, application, "/approve", reason="OK", headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    actions = fragment[: fragment.index("</section>")]
    assert "/approve" not in actions
    assert "/withdraw" in actions
    assert "On the waitlist" in fragment
    assert reload(application).status == "waitlisted"


def test_htmx_duplicate_form_swaps_its_part(coordinator_client, app, ctx):
    _, second = _submit_twice(app)
    response = _post(
        coordinator_client, second, "/duplicate", resolution="keep_both", reason="OK", headers=HX
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="duplicate"')
    assert "both applications stay" in fragment
    assert "Possible duplicate resolved: kept both" in fragment  # the timeline, out of band


def test_the_page_needs_a_signed_in_coordinator(client, apply_for_review, ctx):
    application = apply_for_review("Ana Review")
    response = client.get(_url(application))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login")
    # Nothing about the application leaks to the login redirect.
    assert application.reference not in response.get_data(as_text=True)


def test_stale_withdraw_is_refused_by_the_database(coordinator_client, apply_for_review, ctx):
    """Another request withdrew the application after this page was loaded."""
    application = apply_for_review("Ana Review")
    token = csrf_token(coordinator_client.get(_url(application)).get_data(as_text=True))
    db.session.execute(
        update(Application).where(Application.id == application.id).values(status="withdrawn")
    )
    db.session.commit()
    response = coordinator_client.post(
        _url(application, "/withdraw"), data={"reason": "Twice", "csrf_token": token}
    )
    assert response.status_code == 303
    assert outbox("withdrawn_by_coordinator") == []


def test_page_query_count_does_not_grow_with_the_history(
    coordinator_client, apply_for_review, app, ctx
):
    application = apply_for_review("Ana Review")
    second = apply_for_review("Bo Review")

    def count_queries(target):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        url = _url(target)  # the test's own lazy load is not the page's
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert coordinator_client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    baseline = count_queries(application)
    for number in range(4):
        _post(coordinator_client, second, "/notes", body=f"Note {number}")
        _post(coordinator_client, second, "/priority", priority=str(number + 1), reason="Moved")
    assert count_queries(second) == baseline
