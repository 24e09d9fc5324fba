"""Migration 0014: an install seeded before it gets the Illinois rule and the
texts the 10-session groups' page says, where an admin has not changed them; back
down, the old texts return."""

import json
import os
import uuid

import flask_migrate
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intake import create_app, database_url
from intake.extensions import db

OLD = {
    "name": "Reflective practice group (10 sessions)",
    "audience": "Professionals of any discipline working with infants, young children and "
    "their families.",
    "summary": "Multidisciplinary groups led by experienced, credentialed infant and early "
    "childhood mental health (IECMH) professionals.",
    "shape": "10 sessions, with up to 12 hours of reflective supervision toward the IECMH "
    "Endorsement.",
}


def _insert(slug, kind, name, rule_keys, **texts):
    values = {"audience": OLD["audience"], "summary": "", "shape": "", **texts}
    db.session.execute(
        text(
            "INSERT INTO programs (slug, kind, name, audience, summary, shape, rule_keys,"
            " is_open, position, offer_window_days, checkin_interval_days,"
            " checkin_window_days, auto_offer, created_at)"
            " VALUES (:slug, :kind, :name, :audience, :summary, :shape, :rule_keys,"
            " true, 40, 7, 90, 14, false, '2026-01-01')"
        ),
        {"slug": slug, "kind": kind, "name": name, "rule_keys": rule_keys, **values},
    )


def _rows():
    rows = db.session.execute(
        text("SELECT slug, name, audience, summary, shape, rule_keys, format_note FROM programs")
    ).mappings()
    result = {}
    for row in rows:
        keys = row["rule_keys"]
        if isinstance(keys, str):  # SQLite gives the JSON text
            keys = json.loads(keys)
        result[row["slug"]] = {**row, "rule_keys": keys}
    return result


def _check(uri):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        flask_migrate.upgrade(revision="0013")
        _insert(
            "reflective-practice-group",
            "individual",
            OLD["name"],
            '["prenatal_to_five"]',
            summary=OLD["summary"],
            shape="Ten sessions, as our admin wrote it.",
        )
        _insert("introductory", "individual", "Intro", '["prenatal_to_five"]')
        _insert("bipoc-intensive", "individual", "BIPOC", '["prenatal_to_five"]')
        db.session.commit()

        flask_migrate.upgrade(revision="0014")
        rows = _rows()
        rpg = rows["reflective-practice-group"]
        assert rpg["rule_keys"] == ["prenatal_to_five", "works_in_illinois"]
        assert rpg["name"] == "Reflective practice groups in Illinois (10 sessions)"
        assert "working in Illinois" in rpg["audience"]
        assert "(ILAIMH)" in rpg["summary"]
        # What an admin wrote stays.
        assert rpg["shape"] == "Ten sessions, as our admin wrote it."
        assert rpg["format_note"] == "Groups meet monthly, for 10 sessions."
        assert (
            rows["bipoc-intensive"]["format_note"] == "Virtual sessions, plus an in-person retreat."
        )
        assert rows["introductory"]["format_note"] is None
        assert rows["introductory"]["audience"] == OLD["audience"]  # another program's text

        # Down and up again: the key is there once.
        flask_migrate.downgrade(revision="0013")
        flask_migrate.upgrade(revision="0014")
        assert _rows()["reflective-practice-group"]["rule_keys"] == [
            "prenatal_to_five",
            "works_in_illinois",
        ]

        flask_migrate.downgrade(revision="0013")
        rpg = _rows()["reflective-practice-group"]
        assert rpg["rule_keys"] == ["prenatal_to_five"]
        assert (rpg["name"], rpg["summary"]) == (OLD["name"], OLD["summary"])
        assert rpg["shape"] == "Ten sessions, as our admin wrote it."
        assert rpg["format_note"] is None
        db.session.remove()
        db.engine.dispose()


def test_0014_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'texts.sqlite3'}")


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="set TEST_DATABASE_URL for PostgreSQL"
)
def test_0014_on_postgresql():
    admin_url = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"intake_texts_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _check(admin_url.set(database=name).render_as_string(False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
