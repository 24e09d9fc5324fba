"""What tests/conftest.py does to keep the suite fast still finds what it acts on."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from intake.extensions import db
from intake.models import Program
from tests.conftest import _DIALECTS, ENGINE_STATEMENTS, StatementCache


def test_statements_compiled_by_one_engine_are_found_by_the_next(app):
    with app.app_context():
        first_engine = db.engine
        statement = select(Program.slug).order_by(Program.slug)
        with first_engine.connect() as conn:
            first = conn.execute(statement)
            slugs = first.scalars().all()
        # Another test's engine: same database, a dialect object of its own.
        second_engine = create_engine(first_engine.url)
        second_engine._compiled_cache = ENGINE_STATEMENTS
        try:
            with second_engine.connect() as conn:
                second = conn.execute(statement)
                assert second.scalars().all() == slugs
        finally:
            second_engine.dispose()
    assert second_engine.dialect is not first_engine.dialect
    assert second.context.compiled is first.context.compiled, (
        "SQLAlchemy's compiled-statement keys changed: see StatementCache in tests/conftest.py"
    )
    assert second.context.cache_hit == second_engine.dialect.CACHE_HIT


def test_each_mappers_writes_are_kept_in_a_shared_cache_of_first_dialects(app):
    # The app fixture seeded the default programs: a flush, so a compiled INSERT cached.
    caches = [mapper.__dict__.get("_compiled_cache") for mapper in db.Model.registry.mappers]
    assert all(isinstance(cache, StatementCache) for cache in caches)
    assert any(len(cache) for cache in caches)
    # Only the first dialect of each kind is kept, not one per test's engine.
    first_dialects = {id(dialect) for dialect in _DIALECTS.values()}
    for cache in [*caches, ENGINE_STATEMENTS]:
        assert {id(key[0]) for key in cache} <= first_dialects
