"""The one CSV writer every export uses: the formula guard, batch by batch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.csvfile import FORMULA_STARTS, csv_stream, neutralise, safe_row, safe_rows

# Text that starts like a formula often, with NULs, line breaks and the rest.
TEXT = st.text(alphabet=st.sampled_from([*FORMULA_STARTS, "\x00", "\n", "a", "é", "王", " ", "'"]))
CELL = st.one_of(TEXT, st.integers(-3, 3), st.none())


@settings(deadline=None)  # a busy machine is no failure
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(CELL, min_size=n, max_size=n))))
def test_safe_rows_is_safe_row_on_every_row(rows):
    assert [list(row) for row in safe_rows(rows)] == [safe_row(row) for row in rows]


@settings(deadline=None)
@given(st.lists(st.lists(CELL, max_size=4)))
def test_ragged_rows_too(rows):
    assert [list(row) for row in safe_rows(rows)] == [safe_row(row) for row in rows]


def test_safe_row_is_neutralise_on_every_cell():
    cells = ["=1", "+1", "-1", "@a", "\tx", "\rx", " =1", "a=1", "", 3, -2, None, "\x00=1"]
    assert safe_row(cells) == [neutralise(cell) for cell in cells]


def test_a_chunk_per_batch_the_header_first():
    chunks = list(csv_stream(["A", "=B"], [[["=x", 1], ["y", -1]], [], [["\x00=", None]]]))
    assert chunks == ["\ufeffA,'=B\r\n", "'=x,1\r\ny,-1\r\n", "", "\x00=,\r\n"]
