import pytest

from intake.reports.suppression import FEWER_THAN, is_suppressed, safe_total, small_count


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, FEWER_THAN), (4, FEWER_THAN), (5, "5"), (12, "12"), (None, "not shown")],
)
def test_small_counts_are_shown_as_fewer_than_5(count, shown):
    assert small_count(count) == shown


def test_fewer_than_5_is_the_words_the_page_uses():
    assert FEWER_THAN == "fewer than 5"
    assert [is_suppressed(n) for n in (0, 1, 4, 5)] == [False, True, True, False]


def test_a_total_is_hidden_when_it_would_give_away_a_hidden_part():
    # 6 English and 1 Spanish: a total of 7 would tell the Spanish count by subtraction.
    assert safe_total(7, [6, 1]) is None
    # Two hidden parts are still two unknowns from one sum: hidden too.
    assert safe_total(4, [2, 2]) is None
    assert safe_total(11, [6, 5, 0]) == 11
    assert safe_total(0, [0, 0]) == 0


def test_a_total_of_one_part_is_that_part_and_is_shown_like_it():
    assert safe_total(3, [0, 3, 0]) == 3
    assert small_count(safe_total(3, [0, 3, 0])) == FEWER_THAN


def test_an_unknown_part_hides_the_total():
    assert safe_total(9, [9, None]) is None


def test_the_filter_is_registered_for_templates(app):
    template = app.jinja_env.from_string(
        "{{ 0|small_count }}, {{ 3|small_count }}, {{ 7|small_count }}"
    )
    assert template.render() == "0, fewer than 5, 7"
