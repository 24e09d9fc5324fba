"""The delivery worker: sends queued outbox messages, retries with back-off.

Each message is claimed in its own transaction with ``SELECT … FOR UPDATE SKIP
LOCKED`` and marked sent in that transaction, so on PostgreSQL several workers
never send the same message. SQLite has no row locks (the clause is dropped):
run a single worker there, as `make run` does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import select

from intake.auth.services import RESET, RESET_URL_PLACEHOLDER, WELCOME, make_reset_token
from intake.extensions import db
from intake.links import fill_action_links
from intake.models import Coordinator, ManageToken, OutboxMessage
from intake.outbox.services import FORGOTTEN_RECIPIENT, MANAGE_URL_PLACEHOLDER, public_url

log = logging.getLogger(__name__)


class TimeoutConnection(Connection):
    """Flask-Mail's connection with an explicit timeout and verified TLS.

    Flask-Mail 0.10 opens ``smtplib.SMTP(host, port)`` with no timeout, so a silent
    server would hang the worker forever, and its STARTTLS uses no certificate
    checks. This override is the smallest change that fixes both.
    """

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT"]
        context = ssl.create_default_context()
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(
                self.mail.server, self.mail.port, timeout=timeout, context=context
            )
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls(context=context)
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_manage_token(applicant_id: int, now: datetime) -> str:
    """Create a manage link token for an applicant; store only its hash."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ManageToken(applicant_id=applicant_id, token_hash=hash_token(token), created_at=now)
    )
    return token


def backoff(attempts: int) -> timedelta:
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_MAX_SECONDS"]))


def _links(row: OutboxMessage, body: str, now: datetime) -> dict[str, str]:
    """The secret links a message carries, minted now so the outbox never holds one."""
    links = {}
    if row.applicant_id is not None and MANAGE_URL_PLACEHOLDER in body:
        token = mint_manage_token(row.applicant_id, now)
        links[MANAGE_URL_PLACEHOLDER] = public_url(f"/manage/{token}")
    if row.coordinator_id is not None and RESET_URL_PLACEHOLDER in body:
        coordinator = db.session.get(Coordinator, row.coordinator_id)
        kind = WELCOME if row.template == "coordinator_welcome" else RESET
        token = make_reset_token(coordinator, kind)
        links[RESET_URL_PLACEHOLDER] = public_url(f"/coord/reset/{token}")
    return links


def _action_url(purpose: str, token: str) -> str:
    return public_url(f"/respond/{purpose}/{token}")


def _build_message(row: OutboxMessage, now: datetime) -> Message:
    text, html = row.text_body, row.html_body
    for placeholder, url in _links(row, text + html, now).items():
        text = text.replace(placeholder, url)
        html = html.replace(placeholder, url)
    text = fill_action_links(text, _action_url)
    html = fill_action_links(html, _action_url)
    message = Message(
        subject=row.subject,
        recipients=[row.to_addr],
        body=text,
        html=html,
        reply_to=row.reply_to,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    if row.ics:
        message.attach(
            "invite.ics", "text/calendar; method=REQUEST; charset=utf-8", row.ics.encode()
        )
    domain = current_app.config["PUBLIC_BASE_URL"].split("//")[-1].split("/")[0].split(":")[0]
    message.msgId = make_msgid(idstring=f"outbox-{row.id}", domain=domain or "localhost")
    return message


def _transmit(message: Message, row: OutboxMessage) -> None:
    config = current_app.config
    if config["MAIL_SERVER"]:
        with TimeoutConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
        return
    # No SMTP configured: deliver to a folder of .eml files a person can open.
    folder = Path(config["MAIL_FILE_DIR"] or Path(current_app.instance_path) / "mail")
    folder.mkdir(parents=True, exist_ok=True)
    if message.sender is None:
        message.sender = config["MAIL_DEFAULT_SENDER"]
    (folder / f"{row.id:06d}-{row.template}.eml").write_bytes(message.as_bytes())


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    return db.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "queued",
            OutboxMessage.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
    )


def deliver_one(message_id: int, now: datetime) -> str | None:
    """Try to send one message. Returns "sent", "retry", "failed" or None if not ours."""
    row = _claim(message_id, now)
    if row is None:
        db.session.rollback()
        return None
    try:
        _transmit(_build_message(row, now), row)
    except (OSError, smtplib.SMTPException) as exc:
        db.session.rollback()
        return _record_failure(message_id, now, exc)
    row.status = "sent"
    row.sent_at = now
    row.attempts += 1
    row.last_error = None
    if row.forget_recipient:
        row.to_addr = FORGOTTEN_RECIPIENT
    db.session.commit()
    return "sent"


def _record_failure(message_id: int, now: datetime, exc: Exception) -> str | None:
    row = _claim(message_id, now)
    if row is None:
        db.session.rollback()
        return None
    row.attempts += 1
    # Keep the error short and free of message content: class and server reply only.
    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = "failed"
        outcome = "failed"
        log.warning("outbox message %s failed after %s attempts", row.id, row.attempts)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        outcome = "retry"
    db.session.commit()
    return outcome


def deliver_due(now: datetime, limit: int | None = None) -> DeliveryReport:
    """Send every message that is due, oldest first; returns what happened."""
    limit = limit or current_app.config["OUTBOX_BATCH_SIZE"]
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    report = DeliveryReport()
    for message_id in ids:
        outcome = deliver_one(message_id, now)
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retry":
            report.retried += 1
        elif outcome == "failed":
            report.failed += 1
    return report
