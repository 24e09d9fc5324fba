"""Two presses of "Send" at the same moment (two tabs, two coordinators with the same
form) send one message: the unique form token decides. Many rounds on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import BulkMessage, OutboxMessage
from tests import factories
from tests.bulkmail.conftest import ENGLISH, SEND, _hidden, confirm
from tests.conftest import RACE_ROUNDS
from tests.helpers import at_once


def test_the_same_form_sent_twice_at_once_sends_once(app, person, ctx, make_coordinator, login):
    person("Rosa Inglés", email="rosa@example.org")
    person("Bo Inglés", email="bo@example.org")
    clients = []
    for email in ("one@example.org", "two@example.org"):
        client = app.test_client()
        client.user = make_coordinator(email=email, programs=["introductory"])
        clients.append(login(client, client.user))
    query = f"?program={factories.program('introductory').id}"
    for n in range(RACE_ROUNDS):
        page = confirm(clients[0], query, **ENGLISH)
        data = _hidden(page, "bulk-send")
        # The second coordinator's own CSRF token, the same form otherwise.
        other = {
            **data,
            "csrf_token": _hidden(confirm(clients[1], query, **ENGLISH), "bulk-send")["csrf_token"],
        }

        def post(client, form):
            return lambda: client.post(SEND + query, data=form).status_code

        statuses = at_once([post(clients[0], data), post(clients[1], other)])
        assert statuses == [303, 303], (n, statuses)
        db.session.rollback()
        message = db.session.scalars(
            select(BulkMessage).where(BulkMessage.form_token == data["form_token"])
        ).one()
        assert message.recipient_count == 2
        queued = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedup_key.like(f"bulk:{message.id}:%"))
        )
        assert queued == 2, n
    assert db.session.scalar(select(func.count()).select_from(BulkMessage)) == RACE_ROUNDS
