"""The input rules themselves (intake.inputs) and what the base form does with them."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from intake.extensions import db
from intake.inputs import clean_text, ids
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


def test_answers_are_stored_in_nfc(client, ctx):
    response = submit_application(client, name="Rene\u0301e Example")
    assert response.status_code == 303
    name = db.session.scalar(select(Applicant.name))
    assert name == "Ren\u00e9e Example"
