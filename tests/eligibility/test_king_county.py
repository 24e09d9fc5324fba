"""Is a ZIP code in King County, WA? Checked against the real, offline `zipcodes` data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import zipcodes
from hypothesis import given, settings
from hypothesis import strategies as st

import intake.eligibility
from intake.eligibility.king_county import (
    CROSSES_LINE,
    IN_COUNTY,
    OUTSIDE,
    UNKNOWN,
    classify,
    parse_zip_list,
)

BORDER_CSV = Path(intake.eligibility.__file__).parent / "data" / "king_county_border_zips.csv"

# King County's neighbours (King County, WA shares a line with each of these).
NEIGHBOURING_COUNTIES = {"Pierce", "Snohomish", "Kittitas", "Chelan", "Kitsap"}


def border_lines() -> list[str]:
    return [line for line in BORDER_CSV.read_text().splitlines() if not line.startswith("#")]


def border_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(border_lines()))


BORDER_ZIPS = [row["zip"] for row in border_rows()]


# classify -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zip_code",
    [
        pytest.param("98104", id="seattle-downtown"),
        pytest.param("98118", id="seattle-rainier-valley"),
        pytest.param("98004", id="bellevue"),
        pytest.param("98032", id="kent"),
        pytest.param("98052", id="redmond"),
    ],
)
def test_king_county_zip_is_in_county(zip_code):
    assert classify(zip_code) == IN_COUNTY


@pytest.mark.parametrize(
    "zip_code",
    [
        pytest.param("98402", id="tacoma-pierce"),
        pytest.param("98201", id="everett-snohomish"),
        pytest.param("99201", id="spokane"),
        pytest.param("10001", id="new-york"),
    ],
)
def test_real_zip_elsewhere_is_outside(zip_code):
    assert classify(zip_code) == OUTSIDE


@pytest.mark.parametrize("zip_code", BORDER_ZIPS)
def test_every_border_zip_crosses_the_line(zip_code):
    assert classify(zip_code) == CROSSES_LINE


@pytest.mark.parametrize(
    "zip_code",
    [
        pytest.param("00000", id="not-a-zip"),
        pytest.param("99999", id="unassigned"),
        pytest.param("9810", id="four-digits"),
        pytest.param("981044", id="six-digits"),
        pytest.param("abcde", id="letters"),
        pytest.param("", id="empty"),
        pytest.param(" 98104", id="leading-space"),
        pytest.param("98104 ", id="trailing-space"),
        pytest.param("98104-1234", id="zip-plus-four-uncut"),
        pytest.param("98 104", id="inner-space"),
    ],
)
def test_anything_but_a_real_zip_is_unknown(zip_code):
    assert classify(zip_code) == UNKNOWN


@pytest.mark.parametrize("zip_code", ["98104\n", "98001\n"])
def test_a_trailing_newline_is_unknown(zip_code):
    assert classify(zip_code) == UNKNOWN


@pytest.mark.parametrize(
    "zip_code",
    [
        pytest.param("\uff19\uff18\uff11\uff10\uff14", id="fullwidth-98104"),
        pytest.param("\u0669\u0668\u0661\u0660\u0664", id="arabic-indic-98104"),
    ],
)
def test_non_ascii_digits_are_unknown_not_a_crash(zip_code):
    assert classify(zip_code) == UNKNOWN


def test_every_zip_recorded_in_king_county_is_in_county_unless_on_the_border():
    king = {z["zip_code"] for z in zipcodes.filter_by(state="WA", county="King County")}
    # Seattle alone has dozens: an empty or tiny set would mean the data did not load.
    assert len(king) > 100
    wrong = {z: classify(z) for z in sorted(king - set(BORDER_ZIPS)) if classify(z) != IN_COUNTY}
    assert wrong == {}


def test_every_other_washington_zip_is_outside_unless_on_the_border():
    others = {
        z["zip_code"]
        for z in zipcodes.filter_by(state="WA")
        if z["county"] != "King County" and z["zip_code"] not in BORDER_ZIPS
    }
    assert "98402" in others
    assert "98201" in others
    wrong = {z: classify(z) for z in sorted(others) if classify(z) != OUTSIDE}
    assert wrong == {}


# The border file ------------------------------------------------------------------


def test_border_file_has_the_expected_header():
    assert border_lines()[0] == "zip,neighbouring_county"


def test_border_file_rows_are_well_formed():
    rows = border_rows()
    assert rows
    for row in rows:
        assert set(row) == {"zip", "neighbouring_county"}, row
        assert None not in row.values(), row
        assert re.fullmatch(r"[0-9]{5}", row["zip"]), row
        assert row["neighbouring_county"] in NEIGHBOURING_COUNTIES, row


def test_border_file_has_no_duplicates():
    assert len(BORDER_ZIPS) == len(set(BORDER_ZIPS))


@pytest.mark.parametrize("row", border_rows(), ids=lambda row: row["zip"])
def test_border_zip_is_recorded_in_king_county_or_its_neighbour(row):
    [record] = zipcodes.matching(row["zip"])
    assert record["state"] == "WA"
    assert record["county"] in {"King County", f"{row['neighbouring_county']} County"}


# parse_zip_list -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("98104,98118,98052", id="commas"),
        pytest.param("98104, 98118, 98052", id="comma-space"),
        pytest.param("98104 98118 98052", id="spaces"),
        pytest.param("98104\n98118\n98052", id="newlines"),
        pytest.param("98104\r\n98118\r\n98052\r\n", id="crlf"),
        pytest.param("98104;98118; 98052", id="semicolons"),
        pytest.param("98104\t98118\t98052", id="tabs"),
        pytest.param("  98104 ,, ;\n98118 ;\n\n, 98052 ,  ", id="mixed-and-repeated"),
    ],
)
def test_parse_splits_on_any_separator(text):
    assert parse_zip_list(text) == ["98104", "98118", "98052"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("98104-1234", ["98104"]),
        ("98104-1234, 98118-0001\n98052", ["98104", "98118", "98052"]),
        # Cut first, then de-duplicated.
        ("98104-1234 98104 98104-9999", ["98104"]),
    ],
)
def test_parse_cuts_zip_plus_four_to_five_digits(text, expected):
    assert parse_zip_list(text) == expected


def test_parse_drops_duplicates_keeping_first_order():
    text = "98118, 98104, 98118, 98052, 98104, 98118"
    assert parse_zip_list(text) == ["98118", "98104", "98052"]


@pytest.mark.parametrize("text", ["", " ", "\n\n", " , ; \t\r\n ,"])
def test_parse_of_nothing_is_empty(text):
    assert parse_zip_list(text) == []


def test_parse_keeps_what_is_not_a_zip_so_the_form_can_name_it():
    # The form refuses these by name; parsing must not silently drop them.
    assert parse_zip_list("9810 abcde 98104-12345 98104-") == [
        "9810",
        "abcde",
        "98104-12345",
        "98104-",
    ]


def test_parsed_zips_classify_as_typed():
    zips = parse_zip_list("98104-1234\n98402; 98001, 00000")
    assert [classify(z) for z in zips] == [IN_COUNTY, OUTSIDE, CROSSES_LINE, UNKNOWN]


FIVE_DIGITS = st.from_regex(r"[0-9]{5}", fullmatch=True)
SEPARATOR = st.text(alphabet=" ,;\t\r\n", min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    zips=st.lists(FIVE_DIGITS | FIVE_DIGITS.map(lambda z: z + "-1234"), max_size=8),
    separators=st.lists(SEPARATOR, min_size=9, max_size=9),
    lead=st.text(alphabet=" ,;\n", max_size=3),
)
def test_parse_recovers_any_typed_list(zips, separators, lead):
    text = lead + "".join(z + sep for z, sep in zip(zips, separators, strict=False))
    expected = list(dict.fromkeys(z[:5] for z in zips))
    assert parse_zip_list(text) == expected
