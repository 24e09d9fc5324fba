"""The benchmark's table: rows, budgets and markdown. Pure functions (tested in
tests/bench/test_harness.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PAGE_BUDGET_BYTES = 100 * 1024
ALONE_P95_MS = 50.0
PUBLIC_RATIO = 0.5
POST_RATIO = 0.25
# Launch day: 5,000 applicants through the screener and the application in 10 minutes.
LAUNCH_DAY_RATE = 5000 / 600
# "Launch day's backlog never more than a few seconds": the longest any application's
# "received" e-mail waited, from its POST's moment (the request's start, when the row's
# created_at is taken) to the SMTP server's acceptance.
EMAIL_WAIT_S = 5.0


@dataclass
class Row:
    """One line of the table: a path in one mode (alone or loaded)."""

    path: str
    mode: str
    rate: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    ratio_hello: float | None = None
    ratio_db: float | None = None
    bytes: int | None = None
    errors: int = 0
    # The budgets this row is held to, as text, and whether each was met.
    budgets: list[tuple[str, bool]] = field(default_factory=list)
    note: str = ""

    @property
    def met(self) -> bool | None:
        if not self.budgets:
            return None
        return all(ok for _, ok in self.budgets) and not self.errors


def alone_budget(p95_ms: float | None) -> tuple[str, bool]:
    """Not met when nothing was measured (no request finished within the run)."""
    return (f"p95 < {ALONE_P95_MS:.0f} ms", p95_ms is not None and p95_ms < ALONE_P95_MS)


def ratio_budget(ratio: float, least: float) -> tuple[str, bool]:
    text = f"≥ {least:g}× DB"  # noqa: RUF001 - a multiplication sign
    return (text, not math.isnan(ratio) and ratio >= least)


def wait_budget(longest_s: float | None) -> tuple[str, bool]:
    """Not met when an e-mail was never sent (no longest wait to show)."""
    return (
        f"e-mail wait ≤ {EMAIL_WAIT_S:g} s",
        longest_s is not None and longest_s <= EMAIL_WAIT_S,
    )


def pace_budget(rate: float) -> tuple[str, bool]:
    """The launch-day row counts only if the applications came at least that fast."""
    return (f"≥ {LAUNCH_DAY_RATE:.1f} applications/s", rate >= LAUNCH_DAY_RATE)


def size_budget(size: int) -> tuple[str, bool]:
    return ("≤ 100 KB", size <= PAGE_BUDGET_BYTES)


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _bytes(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1024:,.1f} KB"


def _met(row: Row) -> str:
    if row.met is None:
        return "–"
    if row.met:
        return "yes"
    missed = [text for text, ok in row.budgets if not ok]
    if row.errors:
        missed.append(f"{row.errors} errors")
    return "**no** (" + ", ".join(missed) + ")"


HEADER = (
    "| path | mode | req/s | p50 ms | p95 ms | p99 ms | ÷ hello | ÷ bare DB | bytes "
    "| errors | budget | met? |"
)


def format_table(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for row in rows:
        budget = ", ".join(text for text, _ in row.budgets) or "–"
        path = row.path
        lines.append(
            f"| {path} | {row.mode} | {_number(row.rate)} | {_number(row.p50_ms)} "
            f"| {_number(row.p95_ms)} | {_number(row.p99_ms)} | {_number(row.ratio_hello, 3)} "
            f"| {_number(row.ratio_db, 2)} | {_bytes(row.bytes)} | {row.errors} | {budget} "
            f"| {_met(row)} |"
        )
    return "\n".join(lines)


def format_notes(rows: list[Row]) -> str:
    """What a row's cells cannot say (counts checked, the CSV's timings), one a line."""
    return "\n".join(f"- {row.path} ({row.mode}): {row.note}" for row in rows if row.note)


def format_machine(machine: dict[str, str]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in machine.items())
