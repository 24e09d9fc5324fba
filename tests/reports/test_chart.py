from datetime import date, timedelta
from itertools import pairwise

import pytest

from intake.reports import chart
from intake.reports.chart import axis_scale, weekly_chart
from intake.reports.forms import a_year_before
from intake.reports.services import WeekCount


@pytest.mark.parametrize(
    ("peak", "scale"),
    [(0, (1, 1)), (1, (1, 1)), (5, (5, 1)), (7, (8, 2)), (23, (25, 5)), (130, (150, 50))],
)
def test_the_y_axis_ends_on_a_round_number(peak, scale):
    assert axis_scale(peak) == scale


def weeks(first: date, counts: list[int]) -> list[WeekCount]:
    return [WeekCount(first + timedelta(weeks=i), n) for i, n in enumerate(counts)]


def test_bars_are_as_tall_as_their_counts_on_the_axis():
    drawn = weekly_chart(weeks(date(2026, 1, 5), [0, 4, 8, 2]))
    plot = chart.BOTTOM - chart.TOP
    assert drawn.y_max == 8
    assert [b.height for b in drawn.bars] == [0, plot / 2, plot, plot / 4]
    assert all(b.y + b.height == chart.BOTTOM for b in drawn.bars)
    assert [t.label for t in drawn.y_ticks] == ["0", "2", "4", "6", "8"]
    assert drawn.y_ticks[-1].position == chart.TOP
    # Bars stay inside the plot, left to right, without overlapping.
    assert drawn.bars[0].x > chart.LEFT
    assert drawn.bars[-1].x + drawn.bars[-1].width < chart.RIGHT
    assert all(a.x + a.width < b.x for a, b in zip(drawn.bars, drawn.bars[1:], strict=False))
    assert drawn.bars[2].title == "Week of 19 Jan 2026: 8"


def test_few_weeks_are_each_labelled_with_the_year_where_it_changes():
    drawn = weekly_chart(weeks(date(2025, 12, 22), [1, 3, 1]))
    assert [label.lines for label in drawn.x_labels] == [
        ("22 Dec", "2025"),
        ("29 Dec",),
        ("5 Jan", "2026"),
    ]


def test_a_year_of_weeks_is_labelled_by_month_across_the_new_year():
    drawn = weekly_chart(weeks(date(2025, 3, 3), [1] * 53))
    lines = [label.lines for label in drawn.x_labels]
    assert lines[0] == ("Mar", "2025")
    assert ("Jan", "2026") in lines
    firsts = [line[0] for line in lines]
    assert firsts == [
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "Jan",
        "Feb",
        "Mar",
    ]
    xs = [label.x for label in drawn.x_labels]
    assert all(b - a >= chart.MIN_LABEL_GAP for a, b in pairwise(xs))


def test_the_default_period_is_the_last_twelve_months():
    assert a_year_before(date(2026, 3, 2)) == date(2025, 3, 3)
    assert a_year_before(date(2028, 2, 29)) == date(2027, 3, 1)
