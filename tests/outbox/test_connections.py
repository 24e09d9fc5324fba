"""The delivery worker's SMTP connection, against real aiosmtpd servers on loopback:
one connection carries a whole pass, a connection the server drops after a message
is opened again once, and ``--loop`` drains full batches before it rests."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from types import SimpleNamespace

import pytest

from intake.outbox.delivery import SmtpTransport, deliver_due
from tests.conftest import SMTPSink, SocketController
from tests.outbox.test_smtp_failures import queue, rows


class PeerSink(SMTPSink):
    """Also notes the client's address and port (one per connection) for each
    message, and hangs up after the messages numbered in ``drop_after``."""

    def __init__(self, port: int, drop_after: frozenset[int] = frozenset()):
        super().__init__(port=port)
        self.peers: list[tuple[str, int]] = []
        self.drop_after = drop_after

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd API
        reply = await super().handle_DATA(server, session, envelope)
        self.peers.append(session.peer)
        if len(self.peers) in self.drop_after:
            # After the reply is written: the message was accepted, then the line drops.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


@pytest.fixture
def peer_server(request, smtp_socket, app_config):
    """A mail server the app is configured for; ``request.param``: the messages
    (1, 2, …) after which it hangs up."""
    sink = PeerSink(smtp_socket.getsockname()[1], frozenset(getattr(request, "param", ())))
    controller = SocketController(sink, smtp_socket)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_TIMEOUT=5)
    yield sink
    controller.stop()
    if not controller.loop.is_closed():
        controller.loop.close()


def test_one_connection_carries_the_whole_pass(peer_server, request, clock):
    request.getfixturevalue("ctx")
    peer_server.rcpt_replies["gone@example.org"] = "550 5.1.1 <gone@example.org>: User unknown"
    addresses = ["a@example.org", "gone@example.org", "b@example.org", "c@example.org"]
    ids = queue(clock, *addresses)

    report = deliver_due(clock())

    assert (report.sent, report.failed, report.stopped) == (3, 1, False)
    assert [m["To"] for m in peer_server.messages] == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    # A refusal of one message does not end the session: the next ones use it.
    assert len(set(peer_server.peers)) == 1
    assert [row.status for row in rows(ids)] == ["sent", "failed", "sent", "sent"]


@pytest.mark.parametrize("peer_server", [(1,)], indirect=True)
def test_a_connection_dropped_mid_pass_is_opened_again_and_the_pass_goes_on(
    peer_server, request, clock
):
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")

    report = deliver_due(clock())

    assert (report.sent, report.retried, report.failed, report.stopped) == (3, 0, 0, False)
    assert [m["To"] for m in peer_server.messages] == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    first, second, third = peer_server.peers
    assert first != second == third  # one reconnection, then kept
    assert [(row.status, row.attempts, row.last_error) for row in rows(ids)] == [
        ("sent", 1, None)
    ] * 3


@pytest.mark.parametrize("peer_server", [(1, 2, 3)], indirect=True)
def test_a_server_that_hangs_up_after_every_message_still_gets_them_all(
    peer_server, request, clock
):
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")
    assert deliver_due(clock()).sent == 3
    assert len(set(peer_server.peers)) == 3
    assert [row.status for row in rows(ids)] == ["sent"] * 3


# The loop --------------------------------------------------------------------------------


class Rested(Exception):
    """Raised instead of sleeping, to end the loop where it would first rest."""


@pytest.fixture
def rests(monkeypatch):
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise Rested

    # The loop rests in intake.outbox.delivery (StopRequest.rest); only its clock is
    # replaced, not the process's time.sleep.
    monkeypatch.setattr(
        "intake.outbox.delivery.time", SimpleNamespace(sleep=sleep, monotonic=time.monotonic)
    )
    return slept


def test_the_loop_drains_full_batches_before_it_rests(smtp, app_config, rests, request, clock):
    app_config.update(OUTBOX_BATCH_SIZE=2, OUTBOX_POLL_SECONDS=7)
    request.getfixturevalue("ctx")
    ids = queue(clock, *(f"person{n}@example.org" for n in range(5)))

    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])

    assert isinstance(result.exception, Rested), result.output
    # Two full passes went straight on; the third found less than a batch and rested.
    assert result.output.splitlines() == [
        "sent 2, will retry 0, failed 0",
        "sent 2, will retry 0, failed 0",
        "sent 1, will retry 0, failed 0",
    ]
    assert rests == [7]
    assert len(smtp.messages) == 5
    assert [row.status for row in rows(ids)] == ["sent"] * 5


def test_the_loop_rests_when_there_is_nothing_to_send(smtp, rests, request):
    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])
    assert isinstance(result.exception, Rested), result.output
    assert rests == [1]  # OUTBOX_POLL_SECONDS, the default
    assert smtp.messages == []


def test_the_loop_rests_after_a_full_pass_the_server_cut_short(
    smtp_down, app_config, rests, request, clock
):
    app_config["OUTBOX_BATCH_SIZE"] = 2
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")

    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])

    assert isinstance(result.exception, Rested), result.output
    assert "the mail server could not be reached" in result.output
    # OUTBOX_DOWN_SECONDS: each such pass costs the oldest message an attempt.
    assert rests == [30]
    assert [row.attempts for row in rows(ids)] == [1, 0, 0]


def test_the_loop_rests_longer_when_the_database_cannot_be_used(rests, request, monkeypatch):
    monkeypatch.setattr("intake.cli.deliver_pass", lambda now, stopping: None)  # logged, then None

    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])

    assert isinstance(result.exception, Rested), result.output
    assert rests == [30]  # OUTBOX_DOWN_SECONDS


def test_a_longer_interval_than_the_down_rest_is_kept_for_both(smtp_down, rests, request, clock):
    request.getfixturevalue("ctx")
    queue(clock, "a@example.org")

    result = request.getfixturevalue("runner").invoke(
        args=["outbox", "deliver", "--loop", "--interval", "60"]
    )

    assert "the mail server could not be reached" in result.output
    assert rests == [60]


# Stopping (SIGTERM: systemd's stop, `make run` stopping its processes) ----------------


@pytest.fixture
def sigterm_outside():
    """SIGTERMs that reach the test process outside the command's own handling, noted
    instead of ending the test run."""
    seen: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    yield seen
    signal.signal(signal.SIGTERM, before)


def test_sigterm_while_sending_lets_that_message_be_marked_and_gives_back_the_rest(
    smtp, rests, request, clock, monkeypatch, sigterm_outside
):
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")
    real = SmtpTransport.send

    def send_then_get_sigterm(self, message, row):
        real(self, message, row)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(SmtpTransport, "send", send_then_get_sigterm)
    before = signal.getsignal(signal.SIGTERM)

    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "sent 1, will retry 0, failed 0",
        "stopped (SIGTERM): what this pass did not send is left for the next worker",
    ]
    assert rests == []
    assert [m["To"] for m in smtp.messages] == ["a@example.org"]
    assert [(r.status, r.lease_holder) for r in rows(ids)] == [
        ("sent", None),
        ("queued", None),
        ("queued", None),
    ]
    # What handled SIGTERM before the command handles it again.
    assert signal.getsignal(signal.SIGTERM) is before
    assert sigterm_outside == []


def test_sigterm_while_resting_stops_at_once(smtp, request, monkeypatch, sigterm_outside):
    slept = []

    def sleep_and_get_sigterm(seconds):
        slept.append(seconds)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("still asleep after SIGTERM")

    monkeypatch.setattr(
        "intake.outbox.delivery.time",
        SimpleNamespace(sleep=sleep_and_get_sigterm, monotonic=time.monotonic),
    )

    result = request.getfixturevalue("runner").invoke(args=["outbox", "deliver", "--loop"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "stopped (SIGTERM): what this pass did not send is left for the next worker"
    ]
    assert slept == [1]
    assert sigterm_outside == []


def test_the_loop_refuses_a_rest_too_long_for_the_lease(smtp, request):
    # After a lost mark the loop rests --interval; 150 s of the 300 s lease are left
    # after a pass, less three mail timeouts (5 s here): 134 s fit, 135 s do not.
    runner = request.getfixturevalue("runner")
    result = runner.invoke(args=["outbox", "deliver", "--loop", "--interval", "135"])

    assert result.exit_code == 2
    assert (
        "a rest of 135 s between passes is too long for OUTBOX_LEASE_SECONDS (300)"
        " with MAIL_TIMEOUT 5"
    ) in " ".join(result.output.split())
    assert "or a lease of more than 300 s" in " ".join(result.output.split())
    # Once (no --loop) there is no rest: nothing to refuse.
    assert runner.invoke(args=["outbox", "deliver", "--interval", "135"]).exit_code == 0


def test_the_loop_takes_a_rest_that_fits_the_lease(smtp, rests, request):
    result = request.getfixturevalue("runner").invoke(
        args=["outbox", "deliver", "--loop", "--interval", "134"]
    )
    assert isinstance(result.exception, Rested), result.output
    assert rests == [134]
