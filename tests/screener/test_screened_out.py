"""Unmet demand (issue 12): a finished screener that a program's rules screen out adds
one to that program's count per failing rule, day and language; nothing else is kept,
and a reload or a changed answer does not count it again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intake.extensions import db
from intake.models import Program, ScreenedOutCount, ScreenerDraft
from intake.screener.services import count_screened_out
from tests.helpers import complete_screener, csrf_token


def counts() -> dict[tuple[str, str, str, date], int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(
            Program.slug,
            ScreenedOutCount.rule_key,
            ScreenedOutCount.locale,
            ScreenedOutCount.on_date,
            ScreenedOutCount.count,
        ).join(Program, Program.id == ScreenedOutCount.program_id)
    )
    return {(slug, rule, locale, day): count for slug, rule, locale, day, count in rows}


TODAY = date(2026, 3, 2)  # the clock fixture's day in Seattle


def test_a_screened_out_person_is_counted_once_per_program(app, ctx, client):
    complete_screener(client, works_with_young_children="no")
    assert counts() == {
        ("introductory", "prenatal_to_five", "en", TODAY): 1,
        ("bipoc-intensive", "prenatal_to_five", "en", TODAY): 1,
        ("reflective-practice-group", "prenatal_to_five", "en", TODAY): 1,
    }
    # Reloading the result, or sending the same answers again: not counted again.
    assert client.get("/screener").status_code == 200
    complete_screener(client, works_with_young_children="no")
    assert set(counts().values()) == {1}
    # A second person, in Spanish: their own language's count.
    other = app.test_client()
    other.get("/screener?lang=es")
    complete_screener(other, works_with_young_children="no")
    found = counts()
    assert found[("introductory", "prenatal_to_five", "en", TODAY)] == 1
    assert found[("introductory", "prenatal_to_five", "es", TODAY)] == 1
    # A third, in English: the same row, one more.
    complete_screener(app.test_client(), works_with_young_children="no")
    assert counts()[("introductory", "prenatal_to_five", "en", TODAY)] == 2


def test_eligible_people_and_self_identification_rules_are_not_counted(ctx, client):
    # Eligible for two programs; the BIPOC intensive's self-identification rule fails
    # (prefer not to say), but that rule is never counted.
    complete_screener(client)
    assert counts() == {}


def test_nothing_about_the_person_is_stored(ctx, client):
    complete_screener(client, works_with_young_children="no")
    columns = set(ScreenedOutCount.__table__.columns.keys())
    assert columns == {"id", "program_id", "rule_key", "locale", "on_date", "count"}
    assert db.session.scalar(select(ScreenerDraft.id)) is not None  # the draft, as before


def test_an_unfinished_screener_is_not_counted(ctx, client):
    page = client.get("/screener").get_data(as_text=True)
    response = client.post(
        "/screener",
        data={"works_with_young_children": "no", "csrf_token": csrf_token(page)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code in (200, 422)
    assert counts() == {}


def test_the_count_is_an_upsert(ctx, clock):
    answers = {"works_with_young_children": "no", "roles": ["home_visitor"], "bipoc": "yes"}
    for _ in range(3):
        assert count_screened_out("individual", answers, "zh", clock()) == 3
    db.session.commit()
    assert counts()[("bipoc-intensive", "prenatal_to_five", "zh", TODAY)] == 3
    assert len(counts()) == 3
