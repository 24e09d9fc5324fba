import pytest

from tests.factories import application_maker


@pytest.fixture
def waiting(ctx, clock):
    """Add a waitlisted application; ``joined_minutes_ago`` orders equal priorities."""
    return application_maker(clock)
