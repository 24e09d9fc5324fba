"""What tests/conftest.py does to keep the suite fast still finds what it acts on."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from intake import create_app
from intake.extensions import db
from intake.models import Program
from tests.conftest import _FIRST_DIALECTS, _share_one_dialect


def test_statements_compiled_by_one_engine_are_found_by_the_next(app):
    with app.app_context():
        first_engine = db.engine
        statement = select(Program.slug).order_by(Program.slug)
        with first_engine.connect() as conn:
            first = conn.execute(statement)
            slugs = first.scalars().all()
        # Another test's engine: same database, made with a dialect of its own.
        second_engine = create_engine(first_engine.url)
        made_with = second_engine.dialect
        _share_one_dialect(second_engine)
        try:
            with second_engine.connect() as conn:
                second = conn.execute(statement)
                assert second.scalars().all() == slugs
        finally:
            second_engine.dispose()
    assert made_with is not first_engine.dialect
    assert second_engine.dialect is first_engine.dialect
    assert second.context.compiled is first.context.compiled, (
        "SQLAlchemy no longer keys compiled statements as tests/conftest.py expects: "
        "see _share_one_dialect"
    )
    assert second.context.cache_hit == second_engine.dialect.CACHE_HIT


def test_what_is_cached_holds_no_dialect_but_the_first_of_each_kind(app):
    # The app fixture seeded the default programs: a flush, so a compiled INSERT cached
    # in a mapper's cache, under the dialect it was compiled with.
    with app.app_context():
        dialect = db.engine.dialect
    # An app a test makes itself shares it too.
    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    with other.app_context():
        assert db.engine.dialect is dialect
        db.engine.dispose()
    firsts = {id(first) for first, _cache in _FIRST_DIALECTS.values()}
    assert id(dialect) in firsts
    caches = [mapper.__dict__.get("_compiled_cache", {}) for mapper in db.Model.registry.mappers]
    assert any(caches), "SQLAlchemy keeps its per-mapper statement caches elsewhere now"
    caches += [cache for _first, cache in _FIRST_DIALECTS.values()]
    # What is cached holds no other dialect alive: neither in its key nor in the
    # compiled statement itself.
    for cache in caches:
        for key in list(cache):
            assert id(key[0]) in firsts
            assert id(cache[key].dialect) in firsts
