"""The kind note to someone whose application closes when their group ends without
them meeting the completion rule: once, in their language, with their numbers; and
the manage page that says the same."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.cli import tick_once
from intake.extensions import db
from intake.models import Application, OutboxMessage
from intake.outbox.delivery import deliver_due
from tests.letters.conftest import attend


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_who_did_not_complete_is_told_once_in_their_language(smtp, make_group, rpg, clock):
    group = make_group(people=[("Ana Reyes", "en"), ("Bea Soto", "es"), ("Cy Low", "zh")])
    ana, bea, cy = group.people
    attend(ana, group.sessions)  # 10 of 10: completes
    attend(bea, group.sessions[:5])  # 5 of 10: 6 hours
    attend(cy, group.sessions[:2])  # 2 of 10: 2.4 hours
    assert tick_once(clock())["groups ended"] == 1
    clock.advance(minutes=5)
    assert tick_once(clock())["groups ended"] == 0
    deliver_due(clock())
    deliver_due(clock())

    ended = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "group_ended")
    ).all()
    assert sorted(m.dedup_key for m in ended) == sorted(
        [f"group_ended:{bea.id}", f"group_ended:{cy.id}"]
    )
    assert all(m.status == "sent" for m in ended)
    to_bea = [m for m in smtp.messages if m["To"] == bea.email and "terminado" in m["Subject"]]
    to_cy = [m for m in smtp.messages if m["To"] == cy.email and "结束" in m["Subject"]]
    assert len(to_bea) == 1
    assert len(to_cy) == 1
    # Ana completed: her letter, and nothing about a group that ended without her.
    assert not [m for m in smtp.messages if m["To"] == ana.email and "ended" in m["Subject"]]

    spanish = _plain(to_bea[0])
    assert "Usted asistió a 5 de 10 sesiones" in spanish
    assert "al 80% de sus sesiones" in spanish
    assert "hasta ahora: 6." in spanish
    assert "vuelva a presentar una solicitud aquí:\r\nhttps://intake.example.org/\r\n" in spanish
    assert "/manage/" in spanish
    assert group.cohort.name in to_bea[0]["Subject"]

    chinese = _plain(to_cy[0])
    assert "您参加了 10 次活动中的 2 次" in chinese
    assert "80%" in chinese
    assert "2.4" in chinese
    assert "<p>" in to_cy[0].get_body(("html",)).get_content()

    db.session.expire_all()
    for person in (bea, cy):
        assert db.session.get(Application, person.application_id).status == "closed"


def test_the_manage_page_says_kindly_what_closed_means(smtp, make_group, rpg, clock, client):
    group = make_group(people=[("Cy Low", "en")])
    (cy,) = group.people
    attend(cy, group.sessions[:3])
    tick_once(clock())
    deliver_due(clock())
    (mail,) = [m for m in smtp.messages if m["To"] == cy.email and "ended" in m["Subject"]]
    body = _plain(mail)
    assert "You attended 3 of 10 sessions." in body
    assert "attends 80% of its sessions" in body
    assert "Your reflective supervision hours so far: 3.6." in body
    manage = re.search(r"https?://[^/\s]+(/manage/\S+)", body)
    assert manage is not None
    page = client.get(manage.group(1))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Closed" in text
    assert "Your group has ended. You attended 3 of 10 sessions" in text
    assert "completed at 80%" in text
    assert "Apply again" in text
    assert "3.6" in text  # the hours, in the group's summary
