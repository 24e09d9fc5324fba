"""Waiting applicants, cohorts, offers and the links in their e-mails, for the
journeys through offers, check-ins and the response pages."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    Applicant,
    Application,
    AuditEvent,
    Cohort,
    Offer,
    OutboxMessage,
    StatusEvent,
)
from intake.offers.services import make_offer
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort
from tests.helpers import csrf_token, submit_agency_application, submit_application

ACTION_LINK = re.compile(r"https://intake\.example\.org(/respond/([a-z_]+)/[A-Za-z0-9_.\-]+)")


def apply(
    app,
    name: str = "Rosa Example",
    email: str | None = None,
    lang: str | None = None,
    languages=("en",),
    availability=("weekday_evening",),
    **details,
) -> Application:
    """A waiting application, sent through the real form by its own browser."""
    client = app.test_client()
    if lang:
        client.get(f"/?lang={lang}")
    email = email or f"{name.split()[0].lower()}@example.org"
    response = submit_application(
        client,
        name=name,
        email=email,
        languages=list(languages),
        availability=list(availability),
        programs=["introductory"],
        **details,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    application = db.session.scalars(
        select(Application).join(Applicant).where(Applicant.email == email)
    ).one()
    assert application.status == "waitlisted"
    return application


def apply_agency(app, **details) -> Application:
    client = app.test_client()
    response = submit_agency_application(client, **details)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    application = db.session.scalars(
        select(Application).join(Applicant).where(Applicant.kind == "agency")
    ).one()
    assert application.status == "waitlisted", application.status
    return application


def offer(cohort: Cohort, application: Application, now: datetime) -> Offer:
    made = make_offer(cohort, application, now=now)
    db.session.commit()
    return made


def deliver(smtp, now: datetime) -> list[EmailMessage]:
    """Run the delivery worker; the messages that arrived because of it."""
    before = len(smtp.messages)
    deliver_due(now)
    return smtp.messages[before:]


def spaces(value: str) -> str:
    """Babel writes "10:00\u202fAM" (a narrow no-break space): compare as plain spaces."""
    return value.replace("\u202f", " ").replace("\xa0", " ")


def text(message: EmailMessage) -> str:
    return spaces(message.get_body(("plain",)).get_content())


def html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def action_paths(message: EmailMessage) -> dict[str, str]:
    """The action links in a message's text part, by purpose, as paths to open."""
    found = {purpose: path for path, purpose in ACTION_LINK.findall(text(message))}
    # The HTML part carries the very same links.
    for path in found.values():
        assert f'href="https://intake.example.org{path}"' in html(message)
    return found


def only(messages: list[EmailMessage], subject_part: str) -> EmailMessage:
    [message] = [m for m in messages if subject_part in m["Subject"]]
    return message


def press(client, path: str, **data):
    """Open a response page and press its button, as a browser does."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def snapshot() -> dict:
    """Every row a response could change, to show that something changed nothing."""
    db.session.commit()  # a fresh look: nothing cached from before the request
    return {
        "applications": db.session.execute(
            select(
                Application.id,
                Application.status,
                Application.joined_at,
                Application.confirmed_at,
                Application.checkin_sent_at,
                Application.updated_at,
            ).order_by(Application.id)
        ).all(),
        "offers": db.session.execute(
            select(Offer.id, Offer.status, Offer.answered_at, Offer.reminded_at).order_by(Offer.id)
        ).all(),
        "cohorts": db.session.execute(
            select(Cohort.id, Cohort.seats_offered, Cohort.seats_enrolled).order_by(Cohort.id)
        ).all(),
        "events": db.session.scalar(select(func.count()).select_from(StatusEvent)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    }


def templates_queued() -> list[str]:
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.template).order_by(OutboxMessage.id)))


# A person at each point where an e-mail carries action links --------------------------


def offered(app, smtp, clock, **details) -> tuple[Application, dict[str, str]]:
    """A waiting person offered a seat in a new cohort; the links in the offer e-mail."""
    application = apply(app, **details)
    cohort = add_cohort(clock())
    offer(cohort, application, clock())
    subject = in_language("A seat is waiting for you", details.get("lang", "en"))
    message = only(deliver(smtp, clock()), subject)
    return application, action_paths(message)


def in_language(message: str, language: str) -> str:
    """An English string as the catalogues translate it (the e-mails are translated)."""
    from flask import current_app
    from flask_babel import force_locale, gettext

    with current_app.test_request_context(), force_locale(language):
        return gettext(message)


def checked_in(app, smtp, clock, **details) -> tuple[Application, dict[str, str]]:
    """A person who waited past the check-in interval; the links in the check-in."""
    from intake.checkins.services import send_due

    application = apply(app, **details)
    clock.advance(days=application.program.checkin_interval_days, minutes=1)
    assert send_due(clock()) == 1
    db.session.commit()
    message = only(deliver(smtp, clock()), "Are you still interested")
    return application, action_paths(message)


def paused(app, smtp, clock, **details) -> tuple[Application, dict[str, str]]:
    """A person who did not answer a check-in; the link in the "paused" e-mail."""
    from intake.checkins.services import inactivate_due

    application, _ = checked_in(app, smtp, clock, **details)
    clock.advance(days=application.program.checkin_window_days)
    assert inactivate_due(clock()) == 1
    db.session.commit()
    message = only(deliver(smtp, clock()), "Your place on the waitlist is paused")
    return application, action_paths(message)


def link_for(app, smtp, clock, purpose: str, **details) -> tuple[Application, str]:
    setup = {
        "offer_accept": offered,
        "offer_decline": offered,
        "checkin_yes": checked_in,
        "checkin_leave": checked_in,
        "reactivate": paused,
    }[purpose]
    application, paths = setup(app, smtp, clock, **details)
    return application, paths[purpose]
