from tests.review.conftest import apply_for_review  # noqa: F401 - the same fixture here
