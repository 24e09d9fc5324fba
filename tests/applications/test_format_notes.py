"""The availability question says how each program applied to meets, as its page
says it, instead of one claim for every program."""

import pytest

from intake.extensions import db
from tests.factories import program
from tests.helpers import complete_agency_screener, complete_screener, open_application

OLD_CLAIM = "Groups usually meet once a month for two hours."
PER_GROUP = "Each group&#39;s days, times and whether it meets online or in person are set"


def _hint(page: str) -> str:
    return page.split('id="availability-hint">')[1].split("</p>")[0]


def test_each_program_applied_to_says_how_it_meets(client):
    complete_screener(client, bipoc="yes", retreat="yes")
    page, _, _ = open_application(client)
    hint = _hint(page)
    assert OLD_CLAIM not in page
    assert (
        "Intensive reflective practice for BIPOC practitioners: "
        "Virtual sessions, plus an in-person retreat." in hint
    )
    assert (
        "Reflective practice groups in Illinois (10 sessions): "
        "Groups meet monthly, for 10 sessions." in hint
    )
    # The introductory program's page does not say: each group does.
    assert f"Introductory reflective practice: {PER_GROUP}" in hint
    assert hint.endswith("Choose all that apply.")


def test_one_program_is_said_without_its_name(client, ctx):
    for slug in ("bipoc-intensive", "reflective-practice-group"):
        program(slug).is_open = False
    db.session.commit()
    complete_screener(client)
    page, _, _ = open_application(client)
    assert _hint(page).startswith(PER_GROUP)


def test_agencies_read_their_programs_note(client):
    complete_agency_screener(client)
    page, _, _ = open_application(client, "/apply/agency")
    assert _hint(page).startswith("Groups meet online, for at least one year.")


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("es", "Los grupos se reúnen una vez al mes, durante 10 sesiones."),
        ("zh", "小组每月会面一次，共 10 次。"),
    ],
)
def test_the_seeded_notes_are_translated(client, locale, said):
    client.get(f"/?lang={locale}")
    complete_screener(client)
    page, _, _ = open_application(client)
    assert said in _hint(page)


def test_an_edited_note_without_translation_is_marked_english(client, ctx):
    program("reflective-practice-group").format_note = "Monthly, on Zoom, 10 sessions."
    db.session.commit()
    client.get("/?lang=es")
    complete_screener(client)
    page, _, _ = open_application(client)
    assert (
        '<span lang="en">Monthly, on Zoom, 10 sessions.</span> '
        '<span class="lang-mark">(en inglés)</span>' in _hint(page)
    )


def test_the_program_page_says_how_the_groups_meet(client):
    page = client.get("/programs/reflective-practice-group").get_data(as_text=True)
    assert "How the groups meet" in page
    assert "Groups meet monthly, for 10 sessions." in page
    intro = client.get("/programs/introductory").get_data(as_text=True)
    assert PER_GROUP in intro
