"""Every admin page refuses coordinators (403) and anonymous people (to the login)."""

import pytest

from intake.models import Program
from tests.factories import add_cohort
from tests.helpers import csrf_token


@pytest.fixture
def admin_urls(app, ctx, clock, make_coordinator):
    """Each admin route, with real ids filled in, and the methods it answers."""
    from intake.extensions import db

    cohort = add_cohort(clock())
    other = make_coordinator(email="other@example.org")
    ids = {
        "program_id": db.session.get(Program, cohort.program_id).id,
        "cohort_id": cohort.id,
        "coordinator_id": other.id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(ids[name]))
        urls.append((path, sorted(rule.methods & {"GET", "POST"})))
    # Sanity: the walk found the pages this feature has.
    assert len(urls) >= 10
    return urls


def test_coordinators_get_403_on_every_admin_page(coordinator_client, admin_urls):
    token = csrf_token(coordinator_client.get("/coord/cohorts").get_data(as_text=True))
    for path, methods in admin_urls:
        if "GET" in methods:
            assert coordinator_client.get(path).status_code == 403, path
        if "POST" in methods:
            response = coordinator_client.post(path, data={"csrf_token": token})
            assert response.status_code == 403, path


def test_anonymous_people_are_sent_to_the_login(client, admin_urls):
    token = csrf_token(client.get("/coord/login").get_data(as_text=True))
    for path, methods in admin_urls:
        for method in methods:
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/coord/login?next=/coord/admin/")


def test_nothing_changed_by_refused_posts(coordinator_client, admin_urls, ctx):
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Coordinator

    token = csrf_token(coordinator_client.get("/coord/cohorts").get_data(as_text=True))
    for path, methods in admin_urls:
        if "POST" in methods:
            coordinator_client.post(path, data={"csrf_token": token, "name": "Hacked"})
    other = db.session.scalars(select(Coordinator).where(Coordinator.email == "other@example.org"))
    assert other.one().active is True
    assert "Hacked" not in set(db.session.scalars(select(Program.name)))


def test_cohort_pages_need_a_login_but_no_admin(client, coordinator_client, ctx, clock):
    cohort = add_cohort(clock())
    for path in ("/coord/cohorts", f"/coord/cohorts/{cohort.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/coord/login?next={path}"
        assert coordinator_client.get(path).status_code == 200
