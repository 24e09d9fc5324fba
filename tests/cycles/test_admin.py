"""Admins manage a program's application windows: typed in the programs' time zone,
stored in UTC, refused when they close before they open or overlap another."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import Application, ApplicationWindow
from tests.factories import add_window, program
from tests.helpers import csrf_token, send_form, submit_application

WINDOW = {
    "name": "2027 cycle — groups begin after January 2027",
    "name_es": "Ciclo 2027",
    "name_zh": "",
    "opens_at": "2026-04-01T09:00",
    "closes_at": "2026-05-01T17:00",
}


def _url(slug="introductory", part="windows") -> str:
    return f"/coord/admin/programs/{program(slug).id}/{part}"


def windows() -> list[ApplicationWindow]:
    db.session.expire_all()
    return db.session.scalars(select(ApplicationWindow).order_by(ApplicationWindow.id)).all()


def test_an_admin_adds_a_window_in_the_programs_time_zone(admin_client, ctx):
    response = send_form(admin_client, _url(part="windows/new"), WINDOW)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_url())
    [window] = windows()
    # 09:00 Pacific daylight time on 1 April is 16:00 UTC.
    assert window.opens_at == datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
    assert window.closes_at == datetime(2026, 5, 2, 0, 0, tzinfo=UTC)
    assert window.name_translations == {"es": "Ciclo 2027"}
    page = admin_client.get(_url()).get_data(as_text=True)
    assert "2027 cycle — groups begin after January 2027" in page
    assert "not open yet" in page


def test_a_window_that_closes_before_it_opens_is_refused_as_typed(admin_client, ctx):
    data = {**WINDOW, "closes_at": "2026-04-01T09:00"}
    response = send_form(admin_client, _url(part="windows/new"), data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The window must close after it opens." in page
    assert 'value="2026-04-01T09:00"' in page
    assert "Ciclo 2027" in page
    assert windows() == []


def test_overlapping_windows_are_refused_with_the_one_they_overlap(admin_client, ctx, clock):
    add_window(
        "introductory",
        datetime(2026, 4, 20, tzinfo=UTC),
        datetime(2026, 6, 1, tzinfo=UTC),
        name="Spring cycle",
    )
    response = send_form(admin_client, _url(part="windows/new"), WINDOW)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This window overlaps “Spring cycle”." in page
    assert 'value="2026-05-01T17:00"' in page
    assert len(windows()) == 1
    # Another program's windows are its own business.
    assert (
        send_form(admin_client, _url("bipoc-intensive", "windows/new"), WINDOW).status_code == 303
    )


def test_bad_dates_come_back_as_typed(admin_client, ctx):
    data = {**WINDOW, "opens_at": "soon", "closes_at": "3100-01-01T00:00"}
    response = send_form(admin_client, _url(part="windows/new"), data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="soon"' in page
    assert "Enter a date between 1900 and 2999." in page
    assert windows() == []


def test_an_admin_changes_a_window_but_not_into_an_overlap(admin_client, ctx):
    first = add_window(
        "introductory", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    add_window(
        "introductory",
        datetime(2026, 9, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
        name="Autumn",
    )
    url = _url(part=f"windows/{first.id}")
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="2026-03-31T17:00"' in page  # shown in the programs' time zone
    changed = {**WINDOW, "name": "Spring, renamed"}
    assert send_form(admin_client, url, changed).status_code == 303
    assert windows()[0].name == "Spring, renamed"
    overlapping = {**WINDOW, "closes_at": "2026-09-15T00:00"}
    response = send_form(admin_client, url, overlapping)
    assert response.status_code == 422
    assert "overlaps “Autumn”" in response.get_data(as_text=True)
    assert windows()[0].closes_at == datetime(2026, 5, 2, 0, 0, tzinfo=UTC)


def test_deleting_a_window_leaves_its_applications_without_a_cycle(admin_client, client, clock):
    window = add_window("introductory", clock() - timedelta(days=1), clock() + timedelta(days=9))
    assert submit_application(client).status_code == 303
    page = admin_client.get(_url()).get_data(as_text=True)
    response = admin_client.post(
        _url(part=f"windows/{window.id}/delete"), data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert windows() == []
    assert db.session.scalars(select(Application)).one().window_id is None


def test_a_window_of_another_program_is_not_found(admin_client, ctx):
    window = add_window(
        "bipoc-intensive", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert admin_client.get(_url(part=f"windows/{window.id}")).status_code == 404


def test_coordinators_who_are_not_admins_are_refused(coordinator_client, ctx, clock):
    window = add_window("introductory", clock(), clock() + timedelta(days=9))
    page = coordinator_client.get("/coord/waitlist").get_data(as_text=True)
    token = csrf_token(page)
    for url in (_url(), _url(part="windows/new"), _url(part=f"windows/{window.id}")):
        assert coordinator_client.get(url).status_code == 403
    assert (
        coordinator_client.post(
            _url(part="windows/new"), data={**WINDOW, "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        coordinator_client.post(
            _url(part=f"windows/{window.id}/delete"), data={"csrf_token": token}
        ).status_code
        == 403
    )
    assert len(windows()) == 1


def test_the_casefile_and_the_csv_show_the_cycle(app, client, ctx, clock, login, make_coordinator):
    add_window("introductory", clock() - timedelta(days=1), clock() + timedelta(days=9))
    assert submit_application(client).status_code == 303
    coordinator = login(app.test_client(), make_coordinator(programs=["introductory"]))
    application = db.session.scalars(select(Application)).one()
    page = coordinator.get(f"/coord/applications/{application.id}").get_data(as_text=True)
    assert "<dt>Cycle</dt><dd>2027 cycle — groups begin after January 2027</dd>" in page
    export = coordinator.get("/coord/waitlist/export.csv?status=all").get_data(as_text=True)
    assert "Cycle" in export.splitlines()[0]
    assert "2027 cycle — groups begin after January 2027" in export
