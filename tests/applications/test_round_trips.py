"""The database work of one application POST, statement by statement (issue 13).

It was 28 round trips on PostgreSQL for an individual (30 for an agency): the programs
and their windows read three times, a form-token lookup before an insert the unique
constraint guards, a reference lookup per application, a load of the collection just
built, duplicate checks after the insert (and an UPDATE to flag one), the outbox's
lookup and savepoint for a key no one else can hold, and a reload of the applicant
after the commit. Counted, not timed: a change that adds a query fails here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from intake.extensions import db
from intake.models import Applicant, Application, OutboxMessage
from tests.helpers import (
    AGENCY_DETAILS,
    APPLICATION_DETAILS,
    complete_agency_screener,
    complete_screener,
    open_application,
)


@pytest.fixture
def database_work(app):
    """What the engine is asked to do: each statement (verb and table) and each
    transaction's begin and end."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen.append(_describe(sql))

    def transaction(name):
        return lambda conn, *args: seen.append(name)

    listeners = [("before_cursor_execute", statement)] + [
        (name, transaction(name.upper())) for name in ("begin", "commit", "rollback")
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


def _describe(sql: str) -> str:
    sql = " ".join(sql.split())
    verb = re.match(r"(SELECT|INSERT INTO \w+|DELETE FROM \w+|UPDATE \w+|\w+)", sql)
    assert verb is not None
    if verb.group(1) == "SELECT":
        table = re.search(r" FROM (\w+)", sql)
        return f"SELECT {table.group(1) if table else ''}".strip()
    return verb.group(1)


def _inserts(app, table: str, rows: int) -> list[str]:
    """The INSERT of new rows whose ids the ORM needs back: one statement for all on
    PostgreSQL (insertmanyvalues with RETURNING); SQLite runs one per row (in process,
    no round trip)."""
    with app.app_context():
        one_batch = db.engine.dialect.name == "postgresql"
    return [f"INSERT INTO {table}"] * (1 if one_batch else rows)


def _post(client, database_work, path, details):
    _, csrf, token = open_application(client, path)
    database_work.clear()
    response = client.post(path, data={**details, "csrf_token": csrf, "form_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/apply/received"
    return list(database_work)


def test_individual_application_post(client, app, database_work):
    complete_screener(client)
    work = _post(client, database_work, "/apply", APPLICATION_DETAILS)
    assert work == [
        "BEGIN",
        "SELECT screener_drafts",
        "SELECT programs",  # with their windows, joined
        "SELECT applications",  # possible duplicates, every program, one query
        "INSERT INTO applicants",
        "INSERT INTO applicant_availability",
        "INSERT INTO applicant_languages",
        "INSERT INTO applications",
        "INSERT INTO self_identifications",
        *_inserts(app, "status_events", 3),
        "INSERT INTO outbox_messages",
        "DELETE FROM screener_drafts",
        "COMMIT",
    ]


def test_two_programs_cost_no_more_round_trips(client, app, database_work):
    complete_screener(client)
    details = {**APPLICATION_DETAILS, "programs": ["introductory", "reflective-practice-group"]}
    work = _post(client, database_work, "/apply", details)
    assert work == [
        "BEGIN",
        "SELECT screener_drafts",
        "SELECT programs",
        "SELECT applications",
        "INSERT INTO applicants",
        "INSERT INTO applicant_availability",
        "INSERT INTO applicant_languages",
        *_inserts(app, "applications", 2),
        "INSERT INTO self_identifications",
        *_inserts(app, "status_events", 6),
        "INSERT INTO outbox_messages",
        "DELETE FROM screener_drafts",
        "COMMIT",
    ]


def test_agency_application_post(client, app, ctx, database_work):
    expected = [
        "BEGIN",
        "SELECT screener_drafts",
        "SELECT programs",
        "SELECT cohorts",  # the seats an agency may ask for
        "SELECT applications",  # same e-mail, or same agency and ZIP: one query
        "INSERT INTO applicants",
        "INSERT INTO agency_details",
        "INSERT INTO applicant_availability",
        "INSERT INTO applicant_languages",
        "INSERT INTO applications",
        *_inserts(app, "status_events", 3),
        "INSERT INTO outbox_messages",
        "DELETE FROM screener_drafts",
        "COMMIT",
    ]
    complete_agency_screener(client)
    assert _post(client, database_work, "/apply/agency", AGENCY_DETAILS) == expected

    # The same agency again: flagged as a possible duplicate as it is inserted, with
    # no UPDATE after.
    again = app.test_client()
    complete_agency_screener(again)
    details = {**AGENCY_DETAILS, "email": "other@sprouts.example.org"}
    assert _post(again, database_work, "/apply/agency", details) == expected
    second = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    assert second.duplicate_reason == "same_agency"


def test_a_reference_that_clashes_is_replaced(client, app, ctx, monkeypatch):
    """References are not looked up before the insert: the unique constraint refuses a
    clash, and the form is sent once more with new ones. One applicant, one e-mail."""
    from intake.applications import services

    complete_screener(client)
    _, csrf, token = open_application(client)
    client.post("/apply", data={**APPLICATION_DETAILS, "csrf_token": csrf, "form_token": token})
    taken = db.session.scalars(select(Application.reference)).one()

    fresh = services.new_reference
    references = iter([taken])
    monkeypatch.setattr(services, "new_reference", lambda: next(references, None) or fresh())
    other = app.test_client()
    complete_screener(other)
    _, csrf, token = open_application(other)
    details = {**APPLICATION_DETAILS, "email": "someone.else@example.org"}
    response = other.post("/apply", data={**details, "csrf_token": csrf, "form_token": token})
    assert response.status_code == 303

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Applicant)) == 2
    assert db.session.scalar(select(func.count()).select_from(Application)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    references_now = db.session.scalars(select(Application.reference)).all()
    assert len(set(references_now)) == 2
