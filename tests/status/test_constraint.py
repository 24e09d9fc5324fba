"""The database keeps applications.status to the state machine's statuses: the CHECK
constraint is built from the table in intake.status.states, and refuses anything else
(the migrated databases are checked in tests/test_migrations.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import CheckConstraint, select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.models import Applicant, Application, Program
from intake.status.states import STATUSES, TRANSITIONS


def allowed(sqltext: str) -> set[str]:
    """The statuses a ``status in (...)`` CHECK lists, as text from any database."""
    return set(re.findall(r"'([a-z_]+)'", sqltext))


def test_statuses_are_the_table_s_states():
    assert set(STATUSES) == set(TRANSITIONS)
    assert len(STATUSES) == len(set(STATUSES))


def test_the_model_s_check_lists_exactly_the_states():
    (check,) = (
        c
        for c in Application.__table__.constraints
        if isinstance(c, CheckConstraint) and c.name == "ck_applications_status"
    )
    assert allowed(str(check.sqltext)) == set(TRANSITIONS)


def _application(status: str, clock) -> Application:
    now = clock()
    applicant = Applicant(
        kind="individual",
        name="Ana Status",
        email="ana@example.org",
        email_key="ana@example.org",
        form_token="status-check-token",
        created_at=now,
    )
    return Application(
        applicant=applicant,
        program=db.session.scalars(select(Program)).first(),
        reference="TSTATUS-0001",
        status=status,
        decision={"outcome": "pass", "rules": []},
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize("status", STATUSES)
def test_the_database_takes_every_state(ctx, clock, status):
    db.session.add(_application(status, clock))
    db.session.commit()


def test_the_database_refuses_a_status_the_state_machine_does_not_know(ctx, clock):
    db.session.add(_application("lost", clock))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
