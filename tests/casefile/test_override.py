"""Overrides: approving an ineligible application anyway (a rule failed it, or a
coordinator declined it in review), with a reason kept in the timeline."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from intake.casefile import services
from intake.extensions import db
from intake.models import Application, AuditEvent, Coordinator, OutboxMessage, StatusEvent
from intake.outbox.delivery import deliver_due
from intake.review import services as review
from intake.status.states import TransitionNotAllowed
from tests.cohorts.test_races import race
from tests.conftest import RACE_ROUNDS
from tests.factories import application_maker
from tests.helpers import csrf_token
from tests.review.support import outbox, received, reload

REASON = "Talked again: the retreat dates work after all."


def _url(application, part=""):
    return f"/coord/applications/{application.id}{part}"


def _override(client, application, **data):
    token = csrf_token(client.get(_url(application)).get_data(as_text=True))
    headers = data.pop("headers", None)
    return client.post(
        _url(application, "/override"), data={**data, "csrf_token": token}, headers=headers
    )


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _declined(apply_for_review, clock, name="Ana Override", **kwargs) -> Application:
    """An application a coordinator (the first one there is) declined in review."""
    application = apply_for_review(name, **kwargs)
    someone = db.session.scalars(select(Coordinator).order_by(Coordinator.id)).first()
    review.decline(
        application, actor=someone, reason="Cannot attend.", message_text="Sorry.", now=clock()
    )
    db.session.commit()
    return application


def _events(application) -> list[StatusEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(StatusEvent)
            .where(StatusEvent.application_id == application.id)
            .order_by(StatusEvent.id)
        )
    )


def _overrides(application) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.application_id == application.id, AuditEvent.kind == "override"
            )
        )
    )


def test_approve_anyway_reverses_a_decline_with_reason_events_audit_and_email(
    smtp, coordinator_client, apply_for_review, ctx, clock
):
    application = _declined(apply_for_review, clock, lang="es")
    deliver_due(clock())  # the "received" and "declined" e-mails, out of the way
    page = coordinator_client.get(_url(application)).get_data(as_text=True)
    assert "Approve anyway" in page
    clock.advance(minutes=5)  # later than the decline (and within the sign-in)

    response = _override(coordinator_client, application, reason=f"  {REASON}  ")
    assert response.status_code == 303
    application = reload(application)
    assert application.status == "waitlisted"
    assert application.joined_at == clock()  # the back of the line, from now
    assert application.priority == 0
    me = coordinator_client.user.id
    assert [(e.to_status, e.actor, e.actor_id, e.reason) for e in _events(application)[-2:]] == [
        ("eligible", "coordinator", me, REASON),
        ("waitlisted", "coordinator", me, REASON),
    ]
    [audit] = _overrides(application)
    assert (audit.actor_id, audit.reason) == (me, REASON)
    assert (
        audit.detail
        == {
            "rules": ["bipoc_retreat"],
            "from": "ineligible",
        }
        or audit.detail["from"] == "ineligible"
    )
    assert audit.detail["rules"]  # the rules that did not pass, by key

    assert deliver_due(clock()).sent == 1
    [mail] = received(smtp, "Está en la lista de espera")  # in her language
    assert mail["To"] == "ana@example.org"

    page = _text(coordinator_client.get(_url(application)).get_data(as_text=True))
    assert f"Approved by override: {REASON}" in page  # the summary and the timeline
    assert page.count(f"Approved by override: {REASON}") == 2
    assert "Approve anyway" not in page


def test_an_application_a_rule_failed_can_be_approved_anyway(coordinator_client, ctx, clock):
    failed = application_maker(clock)(status="ineligible", joined_days_ago=None)
    failed.decision = {
        "outcome": "fail",
        "rules": [
            {"key": "prenatal_to_five", "outcome": "fail", "reason": "not_birth_to_five"},
            {"key": "bipoc_self_identification", "outcome": "pass", "reason": None},
        ],
    }
    db.session.commit()
    response = _override(coordinator_client, failed, reason="Works with expecting parents.")
    assert response.status_code == 303
    assert reload(failed).status == "waitlisted"
    [audit] = _overrides(failed)
    assert audit.detail == {"rules": ["prenatal_to_five"], "from": "ineligible"}


def test_a_priority_can_be_given_with_the_override(
    coordinator_client, apply_for_review, ctx, clock
):
    application = _declined(apply_for_review, clock)
    assert (
        _override(coordinator_client, application, reason=REASON, priority="5").status_code == 303
    )
    application = reload(application)
    assert (application.status, application.priority) == ("waitlisted", 5)
    db.session.rollback()
    [priority] = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.application_id == application.id, AuditEvent.kind == "priority"
        )
    ).all()
    assert (priority.detail, priority.reason) == ({"from": 0, "to": 5}, REASON)


def test_an_empty_reason_is_refused_and_the_answers_kept(
    coordinator_client, apply_for_review, ctx, clock
):
    application = _declined(apply_for_review, clock)
    for headers in (None, {"HX-Request": "true"}):
        response = _override(
            coordinator_client, application, reason="   ", priority="7", headers=headers
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Give a reason: it is recorded with the decision." in page
        assert re.search(r'id="override-priority"[^>]*value="7"', page)
    assert reload(application).status == "ineligible"
    assert _overrides(application) == []
    assert outbox("review_approved") == []


def test_a_double_click_approves_once_and_sends_one_email(
    coordinator_client, apply_for_review, ctx, clock
):
    application = _declined(apply_for_review, clock)
    token = csrf_token(coordinator_client.get(_url(application)).get_data(as_text=True))
    data = {"reason": REASON, "csrf_token": token}
    first = coordinator_client.post(_url(application, "/override"), data=data)
    second = coordinator_client.post(_url(application, "/override"), data=data)
    assert first.status_code == second.status_code == 303
    page = coordinator_client.get(_url(application)).get_data(as_text=True)
    assert "approved by override already (now On the waitlist)" in page
    assert len(outbox("review_approved")) == 1
    assert [e.to_status for e in _events(application)].count("waitlisted") == 1
    assert len(_overrides(application)) == 1


def test_two_coordinators_overriding_at_once_one_wins(
    app, apply_for_review, make_coordinator, ctx, clock
):
    second = make_coordinator(email="second@example.org")
    for round_number in range(RACE_ROUNDS):
        application_id = _declined(apply_for_review, clock, name=f"Ana Race{round_number}").id

        def press(go, application_id=application_id, who=second.id, n=round_number):
            application = db.session.get(Application, application_id)
            actor = db.session.get(Coordinator, who)
            go()
            services.override(application, actor=actor, reason=f"Round {n}", now=clock())
            return "done"

        results = race(app, press, press, expected=(TransitionNotAllowed,))
        assert results.count("done") == 1
        [loser] = [r for r in results if isinstance(r, TransitionNotAllowed)]
        assert loser.current == "waitlisted"
        db.session.rollback()
        assert db.session.get(Application, application_id).status == "waitlisted"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.dedup_key == f"override:{application_id}")
            )
            == 1
        )
        assert len(_overrides(db.session.get(Application, application_id))) == 1
        clock.advance(minutes=1)


def test_the_second_coordinator_is_told_clearly(
    app, coordinator_client, make_coordinator, login, apply_for_review, ctx, clock
):
    application = _declined(apply_for_review, clock)
    other = login(app.test_client(), make_coordinator(email="second@example.org"))
    # Both have the page open; the first approves anyway.
    token = csrf_token(other.get(_url(application)).get_data(as_text=True))
    assert _override(coordinator_client, application, reason=REASON).status_code == 303
    response = other.post(
        _url(application, "/override"),
        data={"reason": "Me too.", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "approved by override already" in response.get_data(as_text=True)
    [audit] = _overrides(application)
    assert audit.reason == REASON


def test_not_offered_nor_accepted_for_other_statuses(
    coordinator_client, apply_for_review, ctx, clock
):
    add = application_maker(clock)
    for application in (
        add(status="waitlisted"),
        apply_for_review("Rev Iew"),
        add(status="withdrawn"),
    ):
        status = application.status
        assert "Approve anyway" not in coordinator_client.get(_url(application)).get_data(
            as_text=True
        )
        response = _override(coordinator_client, application, reason=REASON)
        assert response.status_code == 303
        page = coordinator_client.get(_url(application)).get_data(as_text=True)
        assert "Only an application that is not eligible can be approved by override" in page
        assert reload(application).status == status
        assert _overrides(application) == []
    assert outbox("review_approved") == []


def test_only_the_programs_coordinators_and_admins_never_facilitators(
    app, apply_for_review, make_coordinator, login, ctx, clock
):
    make_coordinator(email="decider@example.org")
    application = _declined(apply_for_review, clock)  # the BIPOC intensive
    outsider = login(
        app.test_client(), make_coordinator(email="out@example.org", programs=["introductory"])
    )
    token = csrf_token(outsider.get("/coord/waitlist").get_data(as_text=True))
    data = {"reason": REASON, "csrf_token": token}
    assert outsider.post(_url(application, "/override"), data=data).status_code == 404
    facilitator = login(
        app.test_client(), make_coordinator(email="f@example.org", role="facilitator")
    )
    token = csrf_token(facilitator.get("/coord/groups").get_data(as_text=True))
    data = {"reason": REASON, "csrf_token": token}
    assert facilitator.post(_url(application, "/override"), data=data).status_code == 403
    assert reload(application).status == "ineligible"
    admin = login(app.test_client(), make_coordinator(email="admin@example.org", admin=True))
    assert _override(admin, application, reason=REASON).status_code == 303
    assert reload(application).status == "waitlisted"


def test_rules_about_self_identification_stay_off_the_timeline_for_others(
    app, apply_for_review, make_coordinator, login, ctx, clock
):
    """An admin not assigned to the BIPOC intensive reads the override, but not which
    self-identification rule it overrode."""
    application = apply_for_review("Sam Self", lang=None)
    application.decision = {
        "outcome": "fail",
        "rules": [{"key": "bipoc_self_identification", "outcome": "fail", "reason": "not_bipoc"}],
    }
    db.session.commit()
    someone = db.session.scalars(select(Coordinator)).first() or make_coordinator()
    review.decline(application, actor=someone, reason="No.", message_text="Sorry.", now=clock())
    db.session.commit()
    admin = login(
        app.test_client(),
        make_coordinator(email="admin@example.org", admin=True, programs=["introductory"]),
    )
    assert _override(admin, application, reason=REASON).status_code == 303
    page = _text(admin.get(_url(application)).get_data(as_text=True))
    assert f"Approved by override: {REASON}" in page
    assert "Identifies as BIPOC" not in page
    assert "Was not eligible." in page
    assert reload(application).joined_at == clock()
