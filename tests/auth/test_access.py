"""Walk every route: the workspace refuses anonymous users, admin pages refuse
coordinators."""

import pytest

from intake.auth.access import WORKSPACE_BLUEPRINTS
from tests.helpers import csrf_token


def _workspace_rules(app, admin_only=None):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        if blueprint not in WORKSPACE_BLUEPRINTS:
            continue
        if admin_only is not None and WORKSPACE_BLUEPRINTS[blueprint] != admin_only:
            continue
        yield rule


def _url(rule):
    values = {arg: 1 if rule._converters[arg].regex == r"\d+" else "x" for arg in rule.arguments}
    return rule.build(values)[1]


def test_there_are_workspace_routes(app):
    assert len(list(_workspace_rules(app))) >= 6


def test_every_workspace_route_refuses_anonymous_users(app, client):
    token = csrf_token(client.get("/coord/login").get_data(as_text=True))
    for rule in _workspace_rules(app):
        url = _url(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/coord/login?next="), url


def test_admin_routes_refuse_coordinators(app, coordinator_client):
    token = csrf_token(coordinator_client.get("/coord/waitlist").get_data(as_text=True))
    rules = list(_workspace_rules(app, admin_only=True))
    assert rules
    for rule in rules:
        url = _url(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = coordinator_client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, url, response.status_code)


@pytest.mark.parametrize("path", ["/coord/waitlist", "/coord/review", "/coord/cohorts"])
def test_coordinator_pages_open_for_coordinators(coordinator_client, path):
    assert coordinator_client.get(path).status_code == 200
