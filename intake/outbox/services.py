"""Writing e-mail to the outbox. The outbox table is the only way e-mail leaves.

Services that change state call ``enqueue`` in the same transaction, so a message
exists exactly when its cause was committed. The worker in ``delivery`` sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.links import (
    ActionLink,
    LinkSpec,
    ManageLink,
    ParticipantLink,
    PasswordLink,
    SurveyLink,
    marker,
    new_nonce,
    specs_to_json,
)
from intake.models import Application, OutboxMessage
from intake.programs.services import reply_address

# The slot of the applicant's manage link: every message to an applicant offers it.
MANAGE_SLOT = "manage_url"
# A named staff member is no applicant: their own page's link takes the manage link's
# place, in every message to them (the e-mail layout shows it).
PARTICIPANT_SLOT = "participant_url"


# Stored in place of a recipient the app promised not to keep, once it is sent.
FORGOTTEN_RECIPIENT = "(not kept)"


def render_email(template: str, locale: str, **context) -> tuple[str, str, str]:
    """Render ``templates/email/<template>.txt`` and ``.html`` in ``locale``.

    The subject is the ``subject`` block of the text template. The context processors
    run once, and the subject block renders in the text template's own context
    (issue 13: this runs inside the request that queues the message).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    env = app.jinja_env
    with force_locale(locale):
        app.update_template_context(context)  # some of it is in the locale
        text_template = env.get_template(f"email/{template}.txt")
        html_template = env.get_template(f"email/{template}.html")
        text_context = text_template.new_context(context)
        subject = "".join(text_template.blocks["subject"](text_context))
        text = "".join(text_template.root_render_func(text_context))
        html = html_template.render(context)
    return " ".join(subject.split()), text.strip() + "\n", html


def enqueue(
    *,
    template: str,
    to: str,
    dedup_key: str,
    locale: str,
    now: datetime,
    reply_to: str | None = None,
    applicant_id: int | None = None,
    application_id: int | None = None,
    coordinator_id: int | None = None,
    participant_id: int | None = None,
    letter_id: int | None = None,
    links: Mapping[str, LinkSpec] | None = None,
    program_id: int | None = None,
    forget_recipient: bool = False,
    ics: str | None = None,
    context: dict | None = None,
    new_key: bool = False,
) -> OutboxMessage:
    """Queue one message; a second call with the same ``dedup_key`` returns the first.

    ``links`` names the private links the message carries, by the template variable
    that shows each (``{"accept_url": ActionLink(...)}``); a message to an applicant
    also gets their manage link as ``manage_url``, and one to a named staff member
    (``participant_id`` without ``applicant_id``) their own page's as
    ``participant_url``. The template sees a marker in each
    slot, unique to this row; the delivery worker mints the links as it sends, for
    ``applicant_id``/``application_id``/``coordinator_id`` of this row only. With
    ``letter_id`` the worker attaches that letter as a PDF, rendered as it sends.

    ``new_key``: the caller knows no row can hold ``dedup_key`` yet, because the key
    names a row inserted in this same transaction (``received:<new applicant id>``);
    the message is then only added to the session, with no lookup and no savepoint,
    and goes in with the caller's next flush or commit (issue 13: three round trips
    fewer for every application).
    """
    if not new_key:
        existing = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
        )
        if existing is not None:
            return existing
    specs = dict(links or {})
    if applicant_id is not None:
        specs.setdefault(MANAGE_SLOT, ManageLink())
    elif participant_id is not None:
        specs.setdefault(PARTICIPANT_SLOT, ParticipantLink())
    _check_links(specs, applicant_id, application_id, coordinator_id, participant_id)
    context = dict(context or {})
    nonce = new_nonce() if specs else None
    if nonce is not None:
        for slot in specs:
            if slot in context:
                raise ValueError(f"{slot!r} is a link slot and a context value")
            context[slot] = marker(nonce, slot)
    subject, text, html = render_email(template, locale, **context)
    message = OutboxMessage(
        dedup_key=dedup_key,
        template=template,
        to_addr=to,
        reply_to=reply_to or current_app.config["COORDINATOR_EMAIL"],
        subject=subject,
        text_body=text,
        html_body=html,
        locale=locale,
        applicant_id=applicant_id,
        application_id=application_id,
        coordinator_id=coordinator_id,
        participant_id=participant_id,
        letter_id=letter_id,
        links=specs_to_json(specs) if specs else None,
        link_nonce=nonce,
        program_id=program_id,
        forget_recipient=forget_recipient,
        ics=ics,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if new_key:
        db.session.add(message)
        return message
    # A concurrent request may have queued the same event a moment ago: the unique
    # dedup_key decides, inside a savepoint so the caller's transaction survives.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
        ).one()
    return message


def email_applicant(
    application: Application,
    *,
    template: str,
    dedup_key: str,
    now: datetime,
    links: Mapping[str, LinkSpec] | None = None,
    **context,
) -> OutboxMessage:
    """Queue an e-mail to an application's applicant, in their language, answered by
    the program's coordinators; the template gets ``applicant`` and ``application``
    with ``context``. Action ``links`` act on this application."""
    applicant = application.applicant
    return enqueue(
        template=template,
        to=applicant.email,
        dedup_key=dedup_key,
        locale=applicant.locale,
        now=now,
        reply_to=reply_address(application.program),
        applicant_id=applicant.id,
        application_id=application.id if links else None,
        links=links,
        context={"applicant": applicant, "application": application, **context},
    )


def _check_links(
    specs: dict[str, LinkSpec],
    applicant_id: int | None,
    application_id: int | None,
    coordinator_id: int | None,
    participant_id: int | None = None,
) -> None:
    """A link needs the row to say whose it is: the worker takes that from the row."""
    for slot, spec in specs.items():
        if isinstance(spec, ManageLink | ActionLink) and applicant_id is None:
            raise ValueError(f"{slot}: an applicant's link needs applicant_id")
        if isinstance(spec, ActionLink) and application_id is None:
            raise ValueError(f"{slot}: an action link needs application_id")
        if isinstance(spec, PasswordLink) and coordinator_id is None:
            raise ValueError(f"{slot}: a password link needs coordinator_id")
        if isinstance(spec, SurveyLink) and participant_id is None:
            raise ValueError(f"{slot}: a survey link needs participant_id")
        if isinstance(spec, ParticipantLink) and participant_id is None:
            raise ValueError(f"{slot}: a participant's link needs participant_id")


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = {"queued": 0, "sent": 0, "failed": 0}
    counts.update(rows.all())
    return counts
