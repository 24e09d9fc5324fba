"""Whether a program takes applications: the pure decision, at its boundaries."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from intake.cycles.windows import CLOSED, NOT_YET, OPEN, availability, overlaps

US = timedelta(microseconds=1)
OPENS = datetime(2027, 1, 4, 17, 0, tzinfo=UTC)
CLOSES = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)


@dataclass
class W:
    opens_at: datetime
    closes_at: datetime


WINDOW = W(OPENS, CLOSES)
LATER = W(datetime(2027, 9, 1, tzinfo=UTC), datetime(2027, 10, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("now", "state", "window"),
    [
        (OPENS - US, NOT_YET, WINDOW),
        (OPENS, OPEN, WINDOW),
        (OPENS + US, OPEN, WINDOW),
        (CLOSES - US, OPEN, WINDOW),
        (CLOSES, NOT_YET, LATER),
        (CLOSES + US, NOT_YET, LATER),
        (LATER.closes_at - US, OPEN, LATER),
        (LATER.closes_at, CLOSED, None),
    ],
)
def test_open_not_yet_and_closed_at_the_boundaries(now, state, window):
    decided = availability(True, [LATER, WINDOW], now)
    assert decided.state == state
    assert decided.window is window
    assert decided.taking == (state == OPEN)


def test_the_deadline_and_the_opening_are_the_windows_times():
    assert availability(True, [WINDOW], OPENS).deadline == CLOSES
    assert availability(True, [WINDOW], OPENS).opens_at is None
    assert availability(True, [WINDOW], OPENS - US).opens_at == OPENS
    assert availability(True, [WINDOW], OPENS - US).deadline is None


def test_a_program_without_windows_is_open_when_it_is_open():
    assert availability(True, [], OPENS).state == OPEN
    assert availability(True, [], OPENS).deadline is None
    assert availability(False, [], OPENS).state == CLOSED


def test_a_closed_program_is_closed_inside_its_window():
    decided = availability(False, [WINDOW], OPENS + US)
    assert decided.state == CLOSED
    assert not decided.taking


def test_overlapping_windows_share_a_moment():
    assert overlaps(CLOSES - US, CLOSES + timedelta(days=1), [WINDOW]) is WINDOW
    assert overlaps(OPENS - timedelta(days=1), OPENS + US, [WINDOW]) is WINDOW
    # Touching is not overlapping: one closes as the next opens.
    assert overlaps(CLOSES, CLOSES + timedelta(days=1), [WINDOW]) is None
    assert overlaps(OPENS - timedelta(days=1), OPENS, [WINDOW]) is None
