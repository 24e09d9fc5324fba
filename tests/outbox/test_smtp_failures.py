"""What the delivery worker does with each kind of SMTP failure, against real servers
on loopback: a refusal of one message (5xx) fails it at once, a transient one (4xx)
retries it, and a server that cannot be reached stops the pass after one try."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import FORGOTTEN_RECIPIENT
from tests.helpers import csrf_token
from tests.outbox.support import queue


def rows(ids: list[int]) -> list[OutboxMessage]:
    db.session.expire_all()
    found = {row.id: row for row in db.session.scalars(select(OutboxMessage))}
    return [found[i] for i in ids]


# Replies to one message ------------------------------------------------------------------


def test_a_5xx_fails_that_message_at_once_and_a_4xx_retries_it(
    smtp, ctx, clock, coordinator_client
):
    smtp.sink.rcpt_replies["gone@example.org"] = (
        "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown"
    )
    smtp.sink.rcpt_replies["busy@example.org"] = "451 4.2.0 <busy@example.org>: Mailbox busy"
    ids = queue(clock, "gone@example.org", "busy@example.org", "ok@example.org")

    report = deliver_due(clock())
    # The pass went on past both refusals.
    assert (report.sent, report.retried, report.failed, report.stopped) == (1, 1, 1, False)
    assert [m["To"] for m in smtp.messages] == ["ok@example.org"]

    gone, busy, ok = rows(ids)
    assert (gone.status, gone.attempts) == ("failed", 1)
    assert gone.last_error == (
        "Not retried: SMTPRecipientsRefused: "
        "550 5.1.1 <recipient>: Recipient address rejected: User unknown"
    )
    assert (busy.status, busy.attempts) == ("queued", 1)
    assert busy.next_attempt_at == clock() + timedelta(seconds=60)
    assert busy.last_error == "SMTPRecipientsRefused: 451 4.2.0 <recipient>: Mailbox busy"
    assert (ok.status, ok.last_error) == ("sent", None)

    # Coordinators see why, on the E-mail page and the message's own page.
    failed = coordinator_client.get("/coord/outbox?status=failed").get_data(as_text=True)
    assert "550 5.1.1 &lt;recipient&gt;: Recipient address rejected: User unknown" in (failed)
    page = coordinator_client.get(f"/coord/outbox/{gone.id}").get_data(as_text=True)
    assert "Not retried: SMTPRecipientsRefused: 550" in page

    # The refused one is not tried again; the busy one is, when its time comes.
    clock.advance(seconds=61)
    del smtp.sink.rcpt_replies["busy@example.org"]
    report = deliver_due(clock())
    assert (report.sent, report.attempted) == (1, 1)
    assert sorted(m["To"] for m in smtp.messages) == ["busy@example.org", "ok@example.org"]
    assert rows(ids)[0].attempts == 1


def test_an_address_mail_cannot_carry_fails_that_message_and_the_pass_goes_on(smtp, ctx, clock):
    """Letters such as "é" before the @ (stored before the form refused them) cannot be
    written in the envelope: that message fails for good, with the reason, and the rest
    are sent; before, the error ended the worker on every pass."""
    ids = queue(clock, "josé@example.org", "ok@example.org", "rosa@bücher.example")
    report = deliver_due(clock())
    assert (report.sent, report.failed, report.stopped) == (2, 1, False)
    assert sorted(m["To"] for m in smtp.messages) == [
        "ok@example.org",
        "rosa@xn--bcher-kva.example",
    ]
    accented, ok, _ = rows(ids)
    assert (accented.status, accented.attempts) == ("failed", 1)
    assert accented.last_error == (
        "Not retried: Cannot be sent: an address has letters (such as é) before the @ "
        "that mail cannot carry"
    )
    assert ok.status == "sent"
    assert deliver_due(clock()).attempted == 0


def test_an_address_given_for_one_message_is_not_kept_when_it_fails_either(
    smtp, ctx, clock, coordinator_client
):
    """A director's address, given by staff for one referral, is forgotten once the
    message is refused for good too, and the message cannot be sent again."""
    smtp.sink.rcpt_replies["director@example.org"] = "550 5.1.1 User unknown"
    ids = queue(clock, "director@example.org", forget_recipient=True)
    assert deliver_due(clock()).failed == 1
    (row,) = rows(ids)
    assert (row.status, row.to_addr) == ("failed", FORGOTTEN_RECIPIENT)
    assert "director@example.org" not in (row.last_error or "")

    page = coordinator_client.get(f"/coord/outbox/{row.id}").get_data(as_text=True)
    assert "director@example.org" not in page
    assert "was not kept, so it cannot be sent again" in page
    assert f"/coord/outbox/{row.id}/resend" not in page
    listing = coordinator_client.get("/coord/outbox?status=failed").get_data(as_text=True)
    assert f"/coord/outbox/{row.id}/resend" not in listing
    response = coordinator_client.post(
        f"/coord/outbox/{row.id}/resend", data={"csrf_token": csrf_token(listing)}
    )
    assert response.status_code == 303
    shown = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was not kept, so it cannot be sent again. Nothing was changed." in shown
    assert rows([row.id])[0].status == "failed"


def test_a_reply_quoting_a_domain_in_its_ascii_form_keeps_the_address_out(smtp, ctx, clock):
    """A name in the domain goes to the server in its ASCII form, which its reply
    quotes: that form is taken out of the error coordinators read as well."""
    smtp.sink.rcpt_replies["rosa@xn--bcher-kva.example"] = (
        "550 5.1.1 <rosa@xn--bcher-kva.example>: User unknown"
    )
    (message_id,) = queue(clock, "rosa@bücher.example")
    assert deliver_due(clock()).failed == 1
    (row,) = rows([message_id])
    assert (
        row.last_error == "Not retried: SMTPRecipientsRefused: 550 5.1.1 <recipient>: User unknown"
    )


def test_a_name_in_the_domain_goes_as_the_form_checked_it(smtp, ctx, clock):
    """email-validator checks "straße" as IDNA 2008 writes it (xn--strae-oqa); Flask-Mail
    alone would write "strasse", another domain, and send there."""
    queue(clock, "rosa@straße.example")
    assert deliver_due(clock()).sent == 1
    assert smtp.sink.envelopes[0].rcpt_tos == ["rosa@xn--strae-oqa.example"]
    assert smtp.messages[0]["To"] == "rosa@xn--strae-oqa.example"


# The server cannot be reached ----------------------------------------------------------------


class SilentServer:
    """Accepts connections and never answers (``greet``: says hello, then hangs up)."""

    def __init__(self, greet: bool = False):
        self.greet = greet
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            if self.greet:
                connection.sendall(b"220 mail.example.org ESMTP\r\n")
                connection.close()
            else:
                self.connections.append(connection)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        for connection in self.connections:
            connection.close()
        self.sock.close()


@pytest.fixture(params=["silent", "hangs-up"])
def dead_server(request, app_config):
    server = SilentServer(greet=request.param == "hangs-up")
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=0.5)
    yield server
    server.stop()


def test_a_server_that_never_answers_stops_the_pass_after_one_try(dead_server, request, clock):
    request.getfixturevalue("ctx")
    ids = queue(clock, *(f"person{n}@example.org" for n in range(8)))

    started = time.monotonic()
    report = deliver_due(clock())
    elapsed = time.monotonic() - started

    assert (report.sent, report.retried, report.failed, report.stopped) == (0, 1, 0, True)
    assert dead_server.accepted == 1  # one connection, one timeout, not eight
    assert elapsed < 4
    first, *rest = rows(ids)
    assert (first.status, first.attempts) == ("queued", 1)
    assert first.next_attempt_at == clock() + timedelta(seconds=60)
    assert first.last_error.startswith("SMTPServerDisconnected: Connection unexpectedly closed")
    # The rest wait untouched for the next pass.
    for row in rest:
        assert (row.status, row.attempts, row.last_error) == ("queued", 0, None)
        assert row.next_attempt_at == clock()

    # The next pass takes the waiting ones first and stops at the first again.
    report = deliver_due(clock())
    assert (report.retried, report.stopped) == (1, True)
    assert dead_server.accepted == 2
    assert [row.attempts for row in rows(ids)] == [1, 1, 0, 0, 0, 0, 0, 0]


def test_connection_refused_stops_the_pass(smtp_down, request, clock):
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")
    report = deliver_due(clock())
    assert (report.retried, report.stopped) == (1, True)
    first, *rest = rows(ids)
    assert first.attempts == 1
    assert "ConnectionRefusedError" in first.last_error
    assert [(row.attempts, row.last_error) for row in rest] == [(0, None), (0, None)]

    smtp_down.start()
    clock.advance(seconds=60)
    assert deliver_due(clock()).sent == 3
    assert sorted(m["To"] for m in smtp_down.messages) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


def test_the_last_failed_attempt_after_a_lost_connection_fails_the_message(
    smtp_down, app_config, request, clock
):
    app_config["OUTBOX_MAX_ATTEMPTS"] = 1
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org")
    report = deliver_due(clock())
    assert (report.failed, report.retried, report.stopped) == (1, 0, True)
    assert [row.status for row in rows(ids)] == ["failed", "queued"]


def test_the_cli_says_when_a_pass_stopped(smtp_down, request, clock):
    request.getfixturevalue("ctx")
    queue(clock, "a@example.org", "b@example.org")
    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 0, will retry 1, failed 0" in result.output
    assert "the mail server could not be reached" in result.output
