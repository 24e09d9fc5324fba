"""Every public form's error summary lists the errors in the order the page shows the
fields (issue 12: the application form listed "Enter your name" after "Choose at least
one language", because its name fields are declared in a subclass)."""

import re

from tests.helpers import (
    AGENCY_DETAILS,
    complete_agency_screener,
    complete_screener,
    csrf_token,
    open_application,
    send_form,
)
from tests.manage.support import apply


def assert_summary_in_page_order(page: str, at_least: int = 3) -> list[str]:
    start = page.index('id="error-summary"')
    end = page.index("</div>", start)
    anchors = re.findall(r'<a href="#([^"]+)">', page[start:end])
    assert len(anchors) >= at_least, anchors
    positions = [page.index(f'id="{anchor}"', end) for anchor in anchors]
    order = [anchor for _, anchor in sorted(zip(positions, anchors, strict=True))]
    assert anchors == order, "summary order differs from the page's"
    return anchors


def test_individual_application_form(client):
    complete_screener(client)
    _, csrf, token = open_application(client)
    data = {"languages": [], "phone": "x", "csrf_token": csrf, "form_token": token}
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    anchors = assert_summary_in_page_order(response.get_data(as_text=True), at_least=7)
    assert anchors[:3] == ["programs-0", "name", "email"]


def test_agency_application_form(client):
    complete_agency_screener(client)
    _, csrf, token = open_application(client, "/apply/agency")
    data = {
        "programs": AGENCY_DETAILS["programs"],
        "leader_name": "Dana Example",
        "seats": "99",
        "csrf_token": csrf,
        "form_token": token,
    }
    response = client.post("/apply/agency", data=data)
    assert response.status_code == 422
    anchors = assert_summary_in_page_order(response.get_data(as_text=True), at_least=8)
    assert anchors[0] == "agency_name"


def test_screeners(client):
    response = client.post("/screener", data={"csrf_token": _token(client, "/screener")})
    assert_summary_in_page_order(response.get_data(as_text=True))
    response = client.post(
        "/screener/agency", data={"csrf_token": _token(client, "/screener/agency")}
    )
    assert_summary_in_page_order(response.get_data(as_text=True), at_least=7)


def test_manage_details_form(smtp, client, ctx, clock):
    path = apply(smtp, client, clock)
    response = send_form(client, f"{path}/details", {"name": "", "phone": "x"})
    assert response.status_code == 422
    anchors = assert_summary_in_page_order(response.get_data(as_text=True))
    assert anchors[:2] == ["name", "phone"]


def _token(client, path: str) -> str:
    return csrf_token(client.get(path).get_data(as_text=True))
