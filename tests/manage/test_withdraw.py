"""Withdrawing one application from the manage page."""

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Application, Cohort, Offer, OutboxMessage, StatusEvent
from intake.offers.services import make_offer
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort
from tests.helpers import csrf_token, send_form
from tests.manage.support import applicant_by_email, apply, emails_to, link_in, text_of


def _application() -> Application:
    return applicant_by_email("rosa@example.org").applications[0]


def _withdrawal_events(application_id: int) -> list[StatusEvent]:
    return list(
        db.session.scalars(
            select(StatusEvent).where(
                StatusEvent.application_id == application_id,
                StatusEvent.to_status == "withdrawn",
            )
        )
    )


def test_withdraw_asks_first_then_withdraws_once_and_confirms_by_email(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    application = _application()
    status_page = client.get(path).get_data(as_text=True)
    withdraw_url = f"{path}/withdraw/{application.reference}"
    assert f'href="{withdraw_url}"' in status_page

    # Opening the page changes nothing: it asks.
    page = client.get(withdraw_url).get_data(as_text=True)
    assert "Withdraw your application?" in page
    assert "Yes, withdraw my application" in page
    assert _application().status == "waitlisted"

    clock.advance(days=3)
    token = csrf_token(page)
    data = {"reason": "I changed jobs.", "csrf_token": token}
    response = client.post(withdraw_url, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == path
    assert "is withdrawn. We have sent you an e-mail" in client.get(path).get_data(as_text=True)

    application = _application()
    assert application.status == "withdrawn"
    (event,) = _withdrawal_events(application.id)
    assert (event.from_status, event.actor, event.reason) == (
        "waitlisted",
        "applicant",
        "I changed jobs.",
    )

    # A second click (the page was still open): one effect, the current state shown.
    response = client.post(withdraw_url, data=data)
    assert response.status_code == 303
    assert "This application is withdrawn. Nothing more to do." in client.get(path).get_data(
        as_text=True
    )
    assert len(_withdrawal_events(application.id)) == 1
    assert (
        db.session.scalar(
            select(func.count()).where(OutboxMessage.template == "applicant_withdrawn")
        )
        == 1
    )

    deliver_due(clock())
    (mail,) = [m for m in emails_to(smtp, "rosa@example.org") if "withdrawn" in m["Subject"]]
    assert mail["Subject"] == f"You have withdrawn your application – {application.reference}"
    assert "we have withdrawn your application to Introductory reflective practice" in text_of(mail)
    # Its manage link works and shows the new status; the withdraw link is gone.
    page = client.get(link_in(mail)).get_data(as_text=True)
    assert "Withdrawn" in page
    assert "Withdraw this application" not in page


def test_withdrawing_an_offered_application_frees_the_seats(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    cohort = add_cohort(clock(), name="Evening English", seats=4)
    offer = make_offer(cohort, _application(), now=clock())
    db.session.commit()
    assert db.session.get(Cohort, cohort.id).seats_offered == 1
    withdraw_url = f"{path}/withdraw/{_application().reference}"
    page = client.get(withdraw_url).get_data(as_text=True)
    assert "The seat we are holding for you will go to the next person." in page

    response = send_form(client, withdraw_url, {"reason": ""})
    assert response.status_code == 303

    db.session.expire_all()
    assert _application().status == "withdrawn"
    assert db.session.get(Offer, offer.id).status == "rescinded"
    assert db.session.get(Cohort, cohort.id).seats_offered == 0
    (event,) = _withdrawal_events(offer.application_id)
    assert (event.from_status, event.reason) == ("offered", None)
    deliver_due(clock())
    (mail,) = [m for m in emails_to(smtp, "rosa@example.org") if "withdrawn" in m["Subject"]]
    assert "The seat we were holding for you in Evening English" in text_of(mail)


def test_with_htmx_withdrawing_redirects_and_errors_swap_the_form(smtp, client, htmx, ctx, clock):
    path = apply(smtp, client, clock)
    withdraw_url = f"{path}/withdraw/{_application().reference}"
    token = csrf_token(htmx.get(withdraw_url).get_data(as_text=True))

    too_long = "x" * 1001
    response = htmx.post(withdraw_url, data={"reason": too_long, "csrf_token": token})
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<form")
    assert "Please keep it under 1,000 characters." in fragment
    assert too_long in fragment
    assert _application().status == "waitlisted"

    response = htmx.post(withdraw_url, data={"reason": "Moving away", "csrf_token": token})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == path
    assert _application().status == "withdrawn"


def test_a_reason_too_long_without_htmx_is_a_422_page(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    withdraw_url = f"{path}/withdraw/{_application().reference}"
    response = send_form(client, withdraw_url, {"reason": "y" * 1001})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" in page
    assert "Please check your answers" in page
    assert "y" * 1001 in page


def test_only_ones_own_applications_and_only_with_csrf(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    reference = _application().reference
    other = apply(smtp, client, clock, email="other@example.org", name="Oth Er")
    other_reference = applicant_by_email("other@example.org").applications[0].reference

    response = client.get(f"{path}/withdraw/{other_reference}")
    assert response.status_code == 404
    page = client.get(f"{other}/withdraw/{other_reference}").get_data(as_text=True)
    response = client.post(
        f"{path}/withdraw/{other_reference}", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 404
    response = client.post(f"{path}/withdraw/{reference}", data={"reason": "no token"})
    # Refused, the form shown again with its answers (issue 9, item 8).
    assert response.status_code == 422
    assert 'no token</textarea>' in response.get_data(as_text=True)
    db.session.expire_all()
    assert _application().status == "waitlisted"
    assert applicant_by_email("other@example.org").applications[0].status == "waitlisted"
