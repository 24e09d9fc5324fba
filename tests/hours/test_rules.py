"""Hours and completion come from attended sessions and the program's rules."""

import pytest

from intake.hours import CreditRules, HeldSession, credited_minutes, has_completed, hours_text

TEN_UP_TO_TWELVE = CreditRules(
    credit_minutes_per_session=None, credit_cap_minutes=720, completion_percent=80
)


def held(attended: int, total: int, minutes: int = 90) -> list[HeldSession]:
    return [HeldSession(minutes=minutes, attended=index < attended) for index in range(total)]


def test_hours_are_the_attended_sessions_length_within_the_cap():
    assert credited_minutes(TEN_UP_TO_TWELVE, held(7, 10)) == 630
    assert credited_minutes(TEN_UP_TO_TWELVE, held(10, 10)) == 720  # 900 capped at 12 h


def test_a_fixed_credit_per_session_replaces_the_length():
    rules = CreditRules(
        credit_minutes_per_session=60, credit_cap_minutes=None, completion_percent=80
    )
    assert credited_minutes(rules, held(5, 6, minutes=120)) == 300


@pytest.mark.parametrize(
    ("attended", "total", "done"),
    [(8, 10, True), (7, 10, False), (5, 6, True), (4, 6, False), (0, 0, False)],
)
def test_completion_is_a_share_of_the_sessions_held(attended, total, done):
    assert has_completed(TEN_UP_TO_TWELVE, held(attended, total)) is done


@pytest.mark.parametrize(("minutes", "text"), [(720, "12"), (90, "1.5"), (80, "1.33"), (0, "0")])
def test_hours_are_written_for_people(minutes, text):
    assert hours_text(minutes) == text
