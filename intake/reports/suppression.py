"""Small-count suppression for the reports page.

In any breakdown by something that describes people (their language), a count from 1
to 4 could point at one person, so it is shown as "fewer than 5"; 0 stays 0.

A number that adds up other numbers on the page (a total, a sum over programs, a gap
worked out from one) would let a hidden count be recovered by subtraction. Rather than
pick extra "complementary" cells to hide, which is easy to get wrong, such a number is
shown only when none of its parts is hidden (``safe_total``), and "not shown" otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

THRESHOLD = 5
FEWER_THAN = "fewer than 5"


def is_suppressed(count: int | None) -> bool:
    """Would this count be hidden? (1 to 4; 0 and None are not.)"""
    return count is not None and 0 < count < THRESHOLD


def small_count(count: int | None) -> str:
    """A count as it may be shown in a demographic breakdown."""
    if count is None:
        return "not shown"
    if is_suppressed(count):
        return FEWER_THAN
    return str(count)


def safe_total(total: int, parts: Iterable[int | None]) -> int | None:
    """``total``, or None when it could give away a hidden count by subtraction: when
    one of the counts it is made of is hidden (or unknown) and another is not 0.

    A total with a single count that is not 0 is that count, hidden or not, and is
    shown through ``small_count`` like it.
    """
    parts = list(parts)
    if any(part is None for part in parts):
        return None
    if any(is_suppressed(part) for part in parts) and sum(1 for p in parts if p) > 1:
        return None
    return total
