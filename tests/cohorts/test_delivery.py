"""A cohort's delivery (online, in person, both) and its schedule in other languages:
set on the admin's cohort form, shown to coordinators and to applicants (the offer
e-mail, their page)."""

from sqlalchemy import select

from intake.extensions import db
from intake.models import Cohort
from intake.offers.services import make_offer
from intake.outbox.delivery import deliver_due
from tests.cohorts.test_views import cohort_data
from tests.factories import add_cohort
from tests.helpers import send_form
from tests.manage.support import applicant_by_email, apply, emails_to, text_of


def test_admin_sets_delivery_and_translated_schedules(admin_client, ctx):
    data = cohort_data(
        delivery="hybrid", schedule_es="Primer martes del mes, 18–20 h", schedule_zh=""
    )
    response = send_form(admin_client, "/coord/admin/cohorts/new", data)
    assert response.status_code == 303
    cohort = db.session.scalars(select(Cohort)).one()
    assert cohort.delivery == "hybrid"
    assert cohort.schedule_translations == {"es": "Primer martes del mes, 18–20 h"}

    page = admin_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "<dt>How it meets</dt><dd>Online and in person</dd>" in page
    index = admin_client.get("/coord/cohorts").get_data(as_text=True)
    assert "First Tuesday of the month, 6–8 pm · Online and in person" in index

    form = admin_client.get(f"/coord/admin/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'value="Primer martes del mes, 18–20 h"' in form
    assert '<option selected value="hybrid">' in form


def test_delivery_can_stay_undecided_and_be_cleared(admin_client, ctx, clock):
    cohort = add_cohort(clock())
    cohort.delivery = "online"
    cohort.schedule_translations = {"zh": "每月第一个周二"}
    db.session.commit()
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    data = cohort_data(delivery="", schedule_es="", schedule_zh="")
    assert send_form(admin_client, url, data).status_code == 303
    db.session.refresh(cohort)
    assert cohort.delivery is None
    # An emptied translation is no translation.
    assert cohort.schedule_translations == {}
    page = admin_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "<dt>How it meets</dt><dd>Not decided yet</dd>" in page


def test_an_unknown_delivery_is_refused(admin_client, ctx):
    response = send_form(admin_client, "/coord/admin/cohorts/new", cohort_data(delivery="moon"))
    assert response.status_code == 422
    assert db.session.scalars(select(Cohort)).first() is None


def test_applicants_read_the_delivery_in_the_offer_and_on_their_page(smtp, client, ctx, clock):
    client.get("/?lang=es")
    path = apply(smtp, client, clock)
    cohort = add_cohort(clock(), name="Evening English")
    cohort.delivery = "in_person"
    cohort.schedule_translations = {"es": "Primer martes del mes, 18–20 h"}
    db.session.commit()
    application = applicant_by_email("rosa@example.org").applications[0]
    make_offer(cohort, application, now=clock())
    db.session.commit()

    page = client.get(path).get_data(as_text=True)
    assert "Primer martes del mes, 18–20 h" in page
    assert "Cómo se reúne: En persona." in page

    deliver_due(clock())
    offer_mail = emails_to(smtp, "rosa@example.org")[-1]
    text = text_of(offer_mail)
    assert "Primer martes del mes, 18–20 h" in text
    assert "Cómo se reúne: En persona" in text
