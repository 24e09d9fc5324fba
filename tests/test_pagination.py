"""One page of a list (intake.pagination), as every table with pages shows it."""

from sqlalchemy import select

from intake.extensions import db
from intake.models import Program
from intake.pagination import Page, paginate


def page(number: int, total: int, size: int = 10) -> Page:
    return Page(
        rows=[object()] * max(0, min(size, total - (number - 1) * size)),
        total=total,
        number=number,
        size=size,
    )


def test_the_numbers_are_the_ends_and_two_either_side():
    assert page(1, 0).numbers() == [1]
    assert page(1, 30).numbers() == [1, 2, 3]
    assert page(1, 200).numbers() == [1, 2, 3, None, 20]
    assert page(10, 200).numbers() == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page(20, 200).numbers() == [1, None, 18, 19, 20]


def test_first_last_and_pages():
    assert (page(1, 0).first, page(1, 0).last, page(1, 0).pages) == (0, 0, 1)
    assert (page(3, 25).first, page(3, 25).last, page(3, 25).pages) == (21, 25, 3)


def test_paginate_shows_the_last_page_for_a_number_beyond_it(ctx):
    stmt = select(Program).order_by(Program.id)
    programs = list(db.session.scalars(stmt))
    assert len(programs) > 2
    shown = paginate(stmt, 10**20, 2)
    assert shown.total == len(programs)
    assert shown.number == shown.pages
    assert shown.rows == programs[(shown.number - 1) * 2 :]
