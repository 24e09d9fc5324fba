"""The status page: each application's status and an honest place in line."""

from datetime import date

from sqlalchemy import event

from intake.extensions import db
from intake.manage import services
from intake.offers.services import decline, make_offer
from intake.outbox.delivery import deliver_due
from tests.factories import add_cohort, submit_waiting
from tests.helpers import AGENCY_DETAILS, submit_agency_application
from tests.manage.support import applicant_by_email, apply, emails_to, link_in, places


def test_place_in_line_for_each_fitting_cohort(smtp, client, ctx, clock):
    submit_waiting(
        clock(),
        name="Ana First",
        email="ana@example.org",
        languages=["en", "es"],
        availability=["weekday_evening"],
    )
    clock.advance(hours=1)
    path = apply(smtp, client, clock)  # Rosa: en + es, weekday evenings
    clock.advance(hours=1)
    bo = submit_waiting(
        clock(),
        name="Bo Later",
        email="bo@example.org",
        languages=["es"],
        availability=["weekday_evening"],
    )
    submit_waiting(
        clock(),
        name="Cy English",
        email="cy@example.org",
        languages=["en"],
        availability=["weekday_evening"],
    )
    add_cohort(clock(), name="Evening English", language="en", seats=8)
    spanish = add_cohort(clock(), name="Evening Spanish", language="es", seats=6)
    spanish.seats_offered = 2
    db.session.commit()
    # Not for Rosa: another time slot, another language, already started, another program.
    add_cohort(clock(), name="Morning English", time_slot="weekday_morning")
    add_cohort(clock(), name="Evening ASL", language="asl")
    add_cohort(clock(), name="Last winter", start_date=date(2026, 1, 6))
    add_cohort(clock(), name="Other program", program="reflective-practice-group")

    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert places(page) == {"Evening English": (2, 8), "Evening Spanish": (2, 4)}
    assert "1 application is ahead of you." in page

    # A coordinator gives Bo (who joined after Rosa) priority: Bo moves ahead of
    # everyone in the Spanish queue, and nowhere else (Bo takes no English group).
    bo.priority = 1
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert places(page) == {"Evening English": (2, 8), "Evening Spanish": (3, 4)}
    assert "2 applications are ahead of you." in page


def test_first_in_line_is_told_they_are_next(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    add_cohort(clock(), name="Evening English")
    page = client.get(path).get_data(as_text=True)
    assert places(page) == {"Evening English": (1, 8)}
    assert "You are next in line." in page


def test_no_fitting_cohort_is_said_plainly(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    add_cohort(clock(), name="Morning English", time_slot="weekday_morning")
    page = client.get(path).get_data(as_text=True)
    assert places(page) == {}
    assert "No group in your languages and times is planned yet. You keep your place" in page


def test_a_cohort_without_a_time_slot_fits_any_times(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    add_cohort(clock(), name="Time to be agreed", time_slot=None)
    assert places(client.get(path).get_data(as_text=True)) == {"Time to be agreed": (1, 8)}


def test_one_count_query_for_every_cohort_whatever_the_queue_length(smtp, client, app, ctx, clock):
    path = apply(smtp, client, clock)
    add_cohort(clock(), name="Evening English")
    add_cohort(clock(), name="Evening Spanish", language="es")

    def queries_for_page():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return statements

    few = queries_for_page()
    for i in range(12):
        submit_waiting(
            clock(),
            name=f"Person {i}",
            email=f"p{i}@example.org",
            languages=["en", "es"],
            availability=["weekday_evening"],
            priority=i % 2,
        )
    many = queries_for_page()
    assert len(many) == len(few)
    counts = [s for s in many if "sum(CASE" in s or "sum(case" in s.lower()]
    assert len(counts) == 1  # one for both cohorts (it was one per cohort)
    assert places(client.get(path).get_data(as_text=True)) == {
        "Evening English": (7, 8),
        "Evening Spanish": (7, 8),
    }


def test_an_offer_is_shown_with_its_expiry_and_points_to_the_email(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    cohort = add_cohort(clock(), name="Evening English")
    application = applicant_by_email("rosa@example.org").applications[0]
    make_offer(cohort, application, now=clock())
    db.session.commit()

    page = client.get(path).get_data(as_text=True)
    assert "Seat offered" in page
    assert "A seat is held for you" in page
    assert "1 seat in Evening English." in page
    assert "March 9, 2026" in page  # seven days to answer
    assert "Accept or Decline button in the e-mail" in page
    assert places(page) == {}  # no place in line while a seat is held


def test_an_agency_is_told_its_seats_are_offered_together(smtp, client, ctx, clock):
    assert submit_agency_application(client).status_code == 303
    deliver_due(clock())
    path = link_in(emails_to(smtp, AGENCY_DETAILS["email"])[0])
    add_cohort(
        clock(),
        name="Mandarin mornings",
        language="cmn",
        time_slot="weekday_morning",
        program="king-county-consultation",
        seats=8,
    )
    page = client.get(path).get_data(as_text=True)
    assert "Staff seats requested" in page
    assert places(page) == {"Mandarin mornings": (1, 8)}
    assert "Your agency's 6 seats are offered together, in one group." in page


def test_overview_service_ignores_cohorts_the_person_deferred_from(ctx, clock):
    application = submit_waiting(
        clock(),
        name="Dee Ferrer",
        email="dee@example.org",
        languages=["en"],
        availability=["weekday_evening"],
    )
    first = add_cohort(clock(), name="Spring")
    later = add_cohort(clock(), name="Autumn", start_date=date(2026, 9, 1))
    offer = make_offer(first, application, now=clock())
    decline(offer, now=clock(), defer=True)
    db.session.commit()
    items = services.overview(application.applicant, date(2026, 3, 2))
    assert [(p.cohort.name, p.position) for p in items[0].places] == [("Autumn", 1)]
    assert later.seats_free == 8
