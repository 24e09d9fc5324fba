"""Pages of a long list: one ``Page`` for every table that has pages, shown by the
``pager`` macro in templates/macros/pager.html. The page number comes from the query
string through ``intake.inputs.arg_page`` (or ``page_number``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from intake.extensions import db


def last_page(total: int, size: int) -> int:
    """How many pages ``total`` rows make: at least one, empty or not."""
    return max(1, -(-total // size))


@dataclass
class Page:
    """One page of a list: its rows, the list's total, its (1-based) number."""

    rows: list[Any]
    total: int
    number: int
    size: int
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return last_page(self.total, self.size)

    @property
    def first(self) -> int:
        """The position of the first row shown (1-based), 0 when there are none."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link to: the first, the last and a few around this one,
        with None where pages are skipped."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown: list[int | None] = []
        for number in sorted(n for n in wanted if 1 <= n <= self.pages):
            if shown and shown[-1] is not None and number > shown[-1] + 1:
                shown.append(None)
            shown.append(number)
        return shown


def paginate(stmt: Select, number: int, size: int) -> Page:
    """Page ``number`` of ``stmt``'s rows (a page beyond the end is the last): a count,
    then that page's rows, two queries."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    number = min(number, last_page(total or 0, size))
    rows = db.session.execute(stmt.limit(size).offset((number - 1) * size)).unique().scalars()
    return Page(rows=list(rows), total=total or 0, number=number, size=size)
