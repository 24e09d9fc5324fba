"""A finished screener's answers, kept on the server until the application is sent.

The session cookie is signed, not encrypted: whatever it carries can be read by
anyone who holds it (a shared computer, a proxy that logs cookies). So the session
carries only a random key, and the answers (the self-identification answer
among them) stay in the ``screener_drafts`` table under the key's SHA-256.

Functions flush and never commit; the view commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, select, update

from intake.extensions import db
from intake.models import ScreenerDraft, table_of
from intake.rows import rows_changed

# Keys are 43 characters; anything else in the session is not one of ours (an
# older cookie that carried the answers themselves, say).
KEY_LENGTH = 43


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _valid_key(key: Any) -> bool:
    return isinstance(key, str) and len(key) == KEY_LENGTH


def _lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["SCREENER_DRAFT_MINUTES"])


_DRAFTS = table_of(ScreenerDraft)


def _live(*what):
    return select(*what).where(
        _DRAFTS.c.key_hash == bindparam("key_hash"),
        _DRAFTS.c.kind == bindparam("kind"),
        _DRAFTS.c.expires_at > bindparam("now"),
    )


# Built once: building the select in each request took SQLAlchemy about as long as
# running it (a draft's read 578 -> 314 us on SQLite, with its BEGIN and ROLLBACK).
_DRAFT = _live(ScreenerDraft)
# The columns alone, and the table's, not the mapped class's: every application form
# page reads them, and the ORM's handling of a mapped column's select cost 0.23 of this
# read's 0.82 ms on PostgreSQL (0.08 of 0.38 ms on SQLite; each with its BEGIN and
# ROLLBACK, measured apart). A Core select does not flush the session first: whatever
# changes a draft (``save``, the renewal below) writes it itself.
_ANSWERS = _live(_DRAFTS.c.answers, _DRAFTS.c.expires_at)
_RENEW = (
    update(_DRAFTS)
    .where(_DRAFTS.c.key_hash == bindparam("renewed_hash"))
    .values(expires_at=bindparam("renewed_until", type_=_DRAFTS.c.expires_at.type))
)


def _params(key: str, kind: str, now: datetime) -> dict[str, Any]:
    return {"key_hash": _hash(key), "kind": kind, "now": now}


def _find(key: Any, kind: str, now: datetime) -> ScreenerDraft | None:
    if not _valid_key(key):
        return None
    return db.session.scalar(_DRAFT, _params(key, kind, now))


def load(key: Any, kind: str, now: datetime) -> dict[str, Any] | None:
    """The answers saved under this key, or None (no key, unknown, or expired)."""
    return load_renewing(key, kind, now, renew=False)[0]


def load_renewing(
    key: Any, kind: str, now: datetime, *, renew: bool = True
) -> tuple[dict[str, Any] | None, bool]:
    """``load`` for the application form, which someone may take a long time to fill
    in: a draft with less than half its lifetime left is given its full lifetime again,
    so the answers do not expire under them. Returns the answers and whether the draft
    was renewed (the caller commits). A draft with more left costs no write."""
    if not _valid_key(key):
        return None, False
    params = _params(key, kind, now)
    row = db.session.execute(_ANSWERS, params).first()
    if row is None:
        return None, False
    answers, expires_at = row
    renewed = renew and expires_at - now < _lifetime() / 2
    if renewed:
        db.session.execute(
            _RENEW, {"renewed_hash": params["key_hash"], "renewed_until": now + _lifetime()}
        )
    return dict(answers), renewed


def save(key: Any, kind: str, answers: dict[str, Any], now: datetime) -> str:
    """Save the answers under the key if it still names a draft (the person changed
    an answer), else under a new key; returns the key for the session. Each save
    gives the draft its full lifetime again."""
    draft = _find(key, kind, now)
    if draft is None:
        key = secrets.token_urlsafe(32)
        draft = ScreenerDraft(key_hash=_hash(key), kind=kind, created_at=now)
        db.session.add(draft)
    draft.answers = dict(answers)
    draft.expires_at = now + _lifetime()
    db.session.flush()
    return key


def discard(key: Any) -> None:
    if _valid_key(key):
        db.session.execute(
            delete(ScreenerDraft)
            .where(ScreenerDraft.key_hash == _hash(key))
            .execution_options(synchronize_session=False)
        )


def purge_expired(now: datetime) -> int:
    """Delete the drafts nobody came back to; returns how many."""
    return rows_changed(delete(ScreenerDraft).where(ScreenerDraft.expires_at <= now))
