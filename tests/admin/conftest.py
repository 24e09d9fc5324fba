from tests.cohorts.conftest import statements  # noqa: F401 - shared fixture
