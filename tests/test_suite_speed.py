"""What tests/conftest.py does to keep the suite fast still finds what it acts on."""

from __future__ import annotations

from intake.extensions import db
from tests.conftest import _forget_compiled_statements


def test_the_mappers_statement_caches_are_found_and_emptied(app):
    # The app fixture seeded the default programs: a flush, so a compiled INSERT cached.
    caches = [
        mapper.__dict__["_compiled_cache"]
        for mapper in db.Model.registry.mappers
        if "_compiled_cache" in mapper.__dict__
    ]
    assert any(len(cache) for cache in caches), (
        "SQLAlchemy keeps its per-mapper statement caches elsewhere now: "
        "see _forget_compiled_statements in tests/conftest.py"
    )
    _forget_compiled_statements()
    assert not any(len(cache) for cache in caches)
