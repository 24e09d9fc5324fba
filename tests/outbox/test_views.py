"""The E-mail page of the workspace: counts, the list by status, sending a failed
message again and a waiting one now, and reading a message as it is stored."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.links import ActionLink, ManageLink, marker, specs_to_json
from intake.models import ManageToken, OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import FORGOTTEN_RECIPIENT
from tests.helpers import TableReader, csrf_token, submit_application

# Helpers ---------------------------------------------------------------------------

# The link nonce of the rows the tests insert themselves.
NONCE = "0123456789abcdef0123456789abcdef"

COLUMNS = ["status", "subject", "recipient", "template", "created", "attempts", "next", "error"]


def rows(html: str) -> list[dict[str, str]]:
    reader = TableReader()
    reader.feed(html)
    return [
        dict(zip([*COLUMNS, "action"], row, strict=True)) for row in reader.rows if len(row) > 1
    ]


def subjects(html: str) -> list[str]:
    return [row["subject"] for row in rows(html)]


def count_of(html: str, label: str) -> int:
    match = re.search(rf"<dt>{label}</dt><dd>([\d,]+)</dd>", html)
    assert match, f"no {label} count on the page"
    return int(match.group(1).replace(",", ""))


def counts(html: str) -> tuple[int, int, int]:
    """(failed, waiting, sent) as the page shows them."""
    return count_of(html, "Failed"), count_of(html, "Waiting"), count_of(html, "Sent")


def notice(html: str) -> str:
    """The notice after an action: flashed on the page, or in the htmx fragment."""
    match = re.search(
        r'<div class="notice" role="status">\s*<p>(.*?)</p>', html, re.S
    ) or re.search(r'<p class="notice">(.*?)</p>', html, re.S)
    assert match, "no notice on the page"
    return " ".join(match.group(1).split())


def post(client, path: str, page_path: str, **data):
    """POST a button's form, with the CSRF token from the page the button is on."""
    page = client.get(page_path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data})


@pytest.fixture
def make_message(ctx, clock):
    """Insert an outbox row straight through the model; commits."""
    counter = itertools.count(1)

    def make(status: str = "queued", subject: str | None = None, **fields) -> OutboxMessage:
        n = next(counter)
        now = clock()
        values = {
            "dedup_key": f"test:{n}",
            "template": "application_received",
            "to_addr": f"person{n}@example.org",
            "subject": subject or f"Message {n:03d}",
            "text_body": f"Hello {n}.\n\nYour page: {marker(NONCE, 'manage_url')}\n",
            "html_body": f'<p>Hello {n}.</p><a href="{marker(NONCE, "manage_url")}">Your page</a>',
            "links": specs_to_json({"manage_url": ManageLink()}),
            "link_nonce": NONCE,
            "locale": "en",
            "status": status,
            "attempts": {"queued": 0, "sent": 1, "failed": 8}[status],
            "next_attempt_at": now,
            "created_at": now - timedelta(minutes=1000 - n),
            "sent_at": now if status == "sent" else None,
            "last_error": "SMTPRecipientsRefused: 550 no such user" if status == "failed" else None,
        }
        values.update(fields)
        message = OutboxMessage(**values)
        db.session.add(message)
        db.session.commit()
        return message

    return make


@pytest.fixture
def one_attempt(app_config):
    """A message fails for good after its first failed attempt."""
    app_config["OUTBOX_MAX_ATTEMPTS"] = 1


def _reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


# Who may see it ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, make_message):
    message = make_message("failed")
    for path in (
        "/coord/outbox",
        f"/coord/outbox/{message.id}",
        f"/coord/outbox/{message.id}/html",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/coord/login?next=")
    # A POST without a session (so without a CSRF token) changes nothing.
    response = client.post(f"/coord/outbox/{message.id}/resend")
    assert response.status_code == 400
    # With a token from a public page, the guard sends it to sign in instead.
    response = post(client, f"/coord/outbox/{message.id}/resend", "/coord/login")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coord/login?next=")
    assert _reload(message.id).status == "failed"


def test_a_coordinator_who_is_not_an_admin_may_use_it(coordinator_client, make_message):
    make_message("failed", subject="Could not be sent")
    page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    assert subjects(page) == ["Could not be sent"]
    assert coordinator_client.get("/coord/outbox/999999").status_code == 404


# Counts, order, filter and pages ----------------------------------------------------


def test_counts_and_failed_then_waiting_then_recently_sent(coordinator_client, make_message, clock):
    now = clock()
    make_message("sent", subject="Sent long ago", sent_at=now - timedelta(days=3))
    make_message(
        "sent",
        subject="Sent to a director",
        to_addr=FORGOTTEN_RECIPIENT,
        forget_recipient=True,
        sent_at=now - timedelta(hours=1),
    )
    make_message("queued", subject="Waiting, due later", next_attempt_at=now + timedelta(hours=2))
    make_message("failed", subject="Failed first")
    make_message("queued", subject="Waiting, due now", attempts=0)
    make_message("failed", subject="Failed second")

    page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    assert (count_of(page, "Failed"), count_of(page, "Waiting"), count_of(page, "Sent")) == (
        2,
        2,
        2,
    )
    # Failed (newest first), waiting (soonest first), then sent (most recent first).
    assert subjects(page) == [
        "Failed second",
        "Failed first",
        "Waiting, due now",
        "Waiting, due later",
        "Sent to a director",
        "Sent long ago",
    ]
    table = {row["subject"]: row for row in rows(page)}
    failed = table["Failed first"]
    assert failed["status"] == "Failed"
    assert failed["recipient"].endswith("@example.org")
    assert failed["template"] == "application_received"
    assert failed["attempts"] == "8"
    assert failed["error"] == "SMTPRecipientsRefused: 550 no such user"
    assert failed["action"] == "Send again"
    assert 'aria-label="Send again: Failed first">Send again</button>' in page
    assert table["Waiting, due later"]["next"] == "Mar 2, 2026, 11:00 AM"
    assert table["Waiting, due later"]["action"] == "Send now"
    assert 'aria-label="Send now: Waiting, due later">Send now</button>' in page
    assert table["Waiting, due now"]["next"] == "Due now"
    assert table["Waiting, due now"]["action"] == ""  # nothing to hurry
    # The recipient the app promised not to keep is shown as stored.
    assert table["Sent to a director"]["recipient"] == FORGOTTEN_RECIPIENT
    assert table["Sent to a director"]["status"] == "Sent Mar 2, 2026, 8:00 AM"
    assert table["Sent to a director"]["action"] == ""
    # The workspace menu carries the failed count.
    assert '>E-mail<span id="outbox-badge"> <span class="badge">2 failed</span></span></a>' in page


def test_no_badge_when_nothing_failed(coordinator_client, make_message):
    make_message("sent")
    page = coordinator_client.get("/coord/waitlist").get_data(as_text=True)
    assert 'href="/coord/outbox">E-mail<span id="outbox-badge"></span></a>' in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("failed", ["Failed"]),
        ("waiting", ["Waiting"]),
        ("sent", ["Sent"]),
        ("", ["Failed", "Waiting", "Sent"]),
    ],
)
def test_filter_by_status(coordinator_client, make_message, status, expected):
    for kind in ("sent", "queued", "failed"):
        make_message(kind, subject={"sent": "Sent", "queued": "Waiting", "failed": "Failed"}[kind])
    page = coordinator_client.get(f"/coord/outbox?status={status}").get_data(as_text=True)
    assert subjects(page) == expected
    # The counts are of the whole outbox, whatever the filter.
    assert (count_of(page, "Failed"), count_of(page, "Waiting"), count_of(page, "Sent")) == (
        1,
        1,
        1,
    )
    assert f'<option value="{status}" selected>' in page


def test_an_unknown_status_is_ignored_with_a_note(coordinator_client, make_message):
    make_message("failed", subject="Failed")
    make_message("sent", subject="Sent")
    response = coordinator_client.get("/coord/outbox?status=bounced")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ignored an unknown status: “bounced”." in page
    assert subjects(page) == ["Failed", "Sent"]


def test_the_filter_with_htmx_answers_the_results_and_counts_and_pushes_the_url(
    coordinator_client, make_message
):
    make_message("failed", subject="Failed")
    make_message("sent", subject="Sent")
    response = coordinator_client.get("/coord/outbox?status=sent", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "<h1>" not in html
    assert html.lstrip().startswith('<div id="outbox-results"')
    assert subjects(html) == ["Sent"]
    assert '<dl id="outbox-counts" class="outbox-counts" hx-swap-oob="true">' in html
    assert response.headers["HX-Push-Url"] == "/coord/outbox?status=sent"
    assert "HX-Request" in response.headers["Vary"]
    # A history restore gets the whole page.
    restore = coordinator_client.get(
        "/coord/outbox?status=sent",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<h1>E-mail</h1>" in restore.get_data(as_text=True)


def test_pages_of_fifty_and_statements_do_not_grow_with_rows(
    coordinator_client, make_message, statements
):
    for _ in range(3):
        make_message("failed")
    statements.clear()
    small = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    small_count = len(statements)
    assert len(rows(small)) == 3

    for _ in range(117):
        make_message("sent")
    statements.clear()
    large = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    assert len(statements) == small_count
    # The user, the session's idle check, the counts, one page of rows, the badge.
    assert small_count <= 6
    assert len(rows(large)) == 50
    assert "Showing 1–50 of 120" in large

    last = coordinator_client.get("/coord/outbox?page=3").get_data(as_text=True)
    assert len(rows(last)) == 20
    assert "Showing 101–120 of 120" in last
    assert 'href="/coord/outbox?page=2" hx-get="/coord/outbox?page=2" rel="prev"' in last
    # A page beyond the end shows the last; a nonsense page, the first.
    assert "Showing 101–120 of 120" in coordinator_client.get("/coord/outbox?page=99").get_data(
        as_text=True
    )
    assert "Showing 1–50 of 120" in coordinator_client.get("/coord/outbox?page=x").get_data(
        as_text=True
    )
    filtered = coordinator_client.get("/coord/outbox?status=sent&page=3").get_data(as_text=True)
    assert "Showing 101–117 of 117" in filtered
    assert 'href="/coord/outbox?status=sent&amp;page=2"' in filtered


# Send again ---------------------------------------------------------------------------


def _failed_application_email(client, smtp_down, clock) -> OutboxMessage:
    """An applicant's real "received" e-mail that failed for good (server down)."""
    assert submit_application(client).status_code == 303
    assert deliver_due(clock()).failed == 1
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == "failed"
    assert "ConnectionRefusedError" in message.last_error
    return message


def test_send_again_twice_delivers_once(
    one_attempt, smtp_down, client, coordinator_client, ctx, clock
):
    message = _failed_application_email(client, smtp_down, clock)
    old_error = message.last_error
    clock.advance(minutes=5)
    smtp_down.start()

    page = coordinator_client.get("/coord/outbox?status=failed").get_data(as_text=True)
    token = csrf_token(page)
    action = f"/coord/outbox/{message.id}/resend?status=failed"
    assert f'action="{action}"' in page
    # A double click: two POSTs with the same page's token.
    first = coordinator_client.post(action, data={"csrf_token": token})
    second = coordinator_client.post(action, data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == "/coord/outbox?status=failed"

    page = coordinator_client.get("/coord/outbox?status=failed").get_data(as_text=True)
    assert "Queued to be sent again." in page
    assert "This message is not failed any more (it is waiting). Nothing was changed." in page
    assert subjects(page) == []
    assert count_of(page, "Waiting") == 1
    assert count_of(page, "Failed") == 0

    row = _reload(message.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 0, clock())
    # The old error stays visible until the next attempt replaces or clears it.
    assert row.last_error == old_error
    waiting = coordinator_client.get("/coord/outbox?status=waiting").get_data(as_text=True)
    assert rows(waiting)[0]["error"] == old_error

    report = deliver_due(clock())
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert deliver_due(clock() + timedelta(days=1)).attempted == 0
    assert len(smtp_down.messages) == 1
    assert smtp_down.messages[0]["To"] == "rosa@example.org"
    row = _reload(message.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


def test_send_again_with_htmx_updates_the_results_and_counts_in_place(
    one_attempt, smtp_down, client, coordinator_client, ctx, clock
):
    message = _failed_application_email(client, smtp_down, clock)
    page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    response = coordinator_client.post(
        f"/coord/outbox/{message.id}/resend",
        data={"csrf_token": csrf_token(page)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="outbox-results"')
    assert notice(html) == "Queued to be sent again. The next delivery run sends it."
    assert [row["status"] for row in rows(html)] == ["Waiting"]
    assert count_of(html, "Failed") == 0
    assert count_of(html, "Waiting") == 1
    # The menu's failed count goes with it.
    assert '<span id="outbox-badge" hx-swap-oob="true"></span>' in html
    # A POST answer is not a place in history.
    assert "HX-Push-Url" not in response.headers
    assert _reload(message.id).status == "queued"


def test_send_again_is_only_for_failed_messages(coordinator_client, make_message, clock):
    waiting = make_message("queued", next_attempt_at=clock() + timedelta(hours=1))
    sent = make_message("sent")
    for message, state in ((waiting, "waiting"), (sent, "sent")):
        response = post(coordinator_client, f"/coord/outbox/{message.id}/resend", "/coord/outbox")
        assert response.status_code == 303
        page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
        assert notice(page) == (
            f"This message is not failed any more (it is {state}). Nothing was changed."
        )
    assert _reload(waiting.id).next_attempt_at == clock() + timedelta(hours=1)
    assert (_reload(sent.id).status, _reload(sent.id).attempts) == ("sent", 1)


def test_without_the_csrf_token_nothing_changes(coordinator_client, make_message):
    message = make_message("failed")
    assert coordinator_client.post(f"/coord/outbox/{message.id}/resend").status_code == 400
    assert coordinator_client.post(f"/coord/outbox/{message.id}/send-now").status_code == 400
    row = _reload(message.id)
    assert (row.status, row.attempts) == ("failed", 8)


# Send now -------------------------------------------------------------------------------


def test_send_now_brings_a_backed_off_message_forward(
    smtp_down, client, coordinator_client, ctx, clock
):
    assert submit_application(client).status_code == 303
    assert deliver_due(clock()).retried == 1  # server down: back-off of a minute
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.next_attempt_at == clock() + timedelta(seconds=60)
    smtp_down.start()
    clock.advance(seconds=10)
    assert deliver_due(clock()).attempted == 0

    page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    [row] = rows(page)
    assert row["next"] == "Mar 2, 2026, 9:01 AM"
    assert row["action"] == "Send now"
    response = coordinator_client.post(
        f"/coord/outbox/{message.id}/send-now", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    page = coordinator_client.get("/coord/outbox").get_data(as_text=True)
    assert notice(page) == "Due now: the next delivery run sends it."
    assert rows(page)[0]["next"] == "Due now"
    assert _reload(message.id).next_attempt_at == clock()

    assert deliver_due(clock()).sent == 1
    assert len(smtp_down.messages) == 1
    # Once sent, there is nothing to hurry.
    response = post(coordinator_client, f"/coord/outbox/{message.id}/send-now", "/coord/outbox")
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert notice(page) == "This message is not waiting any more (it is sent). Nothing was changed."
    assert deliver_due(clock() + timedelta(days=1)).attempted == 0
    assert len(smtp_down.messages) == 1


def test_buttons_on_the_message_page_come_back_to_it(coordinator_client, make_message, clock):
    message = make_message("failed", subject="Your application")
    path = f"/coord/outbox/{message.id}"
    page = coordinator_client.get(path).get_data(as_text=True)
    assert "Send again</button>" in page
    response = coordinator_client.post(
        f"{path}/resend", data={"csrf_token": csrf_token(page), "return_to": "message"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == path
    page = coordinator_client.get(path).get_data(as_text=True)
    assert "Queued to be sent again." in page
    assert "<dt>Next attempt</dt><dd>Due now</dd>" in page
    assert "Send again</button>" not in page
    assert "Send now</button>" not in page


# Reading a message ------------------------------------------------------------------------


def test_reading_a_message_shows_placeholders_never_a_link(client, coordinator_client, ctx):
    assert submit_application(client).status_code == 303
    message = db.session.scalars(select(OutboxMessage)).one()

    response = coordinator_client.get(f"/coord/outbox/{message.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>{message.subject}</h1>" in page
    assert "rosa@example.org" in page
    # The text part as stored: the manage link is words saying what goes there.
    text_part = re.search(r'<pre class="email-text">(.*?)</pre>', page, re.S).group(1)
    assert (
        "Check your application at any time with this private link:\n"
        "[private link to the applicant&#39;s page]"
    ) in text_part
    assert message.link_nonce not in page
    assert "/manage/" not in page
    assert "https://intake.example.org" not in page
    # Nothing was minted to show it.
    assert db.session.scalars(select(ManageToken)).all() == []
    # The HTML part is shown as escaped source, not as markup.
    assert (
        "&lt;a href=&#34;[private link to the applicant&#39;s page]&#34;&gt;"
        "Check your application&lt;/a&gt;"
    ) in page
    assert 'href="[private' not in page
    # And has a link to it as plain text.
    html = coordinator_client.get(f"/coord/outbox/{message.id}/html")
    assert html.status_code == 200
    assert html.mimetype == "text/plain"
    assert html.get_data(as_text=True) == message.html_body.replace(
        marker(message.link_nonce, "manage_url"), "[private link to the applicant's page]"
    )
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    # The applicant's application is one click away.
    assert 'href="/coord/applications/' in page


def test_html_that_would_run_is_only_ever_text(coordinator_client, make_message):
    message = make_message(
        "sent", html_body='<script>alert("x")</script><img src=x onerror="alert(1)">'
    )
    page = coordinator_client.get(f"/coord/outbox/{message.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    html = coordinator_client.get(f"/coord/outbox/{message.id}/html")
    assert html.mimetype == "text/plain"
    assert "default-src 'self'" in html.headers["Content-Security-Policy"]


def test_action_links_are_shown_as_words(coordinator_client, make_message, clock):
    accept = marker(NONCE, "accept_url")
    message = make_message(
        "queued",
        template="offer_made",
        text_body=f"A seat is yours if you want it.\nAccept: {accept}\n",
        html_body=f'<p><a href="{accept}">Accept the seat</a></p>',
        links=specs_to_json(
            {"accept_url": ActionLink("offer_accept", clock() + timedelta(days=7), offer_id=3)}
        ),
    )
    page = coordinator_client.get(f"/coord/outbox/{message.id}").get_data(as_text=True)
    assert "Accept: [private link: offer accept]" in page
    assert "/respond/" not in page
    assert NONCE not in page
    source = coordinator_client.get(f"/coord/outbox/{message.id}/html").get_data(as_text=True)
    assert source == '<p><a href="[private link: offer accept]">Accept the seat</a></p>'


def test_two_coordinators_sending_again_at_once_queue_it_once(app, make_message, clock):
    """Each in its own thread and database connection, released together: one wins,
    the other is told the message is not failed any more."""
    import threading

    from intake.outbox import workspace

    for _ in range(10):
        message = make_message("failed")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def click(message_id=message.id, barrier=barrier, outcomes=outcomes):
            with app.app_context():
                barrier.wait()
                try:
                    workspace.resend(message_id, clock())
                    db.session.commit()
                    outcomes.append("queued")
                except workspace.NotFailed:
                    db.session.rollback()
                    outcomes.append("refused")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=click) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert sorted(outcomes) == ["queued", "refused"]
        row = _reload(message.id)
        assert (row.status, row.attempts) == ("queued", 0)
