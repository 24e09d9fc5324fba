"""A bar chart's geometry, for an SVG the server renders (no JavaScript needed).

Pure arithmetic: the template draws what this returns, in the viewBox's units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from intake.reports.services import WeekCount

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

WIDTH = 720
HEIGHT = 280
LEFT = 48  # room for the counts on the y axis
RIGHT = WIDTH - 8
TOP = 16
BOTTOM = HEIGHT - 48  # room for two lines of dates under the axis
# Labels on the x axis closer than this would overlap.
MIN_LABEL_GAP = 34


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    y_max: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def axis_scale(peak: int, most_ticks: int = 5) -> tuple[int, int]:
    """The top of the y axis and the step between ticks: a 1, 2 or 5 times a power of
    ten step, at most ``most_ticks`` steps, the top at or above ``peak``."""
    peak = max(peak, 1)
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            steps = math.ceil(peak / step)
            if steps <= most_ticks:
                return steps * step, step
        magnitude *= 10


def day_label(day) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def weekly_chart(weeks: Sequence[WeekCount]) -> BarChart:
    """Bars for applications per week, a few round counts on the y axis, and dates on
    the x axis: every week when there are few, else the first week of each month."""
    y_max, step = axis_scale(max((w.applications for w in weeks), default=0))
    plot_height = BOTTOM - TOP
    slot = (RIGHT - LEFT) / max(len(weeks), 1)

    bars = []
    for index, week in enumerate(weeks):
        height = plot_height * week.applications / y_max
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.1, 2),
                y=round(BOTTOM - height, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
                value=week.applications,
                title=f"Week of {day_label(week.week_start)}: {week.applications}",
            )
        )
    ticks = tuple(
        Tick(position=round(BOTTOM - plot_height * value / y_max, 2), label=str(value))
        for value in range(0, y_max + 1, step)
    )

    every_week = len(weeks) <= 12
    labels: list[XLabel] = []
    last_x: float = -MIN_LABEL_GAP
    last_year = None
    previous_month = None
    for index, week in enumerate(weeks):
        day = week.week_start
        centre = LEFT + index * slot + slot / 2
        starts_month = (day.year, day.month) != previous_month
        previous_month = (day.year, day.month)
        if not (every_week or starts_month) or centre - last_x < MIN_LABEL_GAP:
            continue
        first_line = f"{day.day} {MONTHS[day.month - 1]}" if every_week else MONTHS[day.month - 1]
        lines = (first_line, str(day.year)) if day.year != last_year else (first_line,)
        labels.append(XLabel(x=round(centre, 2), lines=lines))
        last_x, last_year = centre, day.year

    return BarChart(bars=tuple(bars), y_ticks=ticks, x_labels=tuple(labels), y_max=y_max)
