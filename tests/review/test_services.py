import threading

import pytest
from sqlalchemy import event, func, select, update

from intake.eligibility.rules import Decision
from intake.extensions import db
from intake.models import Application, Coordinator, OutboxMessage, StatusEvent
from intake.review import services
from intake.status.services import ReasonRequired
from intake.status.states import TransitionNotAllowed
from tests.conftest import wait_until, waiting_for_a_lock


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_approve_refuses_an_application_decided_meanwhile(
    apply_for_review, make_coordinator, ctx, clock
):
    """The object in hand still says "needs_review"; the database knows better."""
    me = make_coordinator()
    application = apply_for_review("Ana A")
    events = _count(StatusEvent)
    # Someone else declines it on another connection, after we loaded it.
    with db.engine.connect() as other:
        other.execute(
            update(Application).where(Application.id == application.id).values(status="ineligible")
        )
        other.commit()
    assert application.status == "needs_review"  # what we have in hand is stale

    with pytest.raises(TransitionNotAllowed) as refused:
        services.approve(application, actor=me, reason="OK", now=clock())
    assert refused.value.current == "ineligible"
    assert application.status == "ineligible"  # refreshed, so the page can say so
    db.session.rollback()
    assert _count(StatusEvent) == events
    assert _count(OutboxMessage, OutboxMessage.template == "review_approved") == 0


def test_a_decision_needs_a_reason_and_a_decline_needs_a_message(
    apply_for_review, make_coordinator, ctx, clock
):
    me = make_coordinator()
    application = apply_for_review("Ana A")
    with pytest.raises(ReasonRequired):
        services.approve(application, actor=me, reason="  ", now=clock())
    with pytest.raises(ReasonRequired):
        services.bulk_decline([(application, "Hello")], actor=me, reason="", now=clock())
    with pytest.raises(ValueError, match="message"):
        services.decline(application, actor=me, reason="No", message_text=" \n ", now=clock())
    db.session.rollback()
    assert db.session.get(Application, application.id).status == "needs_review"


def test_bulk_approve_decides_those_still_in_review_and_reports_the_rest(
    apply_for_review, make_coordinator, ctx, clock
):
    me = make_coordinator()
    first, second = apply_for_review("Ana A"), apply_for_review("Bo B")
    services.approve(second, actor=me, reason="Earlier", now=clock())
    db.session.commit()

    result = services.bulk_approve([first, second], actor=me, reason="Batch", now=clock())
    db.session.commit()
    assert ([a.id for a in result.done], [a.id for a in result.skipped]) == (
        [first.id],
        [second.id],
    )
    assert _count(OutboxMessage, OutboxMessage.template == "review_approved") == 2


@pytest.mark.parametrize("winner", ["approve", "decline"])
def test_two_coordinators_at_the_same_moment_give_one_outcome(
    winner, apply_for_review, make_coordinator, app, ctx, clock
):
    """Two sessions hold the application in review at once; the database lets one
    decide and the other finds it decided (it waits for the first to commit)."""
    application_id = apply_for_review("Ana A").id
    coordinator_ids = [make_coordinator(email=f"c{i}@example.org").id for i in range(2)]
    first_flushed = threading.Event()
    second_trying = threading.Event()
    # Both read the application before either decides (a slow start must not read
    # the first one's decision).
    both_read = threading.Barrier(2, timeout=10)
    outcomes = {}
    engine = db.engine

    def note_second_trying(*args):
        if first_flushed.is_set() and threading.current_thread() is threads[1]:
            second_trying.set()

    def decide(index, action):
        with app.app_context():
            application = db.session.get(Application, application_id)
            actor = db.session.get(Coordinator, coordinator_ids[index])
            assert application.status == "needs_review"  # both see it in review
            both_read.wait()
            if index == 1:
                first_flushed.wait(timeout=10)
            try:
                if action == "approve":
                    services.approve(application, actor=actor, reason="A", now=clock())
                else:
                    services.decline(
                        application, actor=actor, reason="D", message_text="Sorry", now=clock()
                    )
                if index == 0:
                    first_flushed.set()
                    # Hold the row until the other is trying to change it too.
                    second_trying.wait(timeout=10)
                    if engine.dialect.name == "postgresql":
                        wait_until(lambda: waiting_for_a_lock(engine), "the second to block")
                db.session.commit()
                outcomes[index] = "done"
            except TransitionNotAllowed as refused:
                db.session.rollback()
                outcomes[index] = refused.current
            finally:
                first_flushed.set()
                db.session.remove()

    loser = "decline" if winner == "approve" else "approve"
    threads = [
        threading.Thread(target=decide, args=(0, winner)),
        threading.Thread(target=decide, args=(1, loser)),
    ]
    event.listen(engine, "before_cursor_execute", note_second_trying)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "before_cursor_execute", note_second_trying)

    final = "waitlisted" if winner == "approve" else "ineligible"
    assert outcomes == {0: "done", 1: final}
    db.session.rollback()
    assert db.session.get(Application, application_id).status == final
    assert _count(OutboxMessage, OutboxMessage.dedup_key.like("review:%")) == 1


def test_decline_message_is_the_problems_in_plain_words(apply_for_review, ctx):
    application = apply_for_review("Ana A")
    text = services.decline_message(application)
    assert text.startswith("Hello Ana A,")
    assert application.reference in text
    assert "- Can attend the in-person retreat: You were not sure you can attend" in text
    assert "Works with children" not in text  # a rule that passed is not a reason
    assert "\n\n\n" not in text


def test_shown_results_leave_out_self_identification_rules(apply_for_review, ctx):
    decision = Decision.from_dict(apply_for_review("Ana A").decision)
    everything = services.shown_results(decision, may_see_self_identification=True)
    assert [r.key for r in everything] == [
        "prenatal_to_five",
        "bipoc_self_identification",
        "retreat_attendance",
    ]
    listed = services.shown_results(decision, may_see_self_identification=False)
    assert [r.key for r in listed] == ["prenatal_to_five", "retreat_attendance"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One line", [["One line"]]),
        (
            "Hi,\r\n\r\nLine one\r\nline two  \n\n\n\nBye",
            [["Hi,"], ["Line one", "line two"], ["Bye"]],
        ),
        ("  \n\n  ", []),
        ("<b>x</b>", [["<b>x</b>"]]),  # kept as text: the template escapes it
    ],
)
def test_paragraphs(text, expected):
    assert services.paragraphs(text) == expected
