"""The delivery worker: sends queued outbox messages, retries with back-off.

A pass first leases its batch to this worker (one UPDATE, committed); then each
message is claimed in its own transaction with ``SELECT … FOR UPDATE SKIP LOCKED``
and marked sent in that transaction, so on PostgreSQL several workers never send the
same message. The lease is what keeps a message whose mark was lost (the connection
dropped after the server took it, and the row lock went with it) from another
worker until this one's next pass marks it. SQLite has no row locks (the clause is
dropped): run a single worker there, as `make run` does. A pass sends over one SMTP
connection (``SmtpTransport``); a connection the server drops after it has carried
a message is opened again once.

What a failure does depends on what failed:

- the connection (refused, timed out, dropped, or the server would not greet, start
  TLS or sign us in): that message is retried with back-off and the pass stops, so
  the rest of the batch waits untouched for the next pass instead of each waiting
  out its own timeout;
- a reply that concerns the whole session (421 closing, 530 TLS or sign-in required,
  535 sign-in failed) counts as a connection failure;
- a permanent reply to this message (5xx, e.g. 550 recipient refused): the message
  fails at once, with the server's reason for coordinators, and the pass goes on;
- a transient reply (4xx): the message is retried with back-off, the pass goes on.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import random
import re
import signal
import smtplib
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.generator import BytesGenerator
from email.utils import make_msgid, parseaddr
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_mail import BadHeaderError, Connection, Message, sanitize_address
from sqlalchemy import bindparam, inspect, or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from intake.extensions import db
from intake.letters.pdf import filename as letter_filename
from intake.letters.pdf import render_pdf
from intake.links import CannotMint, SpecInvalid, marker, mint_link, public_host, specs_from_json
from intake.models import Letter, OutboxMessage, table_of
from intake.outbox.services import FORGOTTEN_RECIPIENT

log = logging.getLogger(__name__)

SENT, RETRY, FAILED = "sent", "retry", "failed"


class TimeoutConnection(Connection):
    """Flask-Mail's connection with an explicit timeout and verified TLS.

    Flask-Mail 0.10 opens ``smtplib.SMTP(host, port)`` with no timeout, so a silent
    server would hang the worker forever, and its STARTTLS uses no certificate
    checks. This override is the smallest change that fixes both.
    """

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT"]
        if self.mail.use_ssl:
            host: smtplib.SMTP = smtplib.SMTP_SSL(
                self.mail.server, self.mail.port, timeout=timeout, context=tls_context()
            )
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls(context=tls_context())
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def tls_context() -> ssl.SSLContext:
    """The verifying TLS context, made once per process: loading the certificate
    store takes tens of milliseconds, more than sending a message. It is made again
    only if the standard variables naming the trusted certificates change."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:  # noqa: ARG001
    # The arguments are the cache key: create_default_context reads the same variables.
    return ssl.create_default_context()


# A line break inside a folded header that does not go on with a space or a tab would
# start a header of its own, and an empty line would end the headers (the check Python's
# text writer makes from 3.11.10 and 3.12.5 on; its byte writer, Flask-Mail's, does not).
_HEADER_BREAK = re.compile(rb"\r\n[^ \t]|\r[^ \n\t]|\n[^ \t]|\r\n\r\n")
# The parts' policy: compat32, with the line ends SMTP wants.
_WIRE_POLICY = policy.compat32.clone(linesep="\r\n")


class _WireWriter(BytesGenerator):
    """Writes a message with ``compat32`` and its headers with ``policy.SMTP``.

    The writer sets its policy on the message while it writes, and the message reads
    its own content type several times to choose how to write each part; under
    ``policy.SMTP`` every such read parses the header again in
    ``email.headerregistry`` (a Spanish message: 1.67 ms to write, 0.78 ms here).
    Under ``compat32``, the policy ``email.mime`` built the parts with, those reads
    are plain look-ups; only the writing of each header needs ``policy.SMTP``, for
    Flask-Mail's folding. ``_write_headers`` is the writer's own (private) hook:
    ``tests/outbox/test_wire.py`` checks the bytes are still Flask-Mail's own.
    """

    def __init__(self, out, *args, **kwargs) -> None:
        # The writer makes one of itself per part, each with its own buffer.
        super().__init__(out, *args, **kwargs)
        self.out = out

    @classmethod
    def _make_boundary(cls, text: bytes | str | None = None) -> str:
        """A multipart boundary as the generator makes one (fifteen "=", nineteen
        random digits, "=="), drawn again while it occurs anywhere in the parts' text.

        The generator's own check is a regular expression, ``^--boundary(--)?$`` line
        by line, which never matches a line that ends in CRLF, as every line does
        here (``policy.SMTP``): a part holding the boundary's line would end the part
        early. A plain substring check sees it, and it is cheaper (no pattern compiled
        for every boundary: 170 against 22 µs with 3 KB of text, two boundaries a
        message)."""
        while True:
            # Predictable is harmless: a boundary found in the text is drawn again.
            boundary = f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="  # noqa: S311
            if text is None:
                return boundary
            # This writer hands over the parts' bytes.
            found = boundary.encode() in text if isinstance(text, bytes) else boundary in text
            if not found:
                return boundary

    def _write_headers(self, msg) -> None:
        for name, value in msg.raw_items():
            folded = policy.SMTP.fold_binary(name, value)
            if not folded.endswith(b"\r\n") or _HEADER_BREAK.search(folded):
                raise BadHeaderError(f"a line break in the {name} header")
            self.out.write(folded)
        self.out.write(b"\r\n")


@functools.lru_cache(maxsize=8)
def _from_header(sender: str, charset: str) -> str:
    """Flask-Mail's From header for this sender, made once a process. Flask-Mail encodes
    the sender's name again for every message (``email.header`` measures the encoded
    line after each character: 0.13 ms for "Reflective Practice Groups", twice a
    message with the envelope's), and every message has the same sender."""
    return sanitize_address(sender, charset)


@functools.lru_cache(maxsize=8)
def envelope_sender(sender: str) -> str:
    """The sender's bare address, for MAIL FROM (SMTP reads only the address)."""
    return parseaddr(sender)[1]


class OutboxMail(Message):
    """Flask-Mail's message, written out as Flask-Mail writes it, faster (``_WireWriter``)."""

    def _message(self):
        sender = self.sender
        if not isinstance(sender, str):
            return super()._message()
        # Flask-Mail's own message, made with the bare address (quick to sanitize), then
        # the From header it would have written, from the cache: the same bytes
        # (tests/outbox/test_wire.py).
        self.sender = envelope_sender(sender)
        try:
            message = super()._message()
        finally:
            self.sender = sender
        # Stored as Flask-Mail stored it: as is, under compat32 (the policy it built the
        # message with), not parsed again by the policy.SMTP it set last.
        wire_policy, message.policy = message.policy, policy.compat32
        message.replace_header("From", _from_header(sender, self.charset or "utf-8"))
        message.policy = wire_policy
        return message

    def as_bytes(self) -> bytes:
        out = io.BytesIO()
        writer = _WireWriter(out, mangle_from_=False, policy=_WIRE_POLICY)
        writer.flatten(self._message())
        return out.getvalue()


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # The pass stopped early: the mail server could not be reached.
    stopped: bool = False
    # The pass found a full batch of due messages: more may be waiting.
    full: bool = False

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed

    @property
    def more_waiting(self) -> bool:
        """Whether a worker should start the next pass at once instead of sleeping."""
        return self.full and not self.stopped

    def add(self, outcome: str | None) -> None:
        if outcome == SENT:
            self.sent += 1
        elif outcome == RETRY:
            self.retried += 1
        elif outcome == FAILED:
            self.failed += 1


# Failures --------------------------------------------------------------------------------


class ConnectionFailed(Exception):
    """The mail server could not be reached or the session broke: not this message's
    fault, and the next message would meet the same."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class Permanent(Exception):
    """This message cannot be sent as it is: trying again would not help."""


class ServerDown(Exception):
    """Raised by ``deliver_one`` after recording a connection failure: stop the pass."""

    def __init__(self, outcome: str | None):
        super().__init__(outcome)
        self.outcome = outcome


# Replies about the session, not the message ("closing the channel", "TLS or
# sign-in required", "sign-in failed"): every message would get the same, so they
# stop the pass like a lost connection instead of failing each message for good.
SESSION_CODES = frozenset({421, 454, 530, 534, 535, 538})


def _reply_code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        # One recipient per message; with several, the mildest reply decides.
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def classify(exc: BaseException) -> str:
    """What kind of failure: "connection", "permanent" or "transient"."""
    if isinstance(exc, ConnectionFailed | smtplib.SMTPServerDisconnected):
        return "connection"
    # What Flask-Mail cannot write in ASCII and ``wire_address`` did not see (the
    # sender's own address, say) fails the same way every time.
    if isinstance(exc, Permanent | BadHeaderError | UnicodeError):
        return "permanent"
    code = _reply_code(exc)
    if code in SESSION_CODES:
        return "connection"
    if code is not None and 500 <= code < 600:
        return "permanent"
    if code is not None:
        return "transient"
    if isinstance(exc, OSError):  # refused, reset, timed out, no route …
        return "connection"
    return "transient"


def _decode(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def describe(exc: BaseException, recipient: str) -> str:
    """The error for coordinators: its kind and the server's reply, never the message,
    and with the recipient's address taken out (the row holds it, and forgets it when
    the applicant deletes their data)."""
    cause = exc.cause if isinstance(exc, ConnectionFailed) else exc
    if isinstance(cause, Permanent):
        return f"Cannot be sent: {cause}"
    if isinstance(cause, UnicodeError):
        return "Cannot be sent: an address cannot be written for the mail server"
    if isinstance(cause, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {_decode(text)}" for code, text in cause.recipients.values())
    elif isinstance(cause, smtplib.SMTPResponseException):
        detail = f"{cause.smtp_code} {_decode(cause.smtp_error)}"
    else:
        detail = str(cause)
    text = f"{type(cause).__name__}: {detail}"
    for written in _as_written(recipient):
        text = re.sub(f"<?{re.escape(written)}>?", "<recipient>", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def _as_written(recipient: str) -> set[str]:
    """The address as stored and as it went to the server: a name in the domain goes
    in its ASCII form (``bücher`` as ``xn--bcher-kva``), which a reply quotes."""
    if not recipient:
        return set()
    try:
        return {recipient, wire_address(recipient)}
    except Permanent:
        return {recipient}


# Transports ------------------------------------------------------------------------------


class SmtpTransport:
    """Sends by SMTP over one connection, opened by the first message and kept for
    the rest of the pass; ``close`` (called at the end of every pass) ends it.

    Failures to open the connection (connect, greeting, STARTTLS, sign-in) are
    raised as ConnectionFailed whatever the reply code: they are about the server,
    not the message. A server that drops a connection that has already carried a
    message (an idle timeout, a limit of messages per session) is reconnected once
    for the message in hand; a fresh connection that drops is a connection failure.
    """

    def __init__(self) -> None:
        self.connection: TimeoutConnection | None = None
        self.used = False

    def _open(self) -> TimeoutConnection:
        connection = TimeoutConnection(current_app.extensions["mail"])
        try:
            connection.__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailed(exc) from exc
        return connection

    # The transports share one signature; only the file transport uses the row.
    def send(self, message: Message, row: OutboxMessage) -> None:  # noqa: ARG002
        if self.connection is None:
            self.connection, self.used = self._open(), False
        envelope = envelope_sender(message.sender) if isinstance(message.sender, str) else None
        try:
            self.connection.send(message, envelope)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not self.used:
                raise
            log.info("mail server closed the connection: reconnecting")
            self.connection, self.used = self._open(), False
            try:
                self.connection.send(message, envelope)
            except smtplib.SMTPServerDisconnected:
                self.close()
                raise
        except (OSError, smtplib.SMTPException) as exc:
            # A refusal of this message (4xx, 5xx) leaves the session usable: smtplib
            # has reset it for the next one. Anything else may have broken it.
            if classify(exc) == "connection" or _reply_code(exc) is None:
                self.close()
            raise
        self.used = True

    def close(self) -> None:
        """End the session politely if the server still answers; a server that
        stopped answering once the message was accepted does not unsend it."""
        connection, self.connection = self.connection, None
        if connection is None or connection.host is None:
            return
        try:
            connection.host.quit()
        except (OSError, smtplib.SMTPException):
            connection.host.close()


class FileTransport:
    """No SMTP configured: deliver to a folder of .eml files a person can open."""

    def send(self, message: Message, row: OutboxMessage) -> None:
        config = current_app.config
        folder = Path(config["MAIL_FILE_DIR"] or Path(current_app.instance_path) / "mail")
        folder.mkdir(parents=True, exist_ok=True)
        if message.sender is None:
            message.sender = config["MAIL_DEFAULT_SENDER"]
        (folder / f"{row.id:06d}-{row.template}.eml").write_bytes(message.as_bytes())

    def close(self) -> None:
        pass


def transport() -> SmtpTransport | FileTransport:
    return SmtpTransport() if current_app.config["MAIL_SERVER"] else FileTransport()


# Links -----------------------------------------------------------------------------------


def fill_links(row: OutboxMessage, text: str, html: str, now: datetime) -> tuple[str, str]:
    """The bodies with this row's markers replaced by links minted now, so the
    outbox never holds one. Only the row's own specs and nonce count: nothing in the
    text is read as a link."""
    if not row.link_nonce:
        return text, html
    try:
        specs = specs_from_json(row.links)
    except SpecInvalid as exc:
        raise Permanent(f"stored links: {exc}") from exc
    for slot, spec in specs.items():
        mark = marker(row.link_nonce, slot)
        if mark in text or mark in html:
            # Each kind's endpoint and token come from the feature that registered it.
            try:
                url = mint_link(row, spec, now)
            except CannotMint as exc:
                raise Permanent(str(exc)) from exc
            text = text.replace(mark, url)
            html = html.replace(mark, url)
    return text, html


# Delivery --------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_MAX_SECONDS"]))


def wire_address(address: str) -> str:
    """The address as SMTP carries it here (no SMTPUTF8): an ASCII one as it is; a name
    in the domain in its ASCII form as email-validator (IDNA 2008) writes it, the form
    the forms checked. Flask-Mail's own (IDNA 2003) writes "straße" as "strasse", which
    is another domain. Letters such as "é" before the @ have no such form: Permanent."""
    if address.isascii():
        return address
    try:
        written = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError as exc:
        raise Permanent("an address cannot be written for the mail server") from exc
    if written is None:
        raise Permanent("an address has letters (such as é) before the @ that mail cannot carry")
    return written


def _build_message(row: OutboxMessage, now: datetime) -> Message:
    text, html = fill_links(row, row.text_body, row.html_body, now)
    message = OutboxMail(
        subject=row.subject,
        recipients=[wire_address(row.to_addr)],
        body=text,
        html=html,
        reply_to=wire_address(row.reply_to) if row.reply_to else row.reply_to,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    if row.ics:
        # The content type's method must agree with the file's (an update or a
        # cancellation of a session: intake.sessions.calendar).
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in row.ics else "REQUEST"
        message.attach(
            "invite.ics", f"text/calendar; method={method}; charset=utf-8", row.ics.encode()
        )
    if row.letter_id is not None:
        # The letter as it was issued, drawn now: the outbox never stores the PDF.
        letter = db.session.get(Letter, row.letter_id)
        if letter is None:
            raise Permanent("the letter to attach no longer exists")
        message.attach(letter_filename(letter), "application/pdf", render_pdf(letter))
    message.msgId = make_msgid(idstring=f"outbox-{row.id}", domain=public_host())
    return message


# Leases ----------------------------------------------------------------------------------
#
# A worker's pass takes its batch before it sends any of it: each row gets this
# worker's name and a time until which other workers leave it alone (one UPDATE,
# committed). The row lock of a message's claim lasts only while its transaction
# does; if the connection drops after the mail server took the message and before the
# mark is committed, the lock goes too, but the lease stays, so the message waits for
# this worker's next pass, which remembers sending it and marks it (``_unmarked``).
# A worker that stops for good leaves its lease to run out: then another worker sends
# what it had taken (once more, if the stopped one had sent it without marking it).
# What a pass took and did not try it gives back as it ends (``_release``), except a
# message it remembers sending, and except when the database failed it (its next pass
# takes its own leases again). A pass renews the leases of the messages it remembers
# first and marks them before it sends anything, even when it is to stop. And a pass
# takes no new message once half its lease has gone by (``_PASS_SHARE_OF_LEASE``): a
# mark lost late in a slow pass still leaves the worker what the pass was doing, its
# rest (``--interval`` while it owes a mark) and a new pass within the lease
# (``outbox deliver`` refuses a rest too long for it: ``rest_problem``).


def worker_name() -> str:
    """This worker's name on the rows it leases: one per process (one worker, one app)."""
    return current_app.extensions.setdefault("outbox_worker_name", uuid.uuid4().hex)


# The claim, the lease and the mark are built once, with bound parameters: building
# them again for each message cost about 0.3 ms of SQLAlchemy's Python a message (the
# operators' coercions; 1,433 -> 977 calls for claim, mark and commit), measured apart.
_OUTBOX = table_of(OutboxMessage)
_DUE = (_OUTBOX.c.status == "queued", _OUTBOX.c.next_attempt_at <= bindparam("now"))
# Not leased, its lease run out, or leased to this worker.
_FREE = or_(
    _OUTBOX.c.lease_holder.is_(None),
    _OUTBOX.c.leased_until <= bindparam("now"),
    _OUTBOX.c.lease_holder == bindparam("worker"),
)
_LEASE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(
            select(_OUTBOX.c.id)
            .where(*_DUE, _FREE)
            .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
            .limit(bindparam("limit"))
            # Rows another worker is leasing or sending this moment are not waited for.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(lease_holder=bindparam("worker"), leased_until=bindparam("until"))
    .returning(_OUTBOX.c.id, _OUTBOX.c.next_attempt_at)
)
# The messages this worker remembers sending, their leases renewed whatever came
# after (but another worker's lease that has not run out).
_RENEW = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.status == "queued",
        _FREE,
    )
    .values(lease_holder=bindparam("worker"), leased_until=bindparam("until"))
    .returning(_OUTBOX.c.id)
)
_RELEASE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.lease_holder == bindparam("worker"),
    )
    .values(lease_holder=None, leased_until=None)
)
_CLAIM = (
    select(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message_id"), *_DUE, _FREE)
    .with_for_update(skip_locked=True)
)
# The mark is an UPDATE of the table, not of the mapped class: the ORM's UPDATE path
# (its options, its session bookkeeping) cost about 0.2 ms a message, for an object
# the commit expires anyway.
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"), _OUTBOX.c.status == "queued")
    .values(
        status="sent",
        sent_at=bindparam("now", type_=_OUTBOX.c.sent_at.type),
        attempts=_OUTBOX.c.attempts + 1,
        last_error=None,
        lease_holder=None,
        leased_until=None,
    )
)
_MARK_SENT_FORGETTING = _MARK_SENT.values(to_addr=FORGOTTEN_RECIPIENT)


# A pass takes no new message once this share of its lease has gone by.
_PASS_SHARE_OF_LEASE = 0.5


def _lease(now: datetime, limit: int) -> list[int]:
    """Lease to this worker the messages it remembers sending, then up to ``limit`` due
    messages; their ids, the remembered first (their marks need no mail server), then
    the oldest due first."""
    parameters = {
        "now": now,
        "worker": worker_name(),
        "until": now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"]),
    }
    unmarked = _unmarked()
    remembered = list(unmarked)
    renewed = set()
    if remembered:
        renewed = set(db.session.scalars(_RENEW, {**parameters, "ids": remembered}))
    rows = db.session.execute(_LEASE, {**parameters, "limit": limit}).all()
    db.session.commit()
    for message_id in remembered:
        if message_id not in renewed:
            # Gone, no longer queued (its mark went through after all), or another
            # worker's: nothing of this worker's to mark.
            unmarked.pop(message_id, None)
    ordered = sorted(rows, key=lambda row: (row.next_attempt_at, row.id))
    return [i for i in remembered if i in renewed] + [
        row.id for row in ordered if row.id not in renewed
    ]


def _release(ids: list[int]) -> None:
    """Give back the leases of messages this pass took and did not try, but those it
    remembers sending. Best effort, also on the way out of a pass Ctrl-C ended: a
    database that cannot be written now only delays them (their leases run out)."""
    remembered = _unmarked()
    ids = [i for i in ids if i not in remembered]
    if not ids:
        return
    try:
        db.session.rollback()
        db.session.execute(_RELEASE, {"ids": ids, "worker": worker_name()})
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("%s leased messages not given back: their leases run out", len(ids))


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    parameters = {"message_id": message_id, "now": now, "worker": worker_name()}
    return db.session.scalar(_CLAIM, parameters)


def deliver_one(
    message_id: int, now: datetime, via: SmtpTransport | FileTransport | None = None
) -> str | None:
    """Try to send one message. Returns "sent", "retry", "failed" or None if not ours;
    raises ServerDown (after recording the attempt) when the mail server cannot be
    reached, so the caller stops its pass."""
    unmarked = _unmarked()
    row = _claim(message_id, now)
    if row is None:
        # Not ours now. A message this worker remembers sending stays remembered: its
        # row may only be locked for a moment; the next pass's renewal tells (``_lease``).
        db.session.rollback()
        return None
    lost_mark = unmarked.pop(message_id, None)
    if lost_mark is not None and lost_mark.identity == _identity(row):
        # Sent by this worker already; only its mark was lost. Marked now, with the
        # rows of the links it carries, and not sent again.
        db.session.add_all(_as_new(lost_mark.minted))
        return _mark_sent(row, lost_mark.sent_at, unmarked)
    via = via or transport()
    recipient = row.to_addr
    try:
        # The rows of the links minted for it stay pending until the mark (a look-up
        # while it is built would flush them), so the mark knows them all.
        with db.session.no_autoflush:
            message = _build_message(row, now)
        via.send(message, row)
    except (
        OSError,
        smtplib.SMTPException,
        ConnectionFailed,
        Permanent,
        BadHeaderError,
        UnicodeError,
    ) as exc:
        db.session.rollback()
        kind = classify(exc)
        outcome = _record_failure(message_id, now, kind, describe(exc, recipient))
        if kind == "connection":
            raise ServerDown(outcome) from exc
        return outcome
    return _mark_sent(row, now, unmarked)


@dataclass
class _LostMark:
    sent_at: datetime
    # The rows of the links minted for it, to go in with the mark.
    minted: list
    # Which message this is: an id alone may be another's by the next pass (SQLite
    # gives a deleted row's id again).
    identity: tuple


def _identity(row: OutboxMessage) -> tuple:
    return row.dedup_key, row.link_nonce, row.created_at


# At most one is added a pass (the pass stops there); one whose row went is dropped
# when it is claimed no more, or with the oldest past this many.
MAX_LOST_MARKS = 100


def _unmarked() -> dict[int, _LostMark]:
    """The messages this worker sent whose mark could not be written (SQLite busy past
    its timeout, a connection lost), by id. Its next pass marks them instead of sending
    them again. Kept with the app (one worker process, one app); a worker that stops
    forgets them, as it would a message sent the moment before it stopped, and on
    PostgreSQL another worker may claim the row first (docs/operations.md)."""
    return current_app.extensions.setdefault("outbox_sent_unmarked", {})


def _as_new(rows: list) -> list:
    """Rows a rollback took back, made ready to go in again: one flushed before the
    rollback keeps the id the database gave it then, which another row may hold now."""
    for obj in rows:
        mapper = inspect(obj).mapper
        column = mapper.local_table.autoincrement_column
        if column is not None:
            setattr(obj, mapper.get_property_by_column(column).key, None)
    return rows


def _mark_sent(row: OutboxMessage, now: datetime, unmarked: dict) -> str:
    message_id = row.id
    # One UPDATE of the columns that change, not the session's flush of the object
    # (10-20% of the database's time a message, measured apart).
    marked = _MARK_SENT_FORGETTING if row.forget_recipient else _MARK_SENT
    # The links' rows, added since the claim and inserted by the commit's flush; and
    # which message this is, read while the claimed row is loaded.
    minted, identity = list(db.session.new), _identity(row)
    try:
        # On the session's own connection for this table: the claim's transaction, and
        # its row lock.
        connection = db.session.connection(bind_arguments={"mapper": OutboxMessage})
        result = connection.execute(marked, {"message_id": message_id, "now": now})
        if result.rowcount != 1:
            # PostgreSQL's claim holds the row until this commit; SQLite locks no row,
            # so there the row can be deleted or changed while the message is sent. It
            # went: nothing to mark, and nothing to undo.
            db.session.rollback()
            log.warning("outbox message %s changed while it was sent: not marked", message_id)
            return SENT
        db.session.commit()
    except DBAPIError as exc:
        if not _connection_trouble(exc):
            raise
        db.session.rollback()
        unmarked[message_id] = _LostMark(now, minted, identity)
        while len(unmarked) > MAX_LOST_MARKS:
            del unmarked[next(iter(unmarked))]
        log.warning(
            "outbox message %s sent, its mark not written: the next pass marks it", message_id
        )
        raise
    return SENT


def _record_failure(message_id: int, now: datetime, kind: str, error: str) -> str | None:
    row = _claim(message_id, now)
    if row is None:
        db.session.rollback()
        return None
    row.attempts += 1
    # Tried: the next attempt is anyone's.
    row.lease_holder = row.leased_until = None
    if kind == "permanent":
        row.status = "failed"
        row.last_error = f"Not retried: {error}"[:500]
        log.warning("outbox message %s refused for good", row.id)
        outcome = FAILED
    elif row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = "failed"
        row.last_error = error[:500]
        log.warning("outbox message %s failed after %s attempts", row.id, row.attempts)
        outcome = FAILED
    else:
        row.last_error = error[:500]
        row.next_attempt_at = now + backoff(row.attempts)
        outcome = RETRY
    if outcome == FAILED and row.forget_recipient:
        # Given for this one message: not kept once it will not be tried again either.
        row.to_addr = FORGOTTEN_RECIPIENT
    db.session.commit()
    return outcome


def _never() -> bool:
    return False


def deliver_due(
    now: datetime, limit: int | None = None, stopping: Callable[[], bool] = _never
) -> DeliveryReport:
    """Send every message that is due, oldest first; returns what happened. Stops at
    the first connection failure, leaving the rest for the next pass; before the next
    message once ``stopping()`` is true; and once half the lease has gone by, leaving
    the rest for a pass that follows at once (the report says a full batch)."""
    limit = limit or current_app.config["OUTBOX_BATCH_SIZE"]
    deadline = time.monotonic() + (
        current_app.config["OUTBOX_LEASE_SECONDS"] * _PASS_SHARE_OF_LEASE
    )
    ids = _lease(now, limit)
    report = DeliveryReport(full=len(ids) >= limit)
    via = transport()
    remembered = _unmarked()
    untried = list(reversed(ids))
    database_failed = False
    try:
        while untried:
            # A remembered message is only marked: no mail server, no time to speak of,
            # and once marked no other worker can send it again. So it goes first (it
            # is first in the batch) whether or not the pass is to stop.
            if untried[-1] not in remembered:
                if stopping():
                    break
                if time.monotonic() >= deadline:
                    report.full = True
                    break
            # Taken off before it is tried: a message that may have gone out keeps its
            # lease, whatever happens next.
            message_id = untried.pop()
            try:
                report.add(deliver_one(message_id, now, via))
            except ServerDown as down:
                report.add(down.outcome)
                report.stopped = True
                log.warning("mail server unreachable: the pass stops, the rest waits")
                break
    except DBAPIError:
        database_failed = True
        raise
    finally:
        # Also when the pass ends by Ctrl-C: what it did not try is anyone's. Not after
        # the database failed: giving back would wait on it too, and this worker's next
        # pass takes its own leases again. Given back before the connection is closed,
        # which can take a mail timeout.
        if not database_failed:
            _release(untried)
        via.close()
    return report


def remembers_unmarked() -> bool:
    """Whether this worker holds messages it sent whose marks are still to be written."""
    return bool(_unmarked())


# What may run between a pass's deadline and the rest after it: the message being sent
# (its commands each within a MAIL_TIMEOUT, a reconnect) and the connection's QUIT.
_MAIL_TIMEOUTS_AFTER_THE_DEADLINE = 3


def rest_problem(rest: float) -> str | None:
    """Why resting ``rest`` seconds after a pass that lost a mark could let another
    worker send that message again, or None. The worker must be back within its lease:
    the half of it a pass leaves, less what the pass may still be doing then."""
    config = current_app.config
    lease, timeout = config["OUTBOX_LEASE_SECONDS"], config["MAIL_TIMEOUT"]
    needed = rest + _MAIL_TIMEOUTS_AFTER_THE_DEADLINE * timeout
    if needed < lease * (1 - _PASS_SHARE_OF_LEASE):
        return None
    return (
        f"a rest of {rest:g} s between passes is too long for OUTBOX_LEASE_SECONDS ({lease:g})"
        f" with MAIL_TIMEOUT {timeout:g}: a message whose mark was lost could be sent again by"
        " another worker. Give a shorter --interval (OUTBOX_POLL_SECONDS), or a lease of"
        f" more than {needed / (1 - _PASS_SHARE_OF_LEASE):g} s"
    )


def deliver_pass(now: datetime, stopping: Callable[[], bool] = _never) -> DeliveryReport | None:
    """``deliver_due`` for the worker's loop: a database that cannot be used just now
    (SQLite locked by a long write, PostgreSQL restarting) costs this pass, not the
    worker. Returns None then; what was not sent is still queued for the next pass.
    Anything else (no tables: a database never migrated) still stops the worker."""
    try:
        return deliver_due(now, stopping=stopping)
    except DBAPIError as exc:
        db.session.rollback()
        if not _passing(exc):
            raise
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        log.warning("database not available (%s): the next pass tries again", reason)
        return None


def _connection_trouble(exc: DBAPIError) -> bool:
    """The database could not be used (a timeout, a lock, a connection lost), rather
    than refusing the statement. psycopg reports a backend the server ended for
    idling in a transaction (idle_in_transaction_session_timeout: the claim's
    transaction waits through the SMTP exchange) as an InternalError on a connection
    SQLAlchemy then calls invalidated."""
    return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated


def _passing(exc: DBAPIError) -> bool:
    """Whether the error is trouble with the database that a later pass may not meet.
    psycopg raises OperationalError only for the connection and lock timeouts,
    InterfaceError for a connection closed under it; SQLite raises it for a missing
    table too."""
    if not _connection_trouble(exc):
        return False
    if isinstance(exc, InterfaceError) or exc.connection_invalidated:
        return True
    if db.engine.dialect.name != "sqlite":
        return True
    message = str(exc.orig)
    return "locked" in message or "busy" in message


class Stopped(Exception):
    """The worker was asked to stop (``StopRequest``)."""


class StopRequest:
    """SIGTERM (systemd's stop, `make run` stopping its processes) ends the worker
    between messages, not in the middle of one: the message being sent is marked, the
    pass gives back what it did not try (its leases), and the worker exits. While it
    rests between passes, it stops at once. Python's default for SIGTERM ends the
    process where it stands, and a message the server had just taken would go
    unmarked (sent again by the next worker to take it)."""

    def __init__(self) -> None:
        self.requested = False
        self._resting = False

    def __call__(self, _signum, _frame) -> None:
        self.requested = True
        if self._resting:
            raise Stopped

    @contextmanager
    def handling_sigterm(self) -> Iterator[StopRequest]:
        """Handle SIGTERM while the block runs, then put back what handled it before.
        Signals reach only the main thread: anywhere else this changes nothing."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        before = signal.signal(signal.SIGTERM, self)
        try:
            yield self
        finally:
            # None: a handler set outside Python, which cannot be put back from here.
            if before is not None:
                signal.signal(signal.SIGTERM, before)

    def rest(self, seconds: float) -> None:
        """Sleep between passes; raises Stopped if asked to stop before or during it."""
        self._resting = True
        try:
            if self.requested:
                raise Stopped
            time.sleep(seconds)
        finally:
            self._resting = False
