"""Private links in e-mails come only from the link specs the app stored on the outbox
row, for that row's own applicant: text a person typed never becomes a link.

The forged placeholders below are exactly what the old worker expanded anywhere in a
rendered body (a referral's "your name", an applicant's name)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from intake.extensions import db
from intake.links import ActionLink, marker
from intake.models import Application, ManageToken, Offer, OutboxMessage
from intake.outbox.delivery import deliver_due
from intake.outbox.services import enqueue
from tests.factories import add_cohort
from tests.helpers import csrf_token
from tests.respond.support import ACTION_LINK, apply, deliver, html, offer, snapshot, text

MANAGE_LINK = re.compile(r"https://intake\.example\.org(/manage/[A-Za-z0-9_\-]+)")


def old_action(purpose: str, application_id: int, offer_id: int, expires) -> str:
    return f"%%ACTION:{purpose}:{application_id}:{offer_id}:{int(expires.timestamp())}%%"


def use_every_link(client, message) -> None:
    """What an attacker does with any action link that reaches them: open it and
    press its button, both ways a decline can go."""
    for path, _purpose in ACTION_LINK.findall(text(message)):
        page = client.get(path)
        if page.status_code == 200:
            token = csrf_token(page.get_data(as_text=True))
            client.post(path, data={"choice": "leave", "csrf_token": token})


def manage_tokens() -> int:
    return db.session.scalar(select(func.count()).select_from(ManageToken))


def victim_with_an_offer(app, smtp, clock) -> tuple[Application, Offer]:
    victim = apply(app, name="Ana Victim", email="ana@example.org")
    made = offer(add_cohort(clock()), victim, clock())
    deliver(smtp, clock())  # her own e-mails, with her own links, go to her
    return victim, made


def forged_for(victim: Application, made: Offer, clock) -> str:
    far = clock() + timedelta(days=3650)
    return " ".join(
        [
            old_action("offer_decline", victim.id, made.id, far),
            old_action("checkin_leave", victim.id, 0, far),
            "%%MANAGE_URL%%",
            "%%RESET_URL%%",
        ]
    )


def test_a_forged_placeholder_as_a_referrers_name_stays_text(smtp, app, ctx, client, clock):
    victim, made = victim_with_an_offer(app, smtp, clock)
    forged = forged_for(victim, made, clock)
    before, tokens_before = snapshot(), manage_tokens()

    page = client.get("/screener/agency/refer").get_data(as_text=True)
    response = client.post(
        "/screener/agency/refer",
        data={
            "director_email": "attacker@example.net",
            "your_name": forged,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 200
    [message] = deliver(smtp, clock())
    assert message["To"] == "attacker@example.net"
    use_every_link(client, message)

    # Ana's application and offer are as they were.
    assert snapshot() == {**before, "outbox": before["outbox"] + 1}
    assert db.session.get(Offer, made.id).status == "open"
    # No link of any kind was made; what was typed arrived as the text it is.
    body = text(message) + html(message)
    assert "/respond/" not in body
    assert "/manage/" not in body
    assert "/coord/reset" not in body
    assert manage_tokens() == tokens_before
    assert forged in text(message)


def test_a_forged_placeholder_as_an_applicants_name_stays_text(smtp, app, ctx, client, clock):
    victim, made = victim_with_an_offer(app, smtp, clock)
    forged = forged_for(victim, made, clock)
    before = snapshot()

    # The attacker applies under a name that is the placeholders.
    attacker = apply(app, name=forged, email="mallory@example.net")
    [message] = deliver(smtp, clock())
    assert message["To"] == "mallory@example.net"
    use_every_link(client, message)

    assert db.session.get(Offer, made.id).status == "open"
    assert db.session.get(Application, victim.id).status == "offered"
    ana = [row for row in snapshot()["applications"] if row.id == victim.id]
    assert ana == [row for row in before["applications"] if row.id == victim.id]
    body = text(message)
    assert "/respond/" not in body + html(message)
    assert forged in body
    # The one manage link is the template's own, for the attacker's own page.
    assert len(MANAGE_LINK.findall(body)) == 1
    assert len(MANAGE_LINK.findall(html(message))) == 1
    assert attacker.applicant_id != victim.applicant_id


def test_a_marker_copied_from_another_message_stays_text(smtp, app, ctx, client, clock):
    """Someone who saw another row's marker (its nonce) still cannot use it: only the
    row's own nonce counts, and a row's nonce exists only once its text is fixed."""
    _victim, made = victim_with_an_offer(app, smtp, clock)
    offer_row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "offer_made")
    ).one()
    copied = (
        marker(offer_row.link_nonce, "decline_url")
        + " "
        + marker(offer_row.link_nonce, "manage_url")
    )

    apply(app, name=copied, email="mallory@example.net")
    [message] = deliver(smtp, clock())
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == "mallory@example.net")
    ).one()
    assert row.link_nonce != offer_row.link_nonce
    assert len(row.link_nonce) == 32
    assert "/respond/" not in text(message) + html(message)
    assert copied in text(message)
    assert len(MANAGE_LINK.findall(text(message))) == 1
    assert db.session.get(Offer, made.id).status == "open"


def test_action_links_are_only_for_the_rows_own_application(smtp, app, ctx, clock):
    """A spec naming another person's application or offer makes no link: the
    message fails, with the reason, and nothing is sent."""
    victim, made = victim_with_an_offer(app, smtp, clock)
    other = apply(app, name="Bo Other", email="bo@example.org")
    deliver(smtp, clock())
    expires = clock() + timedelta(days=7)
    wrong_application = enqueue(
        template="offer_made",
        to="bo@example.org",
        dedup_key="test:wrong-application",
        locale="en",
        now=clock(),
        applicant_id=other.applicant_id,
        application_id=victim.id,
        links={"decline_url": ActionLink("offer_decline", expires, offer_id=made.id)},
        context={
            "applicant": other.applicant,
            "application": other,
            "offer": made,
            "cohort": made.cohort,
        },
    )
    wrong_offer = enqueue(
        template="offer_made",
        to="bo@example.org",
        dedup_key="test:wrong-offer",
        locale="en",
        now=clock(),
        applicant_id=other.applicant_id,
        application_id=other.id,
        links={"decline_url": ActionLink("offer_decline", expires, offer_id=made.id)},
        context={
            "applicant": other.applicant,
            "application": other,
            "offer": made,
            "cohort": made.cohort,
        },
    )
    db.session.commit()
    sent_before = len(smtp.messages)

    report = deliver_due(clock())
    assert (report.sent, report.failed) == (0, 2)
    assert len(smtp.messages) == sent_before
    for row, reason in (
        (wrong_application, "the application is not the recipient's"),
        (wrong_offer, "the offer is not the application's"),
    ):
        db.session.refresh(row)
        assert row.status == "failed"
        assert reason in row.last_error
    assert db.session.get(Offer, made.id).status == "open"


def test_the_offer_links_still_work_for_their_own_applicant(smtp, app, ctx, client, clock):
    victim, made = victim_with_an_offer(app, smtp, clock)
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "offer_made")
    ).one()
    assert row.application_id == victim.id
    assert row.applicant_id == victim.applicant_id
    slots = {spec["slot"]: spec for spec in row.links}
    assert slots["decline_url"] == {
        "slot": "decline_url",
        "kind": "action",
        "purpose": "offer_decline",
        "offer_id": made.id,
        "expires_at": int(made.expires_at.timestamp()),
    }
    assert slots["manage_url"] == {"slot": "manage_url", "kind": "manage"}
    # Stored: markers only, never a link.
    assert "/respond/" not in row.text_body + row.html_body
    assert marker(row.link_nonce, "accept_url") in row.text_body
