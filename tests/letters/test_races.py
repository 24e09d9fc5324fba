"""Two ticks at once process a group once; two coordinators issuing a cohort's
letters at once issue each letter once. Threads start together at a barrier, each
with its own app context and database connection (RACE_ROUNDS: many on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from intake.extensions import db
from intake.letters import services
from intake.models import Cohort, Letter, OutboxMessage, Participant
from tests.cohorts.test_races import race
from tests.conftest import RACE_ROUNDS
from tests.letters.conftest import attend


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_ticks_at_once_process_a_group_once(app, make_group, rpg, clock):
    for _round in range(RACE_ROUNDS):
        group = make_group(people=[("Ana Reyes", "en"), ("Bo Chen", "es")])
        for person in group.people:
            attend(person, group.sessions)
        ids = [p.id for p in group.people]
        now = clock()

        def tick(go, now=now):
            go()
            return services.complete_due(now)

        results = race(app, tick, tick)
        db.session.expire_all()
        assert sorted(results) == [0, 1]
        assert count(Letter, Letter.participant_id.in_(ids)) == 2
        assert count(OutboxMessage, OutboxMessage.participant_id.in_(ids)) == 2
        assert db.session.get(Cohort, group.cohort.id).completed_at == now
        clock.advance(days=1)


def test_two_coordinators_issue_each_letter_once(app, make_group, rpg, clock):
    for _round in range(RACE_ROUNDS):
        group = make_group(people=[("Ana Reyes", "en"), ("Bo Chen", "zh")])
        for person in group.people:
            person.status = "completed"
        db.session.commit()
        ids = [p.id for p in group.people]
        cohort_id = group.cohort.id

        def press(go, cohort_id=cohort_id):
            cohort = db.session.get(Cohort, cohort_id)
            go()
            return len(services.issue_for_cohort(cohort, clock(), by=None))

        results = race(app, press, press)
        db.session.expire_all()
        assert sorted(results) == [0, 2]
        assert count(Letter, Letter.participant_id.in_(ids)) == 2
        assert count(OutboxMessage, OutboxMessage.participant_id.in_(ids)) == 2
        assert count(Participant, Participant.id.in_(ids)) == 2
