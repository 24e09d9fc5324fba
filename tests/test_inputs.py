"""The input rules themselves (intake.inputs) and what the base form does with them."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake.extensions import db
from intake.inputs import clean_text, ids, page_number
from intake.models import Applicant
from tests.helpers import submit_application


def test_control_characters_go_and_line_breaks_stay_where_they_belong():
    assert clean_text("a\x00b\x1b\x7fc\x85d\ud800") == ("abcd", True)
    assert clean_text("one\r\ntwo\tthree") == ("one\r\ntwo\tthree", False)
    assert clean_text("one\r\ntwo\tthree", multiline=False) == ("one  two three", False)
    assert clean_text("Rene\u0301") == ("Ren\u00e9", False)
    assert clean_text("Rene\u0301", normalise=False) == ("Rene\u0301", False)
    # Right-to-left text and its marks are writing, not control characters.
    assert clean_text("\u200f\u0645\u0631\u062d\u0628\u0627") == (
        "\u200f\u0645\u0631\u062d\u0628\u0627",
        False,
    )


@given(st.text(alphabet=st.characters(codec=None)))
def test_cleaned_text_is_nfc_and_free_of_control_characters(text):
    cleaned, removed = clean_text(text)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\r\n" for c in cleaned)
    assert removed == (clean_text(text, normalise=False)[0] != text)


def test_ids_keeps_only_ids_the_database_can_hold():
    assert ids(["1", "2147483647", "2147483648", "0", "-3", "x", "", "9" * 50]) == [
        1,
        2147483647,
    ]


def test_a_page_number_is_a_whole_number_from_one():
    assert [page_number(raw) for raw in (None, "", "  ", "3", " 12 ", "-3", "0", "+2")] == [
        1,
        1,
        1,
        3,
        12,
        1,
        1,
        2,
    ]
    # Not bounded here: the list shows its last page for a number beyond it.
    assert page_number("9" * 23) == int("9" * 23)
    for raw in ("x", "2.5", "1e3", "1_000", "\u0663", "9" * 5000):
        assert page_number(raw) is None, raw


def test_answers_are_stored_in_nfc(client, ctx):
    response = submit_application(client, name="Rene\u0301e Example")
    assert response.status_code == 303
    name = db.session.scalar(select(Applicant.name))
    assert name == "Ren\u00e9e Example"


def _longest(form_class, names) -> dict:
    """Each named field filled to the longest answer its own bound accepts."""
    from wtforms.validators import Length

    answers = {}
    for name in names:
        unbound = getattr(form_class, name)
        limit = min(v.max for v in unbound.kwargs.get("validators", []) if isinstance(v, Length))
        answers[name] = "Ñ" * limit
    return answers


def test_the_longest_answers_each_field_accepts_are_stored(client, ctx):
    """Each field's bound fits its column: no answer a form accepts is refused by the
    database (PostgreSQL checks lengths; run with TEST_DATABASE_URL)."""
    from intake.applications.forms import AgencyApplicationForm, IndividualApplicationForm
    from tests.helpers import submit_agency_application

    longest = _longest(IndividualApplicationForm, ["name", "organisation", "access_needs_other"])
    assert submit_application(client, **longest).status_code == 303
    longest = _longest(
        AgencyApplicationForm,
        ["agency_name", "street", "city", "state", "leader_name", "leader_title",
         "heard_about_other"],
    )  # fmt: skip
    response = submit_agency_application(
        client, heard_about="other", email="long@example.org", **longest
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(func.count()).select_from(Applicant)) == 2
