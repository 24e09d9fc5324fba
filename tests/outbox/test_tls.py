"""The delivery worker checks the mail server's TLS certificate.

A real aiosmtpd server on loopback speaks STARTTLS (or TLS from the start, SMTPS)
with a certificate from a test certificate authority made by ``trustme``. Until that
authority is trusted, nothing is sent: the attempt fails with a certificate error,
recorded on the message, which stays queued for a retry. Trusted, the same message
goes. Trusting it is done the way an operator would for a private relay: the
standard ``SSL_CERT_FILE`` variable, which ``ssl.create_default_context()`` reads.
"""

from __future__ import annotations

import ssl
from datetime import timedelta

import pytest
import trustme
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.conftest import SMTPSink, SocketController
from tests.helpers import submit_application
from tests.outbox.test_smtp_failures import queue, rows


class TLSSink(SMTPSink):
    """Also notes whether each message came over an encrypted connection."""

    def __init__(self, port: int):
        super().__init__(port=port)
        self.encrypted: list[bool] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd API
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return await super().handle_DATA(server, session, envelope)


class TLSServer:
    """aiosmtpd with a trustme certificate: STARTTLS required, or SMTPS."""

    def __init__(self, sock, ca: trustme.CA, hosts: tuple[str, ...], smtps: bool):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*hosts).configure_cert(context)
        self.sink = TLSSink(sock.getsockname()[1])
        if smtps:
            self.controller = SocketController(self.sink, sock, ssl_context=context)
        else:
            self.controller = SocketController(
                self.sink, sock, tls_context=context, require_starttls=True
            )

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()
        if not self.controller.loop.is_closed():
            self.controller.loop.close()


@pytest.fixture
def ca():
    return trustme.CA()


@pytest.fixture
def trust_ca(ca, tmp_path, monkeypatch):
    """Make the test authority the one the worker trusts (as SSL_CERT_FILE does)."""

    def trust():
        pem = tmp_path / "test-ca.pem"
        ca.cert_pem.write_to_path(str(pem))
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))

    return trust


@pytest.fixture
def tls_server(request, ca, smtp_socket, app_config):
    """A TLS mail server the app is configured for; ``request.param`` is
    (mode, certificate host names)."""
    mode, hosts = request.param
    server = TLSServer(smtp_socket, ca, hosts, smtps=mode == "smtps")
    server.start()
    app_config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.sink.port,
        MAIL_TIMEOUT=5,
        MAIL_USE_TLS=mode == "starttls",
        MAIL_USE_SSL=mode == "smtps",
    )
    yield server
    server.stop()


FOR_LOOPBACK = ("127.0.0.1", "localhost")
MODES = [
    pytest.param(("starttls", FOR_LOOPBACK), id="starttls"),
    pytest.param(("smtps", FOR_LOOPBACK), id="smtps"),
]


def _queued_message(client) -> OutboxMessage:
    assert submit_application(client).status_code == 303
    return db.session.scalars(select(OutboxMessage)).one()


@pytest.mark.parametrize("tls_server", MODES, indirect=True)
def test_an_untrusted_certificate_sends_nothing_until_it_is_trusted(
    tls_server, trust_ca, client, ctx, clock
):
    message = _queued_message(client)

    report = deliver_due(clock())
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error.startswith("SSLCertVerificationError:")
    assert "certificate verify failed" in message.last_error
    assert message.next_attempt_at == clock() + timedelta(seconds=60)
    assert tls_server.sink.messages == []

    trust_ca()
    clock.advance(seconds=60)
    assert deliver_due(clock()).sent == 1
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
    [received] = tls_server.sink.messages
    assert received["To"] == "rosa@example.org"
    assert tls_server.sink.encrypted == [True]


@pytest.mark.parametrize(
    "tls_server",
    [pytest.param(("starttls", ("mail.example.org",)), id="other-name")],
    indirect=True,
)
def test_a_trusted_certificate_for_another_name_is_refused(
    tls_server, trust_ca, client, ctx, clock
):
    trust_ca()
    message = _queued_message(client)
    assert deliver_due(clock()).retried == 1
    db.session.refresh(message)
    assert message.status == "queued"
    assert message.last_error.startswith("SSLCertVerificationError:")
    assert "mismatch" in message.last_error  # "IP address mismatch"
    assert tls_server.sink.messages == []


@pytest.mark.parametrize(
    "tls_server", [pytest.param(("starttls", FOR_LOOPBACK), id="starttls")], indirect=True
)
def test_the_server_refuses_mail_without_starttls(tls_server, app_config, request, clock):
    """The fixture's server really demands TLS: a worker not asked to use it fails
    at the server, so the successful sends above went over TLS."""
    app_config["MAIL_USE_TLS"] = False
    client = request.getfixturevalue("client")
    request.getfixturevalue("ctx")
    message = _queued_message(client)
    assert deliver_due(clock()).retried == 1
    db.session.refresh(message)
    assert "STARTTLS" in message.last_error
    assert tls_server.sink.messages == []


@pytest.mark.parametrize("tls_server", MODES, indirect=True)
def test_one_tls_context_and_one_connection_serve_many_messages(
    tls_server, trust_ca, request, clock, monkeypatch
):
    """Loading the certificate store is slow: the worker does it once, not per message."""
    trust_ca()
    made = []
    create = ssl.create_default_context
    monkeypatch.setattr(
        "intake.outbox.delivery.ssl.create_default_context",
        lambda *args, **kwargs: made.append(1) or create(*args, **kwargs),
    )
    request.getfixturevalue("ctx")
    ids = queue(clock, "a@example.org", "b@example.org", "c@example.org")

    assert deliver_due(clock(), limit=2).sent == 2
    assert deliver_due(clock(), limit=2).sent == 1

    assert len(made) == 1
    assert [m["To"] for m in tls_server.sink.messages] == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert tls_server.sink.encrypted == [True, True, True]
    assert [row.status for row in rows(ids)] == ["sent"] * 3
