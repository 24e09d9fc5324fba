import pytest

from intake.applications.services import agency_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Little Sprouts Family Center", "little sprouts family center"),
        ("The Kids' Place, Inc.", "Kids Place"),
        ("Kids Place LLC", "KIDS-PLACE"),
        ("Centro Niños", "centro niños"),
    ],
)
def test_agency_key_matches_the_same_agency(one, other):
    assert agency_key(one) == agency_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Kids Place", "Kids Place North"), ("Sprouts", "Seedlings")],
)
def test_agency_key_tells_different_agencies_apart(one, other):
    assert agency_key(one) != agency_key(other)
