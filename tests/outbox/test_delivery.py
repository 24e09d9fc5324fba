import hashlib
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.links import marker
from intake.models import Application, ManageToken, OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import enqueue
from tests.helpers import submit_application
from tests.outbox.support import queue

MANAGE_LINK = re.compile(r"https://intake\.example\.org/manage/([A-Za-z0-9_-]+)")


def test_received_email_arrives_by_smtp_with_text_and_html(smtp, client, ctx, clock):
    submit_application(client)
    report = deliver_due(clock())
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)

    [message] = smtp.messages
    reference = db.session.scalars(select(Application.reference)).one()
    assert message["To"] == "rosa@example.org"
    assert message["Reply-To"] == "coordinators@localhost"
    assert reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert reference in text
    assert reference in html
    assert "Introductory reflective practice" in text
    assert "%%" not in text + html  # no marker is left
    [token] = MANAGE_LINK.findall(text)
    assert f'href="https://intake.example.org/manage/{token}"' in html

    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock())
    # Nothing is sent twice.
    assert deliver_due(clock()).attempted == 0
    assert len(smtp.messages) == 1


def test_only_the_hash_of_the_manage_token_is_stored(smtp, client, ctx, clock):
    submit_application(client)
    deliver_due(clock())
    text = smtp.messages[0].get_body(("plain",)).get_content()
    [token] = MANAGE_LINK.findall(text)

    stored = db.session.scalars(select(ManageToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert token not in row.text_body + row.html_body
    assert marker(row.link_nonce, "manage_url") in row.text_body


def test_server_down_at_submission_then_delivered_exactly_once(smtp_down, client, ctx, clock):
    response = submit_application(client)
    assert response.status_code == 303
    assert db.session.scalars(select(Application)).one().status == "waitlisted"

    report = deliver_due(clock())
    assert (report.sent, report.retried) == (0, 1)
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == "queued"
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert db.session.scalars(select(ManageToken)).all() == []  # rolled back with the send

    smtp_down.start()
    assert deliver_due(clock()).attempted == 0  # not due yet: back-off
    clock.advance(seconds=61)
    assert deliver_due(clock()).sent == 1
    clock.advance(hours=1)
    assert deliver_due(clock()).attempted == 0
    assert len(smtp_down.messages) == 1
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_back_off_doubles_then_gives_up(smtp_down, app_config, request, clock):
    app_config["OUTBOX_MAX_ATTEMPTS"] = 3
    client = request.getfixturevalue("client")
    request.getfixturevalue("ctx")
    submit_application(client)
    row = db.session.scalars(select(OutboxMessage)).one()
    start = clock()

    assert deliver_due(clock()).retried == 1
    db.session.refresh(row)
    assert (row.next_attempt_at - start).total_seconds() == 60
    clock.advance(seconds=60)
    assert deliver_due(clock()).retried == 1
    db.session.refresh(row)
    assert (row.next_attempt_at - clock()).total_seconds() == 120
    clock.advance(seconds=120)
    assert deliver_due(clock()).failed == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)

    assert client.get("/healthz").json["outbox"] == {"waiting": 0, "failed": 1}
    clock.advance(days=1)
    smtp_down.start()
    assert deliver_due(clock()).attempted == 0
    assert smtp_down.messages == []


def test_without_smtp_mail_is_written_as_eml_files(app, client, ctx, clock):
    submit_application(client)
    assert client.get("/healthz").json["outbox"] == {"waiting": 1, "failed": 0}
    assert deliver_due(clock()).sent == 1
    [path] = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "rosa@example.org"
    assert MANAGE_LINK.search(message.get_body(("plain",)).get_content())
    assert client.get("/healthz").json["outbox"] == {"waiting": 0, "failed": 0}


def test_same_dedup_key_queues_one_message(ctx, clock):
    kwargs = {
        "template": "application_received",
        "to": "a@example.org",
        "dedup_key": "received:test",
        "locale": "en",
        "now": clock(),
        "context": {"applicant": {"name": "A"}, "applications": []},
    }
    first = enqueue(**kwargs)
    second = enqueue(**kwargs)
    db.session.commit()
    assert first.id == second.id
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_cli_delivers_once(smtp, client, runner):
    submit_application(client)
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp.messages) == 1


SENDERS = [
    ("Reflective Practice Groups <no-reply@example.org>", "Reflective Practice Groups"),
    ("Grupos de Práctica Reflexiva <no-reply@example.org>", "Grupos de Práctica Reflexiva"),
    ("反思实践小组 <no-reply@example.org>", "反思实践小组"),
]


@pytest.mark.parametrize(("sender", "name"), SENDERS)
def test_the_sender_reads_the_same_on_every_message_and_the_envelope_is_its_address(
    smtp, app, ctx, clock, sender, name
):
    # The From header is made once a process (intake.outbox.delivery._from_header): two
    # messages, and a second sender in another test, must each still say who sent them.
    app.extensions["mail"].default_sender = sender
    queue(clock, "person0@example.org", "person1@example.org")

    assert deliver_due(clock()).sent == 2

    assert [m["From"].addresses[0].display_name for m in smtp.messages] == [name, name]
    assert [m["From"].addresses[0].addr_spec for m in smtp.messages] == ["no-reply@example.org"] * 2
    assert [e.mail_from for e in smtp.sink.envelopes] == ["no-reply@example.org"] * 2
    assert [e.rcpt_tos for e in smtp.sink.envelopes] == [
        ["person0@example.org"],
        ["person1@example.org"],
    ]
