"""The migrations build the whole schema from an empty database, on both databases,
and match the models exactly (no create_all outside tests)."""

import os
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from bench.seed import seed as seed_applications
from intake import create_app, database_url
from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.models import Application
from intake.programs.services import seed_default_programs
from intake.status.states import STATUSES
from intake.waitlist.queries import ALL, Filters, find_page
from intake.waitlist.search import include_name
from tests.waitlist.conftest import scanned


def _upgrade_compare_downgrade(uri):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert _allowed_statuses() == set(STATUSES)
        with db.engine.connect() as connection:
            # The FTS5 search table (SQLite) and the expression indexes are made by
            # hand (intake.waitlist.search), as env.py says; SQLite's reflection says
            # it skips the expression index, which is what it should do.
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": include_name}
            )
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", "Skipped unsupported reflection of expression-based index"
                )
                assert compare_metadata(context, db.metadata) == []
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _allowed_statuses() -> set[str]:
    """The statuses the migrated database's CHECK on applications.status allows:
    compare_metadata does not compare CHECK constraints, and the migration writes the
    list out while the model builds it from the state machine."""
    (check,) = (
        c
        for c in inspect(db.engine).get_check_constraints("applications")
        if c["name"] == "ck_applications_status"
    )
    return set(re.findall(r"'([a-z_]+)'", check["sqltext"]))


def test_migrations_on_sqlite(tmp_path):
    _upgrade_compare_downgrade(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")


POSTGRESQL_ONLY = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="set TEST_DATABASE_URL for PostgreSQL"
)


@contextmanager
def _postgresql_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    admin_url = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"intake_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@POSTGRESQL_ONLY
def test_migrations_on_postgresql():
    with _postgresql_database() as uri:
        _upgrade_compare_downgrade(uri)


def _search_text_filled_on_upgrade(uri: str) -> None:
    """Applications written before 0021 get their search text on upgrade (and again
    after a downgrade), and the search finds what the plain scan finds."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        flask_migrate.upgrade(revision="0020_agency_bit")
        now = datetime(2026, 11, 26, tzinfo=UTC)
        seed_default_programs(now)
        # Straight into the tables, naming only 0020's columns.
        seed_applications(40, now=now)

        def upgrade_and_search() -> None:
            flask_migrate.upgrade()
            db.session.expire_all()
            blank = select(func.count()).where(Application.search_text.is_(None))
            assert db.session.scalar(blank) == 0
            for q in ("chen", "an", "head start", "garcía"):
                filters = Filters(q=q, status=ALL)
                found = {a.id for a in find_page(filters, size=100, scope=EVERYTHING).rows}
                assert found == scanned(q), q
                assert found or q != "an", "the seed has names with 'an'"
            db.session.rollback()

        upgrade_and_search()
        flask_migrate.downgrade(revision="0020_agency_bit")
        upgrade_and_search()
        db.engine.dispose()


def test_0021_fills_the_search_text_of_existing_applications_on_sqlite(tmp_path):
    _search_text_filled_on_upgrade(f"sqlite:///{tmp_path / 'search.sqlite3'}")


@POSTGRESQL_ONLY
def test_0021_fills_the_search_text_of_existing_applications_on_postgresql():
    with _postgresql_database() as uri:
        _search_text_filled_on_upgrade(uri)


def test_0002_gives_an_existing_king_county_program_its_rules(tmp_path):
    """A database seeded before the agency rules existed gets them on upgrade."""
    uri = f"sqlite:///{tmp_path / 'seeded.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        flask_migrate.upgrade(revision="0001")
        db.session.execute(
            text(
                "INSERT INTO programs (slug, kind, name, audience, summary, shape, rule_keys,"
                " is_open, position, offer_window_days, checkin_interval_days,"
                " checkin_window_days, auto_offer, created_at) VALUES ('king-county-consultation',"
                " 'agency', 'KC', '', '', '', '[]', 1, 30, 7, 90, 14, 0, '2026-01-01')"
            )
        )
        db.session.commit()
        flask_migrate.upgrade()
        rule_keys = db.session.execute(text("SELECT rule_keys FROM programs")).scalar()
        assert "king_county" in rule_keys
        assert "leadership" in rule_keys
        db.engine.dispose()
