import re
from datetime import date

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Cohort
from tests.factories import add_cohort, program
from tests.helpers import send_form

NEW_COHORT = {
    "name": "Grupo de primavera",
    "language": "es",
    "facilitator": "Ana Facilitadora",
    "schedule": "First Tuesday of the month, 6–8 pm",
    "time_slot": "weekday_evening",
    "start_date": "2026-04-07",
    "seats": "10",
}


def cohort_data(**changes) -> dict:
    return {**NEW_COHORT, "program": str(program("introductory").id), **changes}


def cohort_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Cohort))


def row_of(page: str, cohort) -> list[str]:
    """The cells of a cohort's row in the list: name, language, …, enrolled, offered, free."""
    row = re.search(rf'<tr data-cohort="{cohort.id}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


# Creating and editing (admins) -----------------------------------------------------


def test_admin_creates_a_cohort(admin_client, ctx, clock):
    response = send_form(admin_client, "/coord/admin/cohorts/new", cohort_data())
    assert response.status_code == 303
    cohort = db.session.scalars(select(Cohort)).one()
    assert response.headers["Location"] == f"/coord/cohorts/{cohort.id}"
    assert cohort.program.slug == "introductory"
    assert (cohort.name, cohort.language, cohort.facilitator) == (
        "Grupo de primavera",
        "es",
        "Ana Facilitadora",
    )
    assert (cohort.schedule, cohort.time_slot) == (
        "First Tuesday of the month, 6–8 pm",
        "weekday_evening",
    )
    assert (cohort.start_date, cohort.seats) == (date(2026, 4, 7), 10)
    assert (cohort.seats_offered, cohort.seats_enrolled, cohort.created_at) == (0, 0, clock())

    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“Grupo de primavera” is created." in page
    assert "Ana Facilitadora" in page
    assert "Español" in page
    assert "Tuesday, April 7, 2026" in page
    assert "Weekday evenings" in page


def test_new_cohort_form_defaults_to_eight_seats_and_can_preselect_a_program(admin_client, ctx):
    bipoc = program("bipoc-intensive")
    page = admin_client.get("/coord/admin/cohorts/new?program=bipoc-intensive")
    html = page.get_data(as_text=True)
    assert re.search(r'id="seats"[^>]*value="8"', html)
    assert f'<option selected value="{bipoc.id}">' in html
    assert 'type="date"' in html


def test_start_date_in_the_past_is_refused_on_create(admin_client, ctx):
    response = send_form(
        admin_client, "/coord/admin/cohorts/new", cohort_data(start_date="2026-03-01")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The start date cannot be in the past (today is 2 March 2026)." in page
    assert 'value="2026-03-01"' in page
    assert 'value="Grupo de primavera"' in page
    assert cohort_count() == 0


def test_today_is_the_programs_today_not_utcs(admin_client, login, ctx, clock):
    # 05:00 UTC on 3 March is still the evening of 2 March in Seattle.
    clock.current = clock.current.replace(day=3, hour=5)
    login(admin_client, admin_client.user)  # the old session timed out meanwhile
    response = send_form(
        admin_client, "/coord/admin/cohorts/new", cohort_data(start_date="2026-03-02")
    )
    assert response.status_code == 303
    assert db.session.scalars(select(Cohort.start_date)).one() == date(2026, 3, 2)


def test_invalid_cohort_gets_errors_next_to_fields_and_keeps_answers(admin_client, ctx):
    data = cohort_data(
        name=" ", language="fr", seats="13", start_date="soon", time_slot="", program="999"
    )
    response = send_form(admin_client, "/coord/admin/cohorts/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in page
    assert "Enter a name for the cohort." in page
    assert "Enter a number from 2 to 12." in page
    assert "Not a valid date value." in page
    assert "Not a valid choice." in page
    assert 'value="13"' in page
    assert 'value="soon"' in page
    assert 'value="Ana Facilitadora"' in page
    assert cohort_count() == 0

    response = send_form(admin_client, "/coord/admin/cohorts/new", cohort_data(seats="1"))
    assert response.status_code == 422
    assert "Enter a number from 2 to 12." in response.get_data(as_text=True)


def test_admin_edits_a_cohort(admin_client, ctx, clock):
    cohort = add_cohort(clock())
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="Spring evening group"' in page
    assert 'value="2026-04-07"' in page

    data = cohort_data(
        program=str(program("reflective-practice-group").id),
        name="Renamed",
        language="cmn",
        facilitator="Li Facilitator",
        schedule="Saturdays, 10–12",
        time_slot="weekend",
        start_date="2026-05-02",
        seats="12",
    )
    response = send_form(admin_client, url, data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coord/cohorts/{cohort.id}"
    db.session.refresh(cohort)
    assert cohort.program.slug == "reflective-practice-group"
    assert (cohort.name, cohort.language, cohort.facilitator, cohort.schedule) == (
        "Renamed",
        "cmn",
        "Li Facilitator",
        "Saturdays, 10–12",
    )
    assert (cohort.time_slot, cohort.start_date, cohort.seats) == (
        "weekend",
        date(2026, 5, 2),
        12,
    )


def test_seats_cannot_go_below_those_offered_and_enrolled(admin_client, ctx, clock):
    cohort = add_cohort(clock(), seats=8, offered=3, enrolled=2)
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert "the cohort needs at least 5 seats" in page

    response = send_form(admin_client, url, cohort_data(seats="4", name="Renamed"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5 seats are offered or taken in this cohort, so it needs at least 5 seats." in page
    assert 'id="seats-error"' in page
    assert 'value="4"' in page
    db.session.refresh(cohort)
    assert (cohort.seats, cohort.name) == (8, "Spring evening group")

    response = send_form(admin_client, url, cohort_data(seats="5"))
    assert response.status_code == 303
    db.session.refresh(cohort)
    assert (cohort.seats, cohort.seats_free) == (5, 0)


def test_a_cohort_with_seats_taken_stays_in_its_program(admin_client, ctx, clock):
    cohort = add_cohort(clock(), enrolled=1)
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    other = program("reflective-practice-group").id
    response = send_form(admin_client, url, cohort_data(program=str(other)))
    assert response.status_code == 422
    assert "so it stays in its program" in response.get_data(as_text=True)
    db.session.refresh(cohort)
    assert cohort.program.slug == "introductory"


def test_a_started_cohort_keeps_its_past_start_date(admin_client, ctx, clock):
    cohort = add_cohort(clock(), start_date=date(2026, 1, 6))
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    data = cohort_data(start_date="2026-01-06", name="Winter group")
    assert send_form(admin_client, url, data).status_code == 303
    db.session.refresh(cohort)
    assert (cohort.name, cohort.start_date) == ("Winter group", date(2026, 1, 6))
    # …but cannot be moved to another day in the past.
    response = send_form(admin_client, url, cohort_data(start_date="2026-01-13"))
    assert response.status_code == 422


def test_htmx_cohort_form_answers_with_the_form_or_a_redirect(admin_client, ctx):
    admin_client.environ_base["HTTP_HX_REQUEST"] = "true"
    response = send_form(admin_client, "/coord/admin/cohorts/new", cohort_data(seats="20"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith('<form id="cohort-form"')
    assert "<html" not in page
    response = send_form(admin_client, "/coord/admin/cohorts/new", cohort_data())
    cohort = db.session.scalars(select(Cohort)).one()
    assert response.headers["HX-Redirect"] == f"/coord/cohorts/{cohort.id}"


def test_unknown_cohort_is_404(admin_client, coordinator_client):
    assert admin_client.get("/coord/admin/cohorts/999/edit").status_code == 404
    assert coordinator_client.get("/coord/cohorts/999").status_code == 404


# The list and the cohort page (every coordinator) -----------------------------------


def test_list_shows_seats_enrolled_offered_and_free(coordinator_client, ctx, clock):
    half = add_cohort(clock(), name="Half full", seats=8, offered=2, enrolled=3)
    full = add_cohort(clock(), name="Full one", seats=6, offered=1, enrolled=5)
    empty = add_cohort(clock(), program="bipoc-intensive", name="Empty one", seats=12)

    page = coordinator_client.get("/coord/cohorts").get_data(as_text=True)
    #            name         lang      schedule, starts, facilitator  seats enrolled offered free
    assert row_of(page, half)[5:] == ["8", "3", "2", "3"]
    assert row_of(page, full)[5:] == ["6", "5", "1", "Full"]
    assert row_of(page, empty)[5:] == ["12", "0", "0", "12"]
    assert row_of(page, half)[:2] == ["Half full", "English"]
    assert (
        "<caption>Cohorts of Introductory reflective practice: seats enrolled, offered and free"
        in page
    )
    # Programs without cohorts say so; coordinators get no admin links.
    assert "No cohorts yet." in page
    assert "/coord/admin/" not in page
    assert "3 cohorts." in page


def test_admins_get_links_to_create_cohorts(admin_client, ctx, clock):
    page = admin_client.get("/coord/cohorts").get_data(as_text=True)
    assert 'href="/coord/admin/cohorts/new"' in page
    assert 'href="/coord/admin/cohorts/new?program=introductory"' in page


def test_filter_by_program_and_language_with_plain_links(coordinator_client, ctx, clock):
    english = add_cohort(clock(), name="English intro", language="en")
    spanish = add_cohort(clock(), name="Spanish intro", language="es")
    bipoc = add_cohort(clock(), program="bipoc-intensive", name="BIPOC es", language="es")

    page = coordinator_client.get("/coord/cohorts?language=es").get_data(as_text=True)
    assert "<html" in page
    assert f'data-cohort="{spanish.id}"' in page
    assert f'data-cohort="{bipoc.id}"' in page
    assert f'data-cohort="{english.id}"' not in page
    assert "2 cohorts meeting in Español." in page
    # The links keep the other filter and mark the chosen one.
    assert 'href="/coord/cohorts?program=introductory&amp;language=es"' in page
    assert re.search(r'href="/coord/cohorts\?language=es"[^>]*aria-current="true"', page)

    page = coordinator_client.get("/coord/cohorts?program=introductory&language=es").get_data(
        as_text=True
    )
    assert f'data-cohort="{spanish.id}"' in page
    assert f'data-cohort="{bipoc.id}"' not in page
    assert f'data-cohort="{english.id}"' not in page
    assert "Intensive reflective practice for BIPOC practitioners</h2>" not in page
    assert "1 cohort in Introductory reflective practice meeting in Español." in page


def test_filters_with_htmx_return_the_list_alone_and_push_the_url(
    htmx, login, make_coordinator, ctx, clock
):
    login(htmx, make_coordinator())
    spanish = add_cohort(clock(), name="Spanish intro", language="es")
    english = add_cohort(clock(), name="English intro", language="en")

    response = htmx.get("/coord/cohorts?language=es")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert "workspace-nav" not in page
    assert page.lstrip().startswith('<div id="cohort-list"')
    assert f'data-cohort="{spanish.id}"' in page
    assert f'data-cohort="{english.id}"' not in page
    links = re.findall(r"<a [^>]*hx-get[^>]*>", page)
    assert links
    assert all('hx-push-url="true"' in link for link in links)
    assert all('hx-target="#cohort-list"' in link for link in links)
    # Each link fetches the same URL it would open without JavaScript.
    for link in links:
        assert re.search(r'href="([^"]+)"', link).group(1) == re.search(
            r'hx-get="([^"]+)"', link
        ).group(1)
    assert "Vary" in response.headers
    assert "HX-Request" in response.headers["Vary"]

    # A history restore needs the whole page.
    restore = htmx.get("/coord/cohorts?language=es", headers={"HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_unknown_filters_are_ignored(coordinator_client, ctx, clock):
    cohort = add_cohort(clock())
    response = coordinator_client.get("/coord/cohorts?program=nope&language=xx")
    assert response.status_code == 200
    assert f'data-cohort="{cohort.id}"' in response.get_data(as_text=True)


def test_cohort_page_shows_details_and_honest_empty_lists(coordinator_client, ctx, clock):
    cohort = add_cohort(clock(), language="asl")
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert "<h1>Spring evening group</h1>" in page
    assert "Introductory reflective practice" in page
    assert "ASL (American Sign Language)" in page
    assert "Mai Facilitator" in page
    assert "First Tuesday of the month, 6–8 pm" in page
    assert "Enrolled (0 seats)" in page
    assert "Nobody is enrolled yet." in page
    assert "Offered (0 seats)" in page
    assert "No seats offered yet." in page
    assert '<td class="num" data-seats="free">8</td>' in page
    assert "Edit this cohort" not in page  # coordinators do not edit


def test_cohort_page_counts_seats_held(coordinator_client, ctx, clock):
    cohort = add_cohort(clock(), seats=8, offered=2, enrolled=1)
    page = coordinator_client.get(f"/coord/cohorts/{cohort.id}").get_data(as_text=True)
    assert '<td class="num" data-seats="enrolled">1</td>' in page
    assert '<td class="num" data-seats="offered">2</td>' in page
    assert '<td class="num" data-seats="free">5</td>' in page
    assert "Offered (2 seats)" in page
    assert "No seats offered yet." not in page
    assert "Enrolled (1 seat)" in page


def test_list_query_count_does_not_grow_with_cohorts(coordinator_client, ctx, clock, statements):
    def count_for_list():
        statements.clear()
        assert coordinator_client.get("/coord/cohorts").status_code == 200
        return len(statements)

    add_cohort(clock(), name="One")
    few = count_for_list()
    for n in range(30):
        slug = ("introductory", "bipoc-intensive", "king-county-consultation")[n % 3]
        add_cohort(clock(), program=slug, name=f"Cohort {n}")
    assert count_for_list() == few
