"""Whether a program takes applications at a moment (pure: no Flask, no database).

A program's application windows are its cycles. Inside a window (from ``opens_at``,
included, to ``closes_at``, excluded) the program is open and the window's
``closes_at`` is its deadline; before a window it is not open yet; after its last
window it is closed. A program with no windows is open whenever ``is_open`` says so,
as before windows existed; ``is_open`` false closes it whatever its windows say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

OPEN = "open"
NOT_YET = "not_yet"
CLOSED = "closed"


class Window(Protocol):
    opens_at: datetime
    closes_at: datetime


W = TypeVar("W", bound=Window)


@dataclass(frozen=True)
class Availability:
    """A program at one moment: ``state`` (OPEN, NOT_YET or CLOSED) and its
    ``window``: the open one (its ``closes_at`` is the deadline), the next one (its
    ``opens_at`` is when it opens) or None (no windows, or none to come)."""

    state: str
    window: Window | None = None

    @property
    def taking(self) -> bool:
        return self.state == OPEN

    @property
    def deadline(self) -> datetime | None:
        return self.window.closes_at if self.state == OPEN and self.window else None

    @property
    def opens_at(self) -> datetime | None:
        return self.window.opens_at if self.state == NOT_YET and self.window else None


def availability(is_open: bool, windows: Iterable[Window], now: datetime) -> Availability:
    """Decide for one program at ``now`` (aware)."""
    if not is_open:
        return Availability(CLOSED)
    windows = sorted(windows, key=lambda w: (w.opens_at, w.closes_at))
    if not windows:
        return Availability(OPEN)
    current = [w for w in windows if w.opens_at <= now < w.closes_at]
    if current:
        # Windows of one program do not overlap (the admin form refuses it); if
        # they ever did, the one that closes first gives the honest deadline.
        return Availability(OPEN, min(current, key=lambda w: w.closes_at))
    coming = [w for w in windows if w.opens_at > now]
    if coming:
        return Availability(NOT_YET, coming[0])
    return Availability(CLOSED)


def overlaps(opens_at: datetime, closes_at: datetime, others: Iterable[W]) -> W | None:
    """The first of ``others`` sharing a moment with [opens_at, closes_at), if any."""
    for other in sorted(others, key=lambda w: w.opens_at):
        if opens_at < other.closes_at and other.opens_at < closes_at:
            return other
    return None
