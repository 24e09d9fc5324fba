"""The services' answers to races: the database's unique constraints decide."""

import pytest
from sqlalchemy import select

from intake.admin import services
from intake.auth import services as accounts
from intake.extensions import db
from intake.models import Coordinator, OutboxMessage, Program


def fields(name: str) -> services.ProgramFields:
    return services.ProgramFields(
        name=name,
        audience="A",
        summary="S",
        shape="Sh",
        rule_keys=["prenatal_to_five"],
        is_open=True,
        offer_window_days=7,
        checkin_interval_days=90,
        checkin_window_days=14,
        auto_offer=False,
        coordinator_email=None,
        position=50,
    )


def test_a_slug_taken_between_the_check_and_the_insert_is_retried(ctx, clock, monkeypatch):
    # Another admin took "introductory" after this one looked: the first choice fails
    # on the unique constraint and the next free one is used.
    real = services._free_slug
    answers = iter(["introductory"])
    monkeypatch.setattr(services, "_free_slug", lambda base: next(answers, None) or real(base))
    program = services.create_program(kind="individual", fields=fields("Introductory"), now=clock())
    db.session.commit()
    assert program.slug == "introductory-2"
    assert db.session.scalars(select(Program).where(Program.slug == "introductory")).one()


def test_create_program_refuses_an_unknown_kind(ctx, clock):
    with pytest.raises(services.AdminError):
        services.create_program(kind="family", fields=fields("X"), now=clock())


def test_two_admins_inviting_the_same_address_make_one_account(
    ctx, clock, make_coordinator, monkeypatch
):
    make_coordinator(email="rosa@example.org")
    # The other admin's insert landed after this one's look-up.
    monkeypatch.setattr(accounts, "find_by_email", lambda email: None)
    with pytest.raises(accounts.AccountError):
        services.invite_coordinator(
            email="rosa@example.org", name="Rosa", role="coordinator", programs=[], now=clock()
        )
    db.session.commit()  # the caller's transaction survives the savepoint
    assert len(db.session.scalars(select(Coordinator)).all()) == 1
    assert db.session.scalars(select(OutboxMessage)).all() == []
