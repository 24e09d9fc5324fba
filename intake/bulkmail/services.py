"""Bulk e-mail to the current filtered waitlist: who gets it, what they read, and
queueing it through the outbox.

The people are the waitlist's own rows (intake.waitlist.queries, the same filters and
scope, every page), narrowed to those it is right to e-mail:

- an application still open (``states.OPEN_STATUSES``): never a withdrawn, closed,
  completed or ineligible one;
- a person who agreed to be contacted by e-mail about their application
  (``Applicant.consent_contact``, asked on every application form) and who has not
  deleted their data (deleting clears the consent too).

One person with several applications on the list gets one e-mail. Each e-mail is one
outbox row (dedup key ``bulk:<message>:<applicant>``) for the applicant, so it shows in
their timeline, in their language: the coordinator's version in that language, else
the English one (the greeting and footer are still in theirs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, case, distinct, func, select
from sqlalchemy.exc import IntegrityError

from intake.auth.scope import Scope
from intake.extensions import db
from intake.manage.services import DELETED_DOMAIN
from intake.models import Applicant, Application, BulkMessage, Cohort, Program
from intake.outbox.services import enqueue, render_email
from intake.programs.services import reply_address
from intake.status import states
from intake.waitlist import queries
from intake.waitlist.queries import Filters

TEMPLATE = "bulk_message"
ENGLISH = "en"
# The languages the app writes e-mail in, and so the versions a message can have.
LANGUAGES = {"en": "English", "es": "Spanish", "zh": "Chinese"}
SAMPLE_NAME = "Alex Sample"
SAMPLE_LINK = "https://example.org/your-private-link"


def language_of(column):
    """The language a person's e-mail is written in: their locale when the app writes
    e-mail in it, else English."""
    return case(*((column == code, code) for code in LANGUAGES if code != ENGLISH), else_=ENGLISH)


def _reachable():
    """The person agreed to be e-mailed and has not deleted their data."""
    return Applicant.consent_contact.is_(True) & ~Applicant.email_key.like(f"%@{DELETED_DOMAIN}")


def _listed(stmt: Select, filters: Filters, cohort: Cohort | None, scope: Scope) -> Select:
    """``stmt`` over the waitlist's rows for ``filters`` (all pages, joined to the
    applicant), without the list's order."""
    return queries.ordered(stmt, filters, cohort, scope=scope).order_by(None)


@dataclass
class Audience:
    """Who a bulk e-mail would reach, counted in the database."""

    # People e-mailed, by the language of their e-mail.
    by_language: dict[str, int] = field(default_factory=dict)
    # Applications on the list left out, by status (withdrawn, closed, …).
    ended: dict[str, int] = field(default_factory=dict)
    # People with an open application who may not be e-mailed (no consent, deleted).
    unreachable: int = 0
    # Open applications of people who have another on the list: one e-mail each.
    repeated: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_language.values())

    @property
    def withdrawn(self) -> int:
        return self.ended.get(states.WITHDRAWN, 0)

    def languages(self) -> list[str]:
        """The languages present among the recipients, English first."""
        return [code for code in LANGUAGES if self.by_language.get(code)]


def audience(filters: Filters, cohort: Cohort | None, *, scope: Scope) -> Audience:
    """Count the recipients per language and what is left out: two grouped queries,
    whatever the length of the list."""
    language = language_of(Applicant.locale)
    reachable = _reachable()
    rows = db.session.execute(
        _listed(
            select(
                language,
                reachable,
                func.count(distinct(Applicant.id)),
                func.count(Application.id),
            ),
            filters,
            cohort,
            scope,
        )
        .where(Application.status.in_(states.OPEN_IN_ORDER))
        .group_by(language, reachable)
    )
    result = Audience()
    for code, ok, people, applications in rows:
        if ok:
            result.by_language[code] = result.by_language.get(code, 0) + people
            result.repeated += applications - people
        else:
            result.unreachable += people
    ended = db.session.execute(
        _listed(select(Application.status, func.count()), filters, cohort, scope)
        .where(Application.status.not_in(states.OPEN_IN_ORDER))
        .group_by(Application.status)
    )
    result.ended = {row[0]: row[1] for row in ended}
    return result


def recipients(filters: Filters, cohort: Cohort | None, *, scope: Scope):
    """The people to e-mail now, once each, as plain rows (id, name, e-mail, language)."""
    stmt = (
        _listed(
            select(Applicant.id, Applicant.name, Applicant.email, language_of(Applicant.locale)),
            filters,
            cohort,
            scope,
        )
        .where(Application.status.in_(states.OPEN_IN_ORDER), _reachable())
        .distinct()
        .order_by(Applicant.id)
    )
    return db.session.execute(stmt)


# What the e-mail says ------------------------------------------------------------------


def paragraphs(text: str) -> list[list[str]]:
    """The coordinator's text as paragraphs (split at blank lines) of lines: the HTML
    part shows them as <p> and <br>, every character escaped."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def version_for(versions: Mapping[str, Mapping[str, str]], language: str) -> tuple[str, dict]:
    """The version a person with ``language`` reads: theirs, else the English one."""
    if language in versions:
        return language, dict(versions[language])
    return ENGLISH, dict(versions[ENGLISH])


def email_context(
    version: Mapping[str, str], text_language: str, language: str, program: Program, name: str
) -> dict:
    """What the template shows: the version, and whether its text is in another
    language than the e-mail's (the English one, for want of theirs)."""
    return {
        "name": name,
        "subject": version["subject"],
        "body": version["body"],
        "paragraphs": paragraphs(version["body"]),
        "text_language": text_language,
        "fallback": text_language != language,
        "program": program,
    }


def preview(versions: Mapping[str, Mapping[str, str]], program: Program, language: str):
    """The e-mail a person with ``language`` would get (subject, text, HTML), through
    the real template, with a sample name and link."""
    text_language, version = version_for(versions, language)
    context = email_context(version, text_language, language, program, SAMPLE_NAME)
    return render_email(TEMPLATE, language, manage_url=SAMPLE_LINK, **context)


# Sending -------------------------------------------------------------------------------


class NothingToSend(Exception):
    pass


def find_sent(form_token: str) -> BulkMessage | None:
    return db.session.scalar(select(BulkMessage).where(BulkMessage.form_token == form_token))


def send(
    *,
    form_token: str,
    program: Program,
    filters: Filters,
    cohort: Cohort | None,
    scope: Scope,
    versions: Mapping[str, Mapping[str, str]],
    coordinator_id: int | None,
    now: datetime,
) -> tuple[BulkMessage, bool]:
    """Record the message and queue one e-mail per person on the list now (the
    list is read again here: someone who left it since the preview is not e-mailed).

    Returns the message and whether it was sent by this call: a form sent again (the
    same ``form_token``) finds the first message and queues nothing. Flushes.
    """
    existing = find_sent(form_token)
    if existing is not None:
        return existing, False
    message = BulkMessage(
        form_token=form_token,
        program_id=program.id,
        created_by_id=coordinator_id,
        filters={
            key: str(value)
            for key, value in filters.query_args(page=1).items()
            if key not in ("sort", "dir")
        },
        versions={code: dict(version) for code, version in versions.items()},
        recipient_count=0,
        created_at=now,
    )
    # Two clicks at once: the unique form token decides which one sends.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return db.session.scalars(
            select(BulkMessage).where(BulkMessage.form_token == form_token)
        ).one(), False
    reply = reply_address(program)
    count = 0
    for applicant_id, name, email, language in recipients(filters, cohort, scope=scope).all():
        text_language, version = version_for(versions, language)
        enqueue(
            template=TEMPLATE,
            to=email,
            dedup_key=f"bulk:{message.id}:{applicant_id}",
            locale=language,
            now=now,
            reply_to=reply,
            applicant_id=applicant_id,
            program_id=program.id,
            context=email_context(version, text_language, language, program, name),
        )
        count += 1
    if not count:
        raise NothingToSend
    message.recipient_count = count
    db.session.flush()
    return message, True
