"""A letter's e-mail whose mark was locked out after the server took it (SQLite): the
next pass marks it with the link it carries (tests/outbox/test_busy_database.py has the
other cases)."""

import pytest

from intake.cli import tick_once
from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.delivery import deliver_pass
from tests.conftest import TEST_DATABASE_URL
from tests.letters.conftest import attend
from tests.outbox.support import pass_locked_out_after_sending
from tests.outbox.test_delivery import MANAGE_LINK

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="a whole-database lock is SQLite's")


@pytest.fixture
def app_config(app_config):
    # Wait a moment for the lock, not SQLite's default five seconds.
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 0.2}}
    return app_config


def test_a_letters_lost_mark_keeps_the_link_it_carries(
    smtp, app, client, make_group, rpg, clock, monkeypatch
):
    """Building a letter's e-mail looks the letter up, which would flush the link's row
    minted just before: the mark must still know that row, or the link the person has
    opens nothing."""
    group = make_group()
    attend(group.people[0], group.sessions)
    tick_once(clock())
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.template != "letter_issued")
        .values(status="sent")
    )
    db.session.commit()
    pass_locked_out_after_sending(
        monkeypatch, clock(), "BEGIN", "SELECT count(*) FROM outbox_messages"
    )
    assert deliver_pass(clock()).sent == 1
    assert len(smtp.messages) == 1
    [token] = MANAGE_LINK.findall(smtp.messages[0].get_body(("plain",)).get_content())
    assert client.get(f"/manage/{token}").status_code == 200
