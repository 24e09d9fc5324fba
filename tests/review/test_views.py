import re

from sqlalchemy import event, func, select

from intake.extensions import db
from intake.models import Application, OutboxMessage, StatusEvent
from intake.outbox.delivery import deliver_due
from tests.helpers import csrf_token, submit_application
from tests.review.support import outbox, received, reload

QUEUE = "/coord/review"
REASON = "Talked by phone: the retreat dates work with support."


def _token(client, url=QUEUE) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def _act(client, ids, action, reason=REASON, url=QUEUE, **extra):
    data = {"ids": [str(i) for i in ids], "action": action, "csrf_token": _token(client)}
    if reason is not None:
        data["reason"] = reason
    return client.post(url, data={**data, **extra})


def _events(application):
    db.session.rollback()
    return list(
        db.session.scalars(
            select(StatusEvent)
            .where(StatusEvent.application_id == application.id)
            .order_by(StatusEvent.id)
        )
    )


def _checked(page: str) -> set[str]:
    return set(re.findall(r'name="ids" value="(\d+)" id="select-\d+" checked', page))


# The queue -----------------------------------------------------------------------


def test_queue_lists_only_applications_in_review_with_each_rules_reason(
    coordinator_client, apply_for_review, app, ctx, clock
):
    first = apply_for_review("Ana Review")
    clock.advance(minutes=5)
    second = apply_for_review("Bo Review")
    waitlisted_client = app.test_client()
    assert submit_application(waitlisted_client, email="wait@example.org").status_code == 303
    waitlisted = db.session.scalars(
        select(Application).where(Application.status == "waitlisted")
    ).one()

    response = coordinator_client.get(QUEUE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert first.reference in page
    assert second.reference in page
    assert waitlisted.reference not in page
    assert page.index(first.reference) < page.index(second.reference)  # oldest first
    assert "2 waiting for review" in page
    # Each rule's label and, where it did not pass, its reason in plain words.
    assert "Can attend the in-person retreat" in page
    assert "You were not sure you can attend the in-person retreat." in page
    assert "Works with children prenatal to five and/or their families" in page
    # A self-identification rule would give the answer away: never in the table.
    assert "Self-identifies as Black, Indigenous" not in page


def test_queue_filters_by_program_and_pages_keep_the_filter(
    coordinator_client, apply_for_review, monkeypatch, ctx
):
    import intake.review.views

    monkeypatch.setattr(intake.review.views, "PER_PAGE", 2)
    individual = [apply_for_review(name) for name in ("Ana A", "Bo B", "Cy C")]
    agency = apply_for_review("Dana Lead", agency=True)

    page = coordinator_client.get(f"{QUEUE}?program=king-county-consultation").get_data(
        as_text=True
    )
    assert agency.reference in page
    assert not any(a.reference in page for a in individual)
    assert "98402" in page  # the reason names the ZIP code outside King County
    assert "Little Sprouts Family Center" in page

    page = coordinator_client.get(f"{QUEUE}?program=bipoc-intensive").get_data(as_text=True)
    assert [a.reference in page for a in individual] == [True, True, False]
    assert agency.reference not in page
    assert 'href="/coord/review?program=bipoc-intensive&amp;page=2"' in page

    # With htmx: only the queue's part, and the links keep the URL in sync.
    response = coordinator_client.get(
        f"{QUEUE}?program=bipoc-intensive&page=2", headers={"HX-Request": "true"}
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="review"')
    assert individual[2].reference in fragment
    assert individual[0].reference not in fragment
    assert 'hx-push-url="true"' in fragment
    assert "Vary" in response.headers
    assert "HX-Request" in response.headers["Vary"]


def test_queue_query_count_does_not_grow_with_rows(coordinator_client, apply_for_review, app):
    def count_queries():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert coordinator_client.get(QUEUE).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    apply_for_review("Ana A")
    with_one = count_queries()
    for name in ("Bo B", "Cy C", "Di D", "Ed E"):
        apply_for_review(name)
    assert count_queries() == with_one


# Approve -------------------------------------------------------------------------


def test_approve_one_moves_it_records_who_and_why_and_emails_in_their_language(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    application = apply_for_review("Ana Review", lang="es")
    deliver_due(clock())  # the "received" e-mail, out of the way
    clock.advance(minutes=10)

    response = _act(coordinator_client, [application.id], "approve")
    assert response.status_code == 303
    assert response.headers["Location"] == QUEUE
    page = coordinator_client.get(QUEUE).get_data(as_text=True)
    assert f"Approved and added to the waitlist: {application.reference}." in page
    assert "Nothing is waiting for review" in page

    application = reload(application)
    assert application.status == "waitlisted"
    assert application.joined_at == clock()
    moves = [
        (e.from_status, e.to_status, e.actor, e.actor_id, e.reason) for e in _events(application)
    ]
    me = coordinator_client.user.id
    assert moves[-2:] == [
        ("needs_review", "eligible", "coordinator", me, REASON),
        ("eligible", "waitlisted", "coordinator", me, REASON),
    ]

    [message] = outbox("review_approved")
    assert (message.locale, message.dedup_key) == ("es", f"review:{application.id}:approved")
    assert deliver_due(clock()).sent == 1
    [mail] = received(smtp, "Está en la lista de espera")  # in her language
    assert mail["To"] == "ana@example.org"
    assert application.reference in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "https://intake.example.org/manage/" in text  # a fresh private link
    assert '<html lang="es">' in html  # rendered in the applicant's language


def test_htmx_approve_redirects_and_decline_step_swaps_the_queue(
    coordinator_client, apply_for_review, ctx
):
    first, second = apply_for_review("Ana A"), apply_for_review("Bo B")
    token = _token(coordinator_client)
    hx = {"HX-Request": "true"}

    response = coordinator_client.post(
        QUEUE,
        data={"ids": [first.id], "action": "approve", "reason": REASON, "csrf_token": token},
        headers=hx,
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == QUEUE
    assert reload(first).status == "waitlisted"

    response = coordinator_client.post(
        QUEUE,
        data={"ids": [second.id], "action": "decline", "reason": REASON, "csrf_token": token},
        headers=hx,
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    # The next step takes the whole queue page's place, heading included.
    assert fragment.lstrip().startswith('<div id="review-page"')
    assert response.headers["HX-Retarget"] == "#review-page"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert fragment.count("<h1>") == 1
    assert "Decline 1 application" in fragment
    assert f'name="message_{second.id}"' in fragment
    assert reload(second).status == "needs_review"  # nothing decided yet


# Decline -------------------------------------------------------------------------


def test_decline_shows_the_message_prefilled_and_sends_the_edited_text(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    application = apply_for_review("Ana Review")
    deliver_due(clock())

    response = _act(coordinator_client, [application.id], "decline")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Decline 1 application" in page
    textarea = re.search(
        rf'<textarea[^>]*name="message_{application.id}"[^>]*>(.*?)</textarea>', page, re.S
    ).group(1)
    assert "Hello Ana Review," in textarea
    assert application.reference in textarea
    # The rule's reason in plain words, and where to look instead.
    assert "You were not sure you can attend the in-person retreat." in textarea
    assert "https://intake.example.org/" in textarea
    assert REASON in page  # the reason from the queue is carried over
    assert reload(application).status == "needs_review"

    edited = (
        "Hello Ana,\r\n\r\nThe retreat is required this year. <b>Please</b> apply again"
        "\r\nin the spring.\r\n\r\nBest wishes, Mo"
    )
    response = coordinator_client.post(
        f"{QUEUE}/decline",
        data={
            "ids": [application.id],
            "reason": "Retreat dates cannot move.",
            f"message_{application.id}": edited,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 303
    assert f"Declined: {application.reference}." in coordinator_client.get(QUEUE).get_data(
        as_text=True
    )
    application = reload(application)
    assert application.status == "ineligible"
    last = _events(application)[-1]
    assert (last.to_status, last.actor_id, last.reason) == (
        "ineligible",
        coordinator_client.user.id,
        "Retreat dates cannot move.",
    )

    deliver_due(clock())
    [mail] = received(smtp, "About your application")
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert "The retreat is required this year. <b>Please</b> apply again\nin the spring." in text
    assert "not the right fit" not in text  # the coordinator's words, not the default
    # The HTML part is safe: the text escaped, blank lines as paragraphs.
    assert "<b>Please</b>" not in html
    assert "&lt;b&gt;Please&lt;/b&gt; apply again<br>in the spring.</p>" in html
    assert "<p>Best wishes, Mo</p>" in html


def test_bulk_approve_and_bulk_decline_several(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    apps = [apply_for_review(name) for name in ("Ana A", "Bo B", "Cy C", "Di D", "Ed E")]
    deliver_due(clock())

    response = _act(coordinator_client, [apps[0].id, apps[1].id], "approve")
    assert response.status_code == 303

    page = _act(coordinator_client, [apps[2].id, apps[3].id], "decline").get_data(as_text=True)
    assert "Decline 2 applications" in page
    data = {
        "ids": [apps[2].id, apps[3].id],
        "reason": "Cannot attend the retreat.",
        "csrf_token": csrf_token(page),
        f"message_{apps[2].id}": "Dear Cy, not this time.",
        f"message_{apps[3].id}": "Dear Di, not this time either.",
    }
    assert coordinator_client.post(f"{QUEUE}/decline", data=data).status_code == 303

    statuses = [reload(a).status for a in apps]
    assert statuses == ["waitlisted", "waitlisted", "ineligible", "ineligible", "needs_review"]
    assert len(outbox("review_approved")) == 2
    assert len(outbox("review_declined")) == 2
    assert deliver_due(clock()).sent == 4
    declined = {m["To"]: m.get_body(("plain",)).get_content() for m in received(smtp, "About")}
    assert "Dear Cy, not this time." in declined["cy@example.org"]
    assert "Dear Di, not this time either." in declined["di@example.org"]
    approved = sorted(m["To"] for m in received(smtp, "You are on the waitlist"))
    assert approved == ["ana@example.org", "bo@example.org"]


def test_missing_reason_is_refused_next_to_the_field_and_keeps_the_selection(
    coordinator_client, apply_for_review, ctx
):
    first, second = apply_for_review("Ana A"), apply_for_review("Bo B")

    for action in ("approve", "decline"):
        response = _act(coordinator_client, [second.id], action, reason="  ")
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="error-summary"' in page
        assert 'href="#reason"' in page
        assert 'id="reason-error"' in page
        assert "Give a reason: it is recorded with the decision." in page
        assert _checked(page) == {str(second.id)}

    response = _act(coordinator_client, [], "approve")
    assert response.status_code == 422
    assert "Tick at least one application." in response.get_data(as_text=True)

    # With htmx, the queue's part with the errors.
    response = coordinator_client.post(
        QUEUE,
        data={"ids": [first.id], "action": "approve", "csrf_token": _token(coordinator_client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert "Give a reason" in fragment
    assert _checked(fragment) == {str(first.id)}

    # The decline step also needs a reason, and a message.
    page = _act(coordinator_client, [first.id], "decline").get_data(as_text=True)
    response = coordinator_client.post(
        f"{QUEUE}/decline",
        data={
            "ids": [first.id],
            "reason": "",
            f"message_{first.id}": " ",
            "csrf_token": csrf_token(page),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give a reason" in page
    assert "Write the message the applicant will receive." in page
    assert f'href="#message_{first.id}"' in page

    assert [reload(a).status for a in (first, second)] == ["needs_review", "needs_review"]
    assert outbox("review_approved") == outbox("review_declined") == []


def test_double_submit_sends_one_email(coordinator_client, apply_for_review, ctx):
    first, second = apply_for_review("Ana A"), apply_for_review("Bo B")

    assert _act(coordinator_client, [first.id], "approve").status_code == 303
    assert _act(coordinator_client, [first.id], "approve").status_code == 303
    page = coordinator_client.get(QUEUE).get_data(as_text=True)
    assert f"left as they were: {first.reference} (On the waitlist)" in page

    page = _act(coordinator_client, [second.id], "decline").get_data(as_text=True)
    data = {
        "ids": [second.id],
        "reason": "Not this time.",
        f"message_{second.id}": "Dear Bo, not this time.",
        "csrf_token": csrf_token(page),
    }
    assert coordinator_client.post(f"{QUEUE}/decline", data=data).status_code == 303
    assert coordinator_client.post(f"{QUEUE}/decline", data=data).status_code == 303

    assert len(outbox("review_approved")) == 1
    assert len(outbox("review_declined")) == 1
    assert [e.to_status for e in _events(first)].count("waitlisted") == 1
    assert [e.to_status for e in _events(second)].count("ineligible") == 1


def test_two_coordinators_racing_get_one_outcome_and_a_clear_message(
    coordinator_client, make_coordinator, login, apply_for_review, app, ctx
):
    application = apply_for_review("Ana A")
    other = login(app.test_client(), make_coordinator(email="second@example.org"))

    # Both open the queue; the second starts writing a decline message.
    compose = _act(other, [application.id], "decline").get_data(as_text=True)
    assert f'name="message_{application.id}"' in compose
    # The first approves.
    assert _act(coordinator_client, [application.id], "approve").status_code == 303

    response = other.post(
        f"{QUEUE}/decline",
        data={
            "ids": [application.id],
            "reason": "Not this time.",
            f"message_{application.id}": "Dear Ana, not this time.",
            "csrf_token": csrf_token(compose),
        },
    )
    assert response.status_code == 303
    page = other.get(QUEUE).get_data(as_text=True)
    assert (
        f"Already decided by someone else, so left as they were: {application.reference} "
        "(On the waitlist)." in page
    )
    # The same when the second coordinator is only starting to decline.
    response = _act(other, [application.id], "decline")
    assert response.status_code == 303
    assert "Already decided by someone else" in other.get(QUEUE).get_data(as_text=True)

    assert reload(application).status == "waitlisted"
    assert len(outbox("review_approved")) == 1
    assert outbox("review_declined") == []
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedup_key.like("review:%"))
        )
        == 1
    )


def test_queue_needs_a_signed_in_coordinator(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login")


def test_a_decision_without_the_csrf_token_is_refused(coordinator_client, apply_for_review, ctx):
    application = apply_for_review("Ana A")
    response = coordinator_client.post(
        QUEUE, data={"ids": [application.id], "action": "approve", "reason": REASON}
    )
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert reload(application).status == "needs_review"
