import re

import pytest
from sqlalchemy import func, select

from intake.admin import services
from intake.eligibility.rules import AGENCY_RULE_KEYS, RULES
from intake.extensions import db
from intake.models import Program
from tests.factories import add_cohort, program
from tests.helpers import send_form

NEW_PROGRAM = {
    "name": "Grupo de práctica reflexiva en español",
    "kind": "individual",
    "audience": "Personas que trabajan con niños pequeños.",
    "summary": "Un grupo en español.",
    "shape": "8 sesiones virtuales.",
    "rule_keys": ["prenatal_to_five"],
    "is_open": "open",
    "offer_window_days": "10",
    "checkin_interval_days": "60",
    "checkin_window_days": "21",
    "auto_offer": "on",
    "coordinator_email": "Grupo@Example.org",
    "position": "40",
    # The group's shape (issue 11): the form asks for it.
    "session_count": "10",
    "session_minutes": "90",
    "session_pattern": "monthly",
    "has_in_person_part": "no",
    "credit_minutes_per_session": "",
    "credit_cap_minutes": "720",
    "completion_percent": "80",
}


def program_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Program))


def edit_data(slug: str, **changes) -> dict:
    """What the edit form of a seeded program sends unchanged, with ``changes``."""
    row = program(slug)
    data = {
        "name": row.name,
        "audience": row.audience,
        "summary": row.summary,
        "shape": row.shape,
        "rule_keys": list(row.rule_keys),
        "is_open": "open" if row.is_open else "closed",
        "offer_window_days": str(row.offer_window_days),
        "checkin_interval_days": str(row.checkin_interval_days),
        "checkin_window_days": str(row.checkin_window_days),
        "auto_offer": "on" if row.auto_offer else "off",
        "coordinator_email": row.coordinator_email or "",
        "position": str(row.position),
        "session_count": str(row.session_count),
        "session_minutes": str(row.session_minutes),
        "session_pattern": row.session_pattern,
        "has_in_person_part": "yes" if row.has_in_person_part else "no",
        "credit_minutes_per_session": str(row.credit_minutes_per_session or ""),
        "credit_cap_minutes": str(row.credit_cap_minutes or ""),
        "completion_percent": str(row.completion_percent),
    }
    return {**data, **changes}


def test_programs_list_shows_every_program_with_its_settings(admin_client, ctx, clock):
    add_cohort(clock())
    page = admin_client.get("/coord/admin/programs").get_data(as_text=True)
    assert "<caption>Programs, in the order applicants see them</caption>" in page
    for slug in ("introductory", "bipoc-intensive", "king-county-consultation"):
        assert f"/{slug}" in page
        assert f'href="/coord/admin/programs/{program(slug).id}/edit"' in page
    assert "every 90 days, 14 days to answer" in page
    # The cohort count links to that program's cohorts.
    assert '<a href="/coord/cohorts?program=introductory">1</a>' in page


def test_create_program_writes_the_row_with_a_slug_from_the_name(admin_client, ctx, clock):
    before = program_count()
    response = send_form(admin_client, "/coord/admin/programs/new", NEW_PROGRAM)
    assert response.status_code == 303
    assert response.headers["Location"] == "/coord/admin/programs"

    row = program("grupo-de-practica-reflexiva-en-espanol")
    assert program_count() == before + 1
    assert (row.kind, row.name, row.audience, row.summary, row.shape) == (
        "individual",
        "Grupo de práctica reflexiva en español",
        "Personas que trabajan con niños pequeños.",
        "Un grupo en español.",
        "8 sesiones virtuales.",
    )
    assert row.rule_keys == ["prenatal_to_five"]
    assert row.is_open is True
    assert row.auto_offer is True
    assert (row.offer_window_days, row.checkin_interval_days, row.checkin_window_days) == (
        10,
        60,
        21,
    )
    assert row.coordinator_email == "Grupo@example.org"  # domain normalised
    assert row.position == 40
    assert row.created_at == clock()
    page = admin_client.get("/coord/admin/programs").get_data(as_text=True)
    assert "“Grupo de práctica reflexiva en español” is created." in page


def test_an_open_new_program_is_offered_to_applicants(admin_client, client, ctx):
    send_form(admin_client, "/coord/admin/programs/new", NEW_PROGRAM)
    home = client.get("/").get_data(as_text=True)
    assert "Grupo de práctica reflexiva en español" in home


def test_a_taken_slug_gets_the_next_free_number(admin_client, ctx):
    for _ in range(2):
        response = send_form(
            admin_client, "/coord/admin/programs/new", {**NEW_PROGRAM, "name": "Introductory"}
        )
        assert response.status_code == 303
    slugs = set(db.session.scalars(select(Program.slug).where(Program.name == "Introductory")))
    assert slugs == {"introductory-2", "introductory-3"}


def test_agency_program_with_agency_rules(admin_client, ctx):
    data = {**NEW_PROGRAM, "name": "Agency groups North", "kind": "agency"}
    data["rule_keys"] = ["leadership", "king_county"]
    assert send_form(admin_client, "/coord/admin/programs/new", data).status_code == 303
    row = program("agency-groups-north")
    assert (row.kind, row.rule_keys) == ("agency", ["leadership", "king_county"])


def test_rules_of_the_other_screener_are_refused_on_create(admin_client, ctx):
    before = program_count()
    data = {**NEW_PROGRAM, "kind": "agency", "rule_keys": ["leadership", "prenatal_to_five"]}
    response = send_form(admin_client, "/coord/admin/programs/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "These rules read the individual screener&#39;s answers" in page
    assert "prenatal_to_five" in page
    assert program_count() == before
    # Answers kept.
    assert 'value="Grupo de práctica reflexiva en español"' in page
    assert re.search(r'name="kind"\s+value="agency" checked', page)
    checked = set(re.findall(r'name="rule_keys"\s+value="(\w+)" checked', page))
    assert checked == {"leadership", "prenatal_to_five"}


def test_invalid_program_gets_errors_next_to_fields_and_keeps_answers(admin_client, ctx):
    before = program_count()
    data = {
        **NEW_PROGRAM,
        "name": "  ",
        "kind": "",
        "offer_window_days": "61",
        "checkin_interval_days": "6",
        "checkin_window_days": "abc",
        "coordinator_email": "not an address",
    }
    response = send_form(admin_client, "/coord/admin/programs/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert program_count() == before
    assert 'id="error-summary"' in page
    assert '<p class="field-error" id="name-error">' in page
    assert "Enter the program&#39;s name." in page
    assert "Choose who applies." in page
    assert "Enter a number of days from 1 to 60." in page
    assert "Enter a number of days from 7 to 365." in page
    assert "Enter an e-mail address like name@example.org." in page
    assert 'value="61"' in page
    assert 'value="6"' in page
    assert 'value="abc"' in page
    assert 'value="not an address"' in page
    assert "Personas que trabajan con niños pequeños." in page


def test_new_program_form_starts_with_sensible_defaults(admin_client):
    page = admin_client.get("/coord/admin/programs/new").get_data(as_text=True)
    assert re.search(r'id="offer_window_days"[^>]*value="7"', page)
    assert re.search(r'name="auto_offer"\s+value="off" checked', page)
    assert "(agency screener)" in page
    assert "(individual screener)" in page


def test_edit_program_saves_every_field_and_keeps_slug_and_kind(admin_client, ctx):
    row = program("bipoc-intensive")
    url = f"/coord/admin/programs/{row.id}/edit"
    data = edit_data(
        "bipoc-intensive",
        name="Intensive program, renamed",
        audience="New audience.",
        summary="New summary.",
        shape="New shape.",
        rule_keys=["prenatal_to_five", "bipoc_self_identification"],
        is_open="closed",
        offer_window_days="14",
        checkin_interval_days="120",
        checkin_window_days="7",
        auto_offer="on",
        coordinator_email="bipoc@example.org",
        position="5",
        kind="agency",  # not on the edit form: ignored
    )
    response = send_form(admin_client, url, data)
    assert response.status_code == 303
    db.session.refresh(row)
    assert row.slug == "bipoc-intensive"
    assert row.kind == "individual"
    assert (row.name, row.audience, row.summary, row.shape) == (
        "Intensive program, renamed",
        "New audience.",
        "New summary.",
        "New shape.",
    )
    assert row.rule_keys == ["prenatal_to_five", "bipoc_self_identification"]
    assert row.is_open is False
    assert row.auto_offer is True
    assert (row.offer_window_days, row.checkin_interval_days, row.checkin_window_days) == (
        14,
        120,
        7,
    )
    assert (row.coordinator_email, row.position) == ("bipoc@example.org", 5)


def test_rules_are_stored_in_the_rules_order_and_can_all_be_unticked(admin_client, ctx):
    row = program("bipoc-intensive")
    url = f"/coord/admin/programs/{row.id}/edit"
    data = edit_data("bipoc-intensive", rule_keys=["retreat_attendance", "prenatal_to_five"])
    assert send_form(admin_client, url, data).status_code == 303
    db.session.refresh(row)
    assert row.rule_keys == ["prenatal_to_five", "retreat_attendance"]

    data = edit_data("bipoc-intensive")
    del data["rule_keys"]
    assert send_form(admin_client, url, data).status_code == 303
    db.session.refresh(row)
    assert row.rule_keys == []


def test_a_closed_program_is_no_longer_offered(admin_client, client, ctx):
    row = program("introductory")
    data = edit_data("introductory", is_open="closed")
    send_form(admin_client, f"/coord/admin/programs/{row.id}/edit", data)
    assert "Introductory reflective practice" not in client.get("/").get_data(as_text=True)
    assert client.get("/screener?program=introductory").status_code == 404


def test_edit_offers_only_the_rules_of_the_programs_kind(admin_client, ctx):
    agency = program("king-county-consultation")
    page = admin_client.get(f"/coord/admin/programs/{agency.id}/edit").get_data(as_text=True)
    offered = set(re.findall(r'name="rule_keys"\s+value="(\w+)"', page))
    assert offered == set(AGENCY_RULE_KEYS)
    assert 'name="kind"' not in page
    assert "/king-county-consultation" in page

    data = edit_data("king-county-consultation", rule_keys=["leadership", "prenatal_to_five"])
    response = send_form(admin_client, f"/coord/admin/programs/{agency.id}/edit", data)
    assert response.status_code == 422
    db.session.refresh(agency)
    assert agency.rule_keys == AGENCY_RULE_KEYS


def test_invalid_edit_changes_nothing(admin_client, ctx):
    row = program("introductory")
    data = edit_data("introductory", name="Changed", position="-1")
    response = send_form(admin_client, f"/coord/admin/programs/{row.id}/edit", data)
    assert response.status_code == 422
    assert "Enter a number from 0 to 9999." in response.get_data(as_text=True)
    assert 'value="Changed"' in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.name == "Introductory reflective practice"


def test_htmx_invalid_form_comes_back_as_the_form_alone(admin_client, ctx):
    admin_client.environ_base["HTTP_HX_REQUEST"] = "true"
    response = send_form(admin_client, "/coord/admin/programs/new", {**NEW_PROGRAM, "name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in page
    assert page.lstrip().startswith('<form id="program-form"')
    assert "Enter the program&#39;s name." in page


def test_htmx_success_redirects_with_hx_redirect(admin_client, ctx):
    admin_client.environ_base["HTTP_HX_REQUEST"] = "true"
    response = send_form(admin_client, "/coord/admin/programs/new", NEW_PROGRAM)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/coord/admin/programs"
    assert program("grupo-de-practica-reflexiva-en-espanol").kind == "individual"


def test_unknown_program_is_404(admin_client):
    assert admin_client.get("/coord/admin/programs/9999/edit").status_code == 404


# Services --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Grupo en Español", "grupo-en-espanol"),
        ("  Reflective -- practice!  ", "reflective-practice"),
        ("中文小组", "program"),
        ("a" * 100, "a" * 60),
    ],
)
def test_slugify(name, slug):
    assert services.slugify(name) == slug


def test_every_rule_belongs_to_exactly_one_kind():
    individual = set(services.RULE_KEYS_BY_KIND["individual"])
    agency = set(services.RULE_KEYS_BY_KIND["agency"])
    assert not individual & agency
    assert individual | agency == set(RULES)


def test_update_program_refuses_rules_of_the_other_kind(ctx):
    row = program("introductory")
    fields = services.ProgramFields(
        name=row.name,
        audience=row.audience,
        summary=row.summary,
        shape=row.shape,
        rule_keys=["leadership"],
        is_open=True,
        offer_window_days=7,
        checkin_interval_days=90,
        checkin_window_days=14,
        auto_offer=False,
        coordinator_email=None,
        position=1,
    )
    with pytest.raises(services.RulesDoNotFitKind):
        services.update_program(row, fields)
    with pytest.raises(services.AdminError):
        services.update_program(
            row, services.ProgramFields(**{**fields.__dict__, "rule_keys": [], "position": -1})
        )
