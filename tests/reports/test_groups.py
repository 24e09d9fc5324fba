"""The groups' and the survey's figures on the reports page, with small counts hidden,
each table's CSV file saying the same, within the reader's programs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import CohortSession, Participant, Program, ScreenedOutCount, SurveyResponse
from intake.reports.groups import group_report
from tests.reports.page import row, table
from tests.survey.support import attend, ended_group

PAGE = "/coord/reports"


def _rules(slug: str, per_session: int | None, cap: int | None) -> None:
    program = db.session.scalars(select(Program).where(Program.slug == slug)).one()
    program.credit_minutes_per_session = per_session
    program.credit_cap_minutes = cap
    db.session.commit()


def _respond(cohort, answers: list[dict[str, int]], day: date) -> None:
    for ratings in answers:
        db.session.add(
            SurveyResponse(cohort_id=cohort.id, locale="en", ratings=ratings, created_on=day)
        )
    db.session.commit()


@pytest.fixture
def groups(ctx, clock):
    """Introductory: "Evening A" (English, 6 people, 6 sessions of 90 minutes) and
    "Grupo B" (Spanish, 3 people); the 10-session group (72 minutes credited a session,
    at most 720): "Ten" (English, 5 people, 10 sessions). Survey: 5 answers for A, 2
    for Ten."""
    now = clock()
    _rules("introductory", None, None)
    _rules("reflective-practice-group", 72, 720)
    a, a_sessions, a_people = ended_group(now, people=6, name="Evening A")
    for person, marks in zip(
        a_people, ["PPPPPP", "PPPPPA", "PPPPAA", "PPPAAE", "PPPPPP", "PPPPPP"], strict=True
    ):
        attend(person, a_sessions, marks, now)
    for index in (0, 1, 4, 5):
        a_people[index].status = "completed"
        a_people[index].completed_at = now
    b, b_sessions, b_people = ended_group(
        now, people=3, name="Grupo B", language="es", first_number=20
    )
    for person in b_people:
        attend(person, b_sessions, "PPPPPP", now)
    ten, ten_sessions, ten_people = ended_group(
        now,
        people=5,
        name="Ten",
        program="reflective-practice-group",
        sessions=10,
        first_number=40,
    )
    for index, person in enumerate(ten_people):
        attend(person, ten_sessions, "PPPPPPPPPA" if index == 0 else "P" * 10, now)
        person.status = "completed"
        person.completed_at = now
    # A replaced staff member is not one of the group's people.
    ten_people[1].status = "replaced"
    ten_people[1].completed_at = None
    db.session.commit()
    _respond(
        a,
        [
            {"safe_to_share": 5, "helped_work": 4, "facilitator": 5, "recommend": 5},
            {"safe_to_share": 4, "helped_work": 4, "facilitator": 5, "recommend": 5},
            {"safe_to_share": 5, "helped_work": 4, "facilitator": 5, "recommend": 4},
            {"safe_to_share": 4, "helped_work": 4, "facilitator": 5, "recommend": 4},
            {"safe_to_share": 5, "helped_work": 3, "facilitator": 5},
        ],
        now.date(),
    )
    _respond(ten, [{"safe_to_share": 2}, {"safe_to_share": 3}], now.date())
    return {"a": a, "b": b, "ten": ten}


def test_groups_and_survey_figures_with_small_counts_hidden(groups, sign_in):
    page = sign_in().get(PAGE).get_data(as_text=True)
    a, b, ten = groups["a"].id, groups["b"].id, groups["ten"].id
    intro = {"program": "introductory"}
    rpg = {"program": "reflective-practice-group"}
    # Group, language, sessions, people, attendance, completed, hours.
    assert row(page, "groups-delivered", intro, cohort=str(a)) == [
        "Evening A", "English", "6", "6", "83.3%", "fewer than 5", "45",
    ]  # fmt: skip
    # Three people: their attendance and hours would say too much about each.
    assert row(page, "groups-delivered", intro, cohort=str(b)) == [
        "Grupo B", "Español", "6", "fewer than 5", "not shown", "0", "not shown",
    ]  # fmt: skip
    # The program's total adds a hidden count: not shown.
    assert row(page, "groups-delivered", intro, cohort="all")[2:5] == [
        "12", "not shown", "not shown",
    ]  # fmt: skip
    # Four people (the replaced one is not counted): hidden, and so are their hours.
    assert row(page, "groups-delivered", rpg, cohort=str(ten)) == [
        "Ten", "English", "10", "fewer than 5", "not shown", "fewer than 5", "not shown",
    ]  # fmt: skip
    assert row(page, "groups-by-language", language="es") == [
        "Español", "1", "6", "fewer than 5", "not shown", "0", "not shown",
    ]  # fmt: skip
    # Survey: 5 answers for Evening A (one skipped "would recommend"), 2 for Ten.
    assert row(page, "survey-results", intro, cohort=str(a)) == [
        "Evening A", "English", "5", "4.6", "3.8", "5.0", "4.5",
    ]  # fmt: skip
    assert row(page, "survey-results", rpg, cohort=str(ten)) == [
        "Ten", "English", "fewer than 5", "not shown", "not shown", "not shown", "not shown",
    ]  # fmt: skip
    assert row(page, "survey-by-language", language="en")[1:3] == ["2", "not shown"]


def test_figures_from_five_people_up_are_shown(ctx, clock, groups, sign_in):
    # The replaced person was in the group after all: five people.
    person = db.session.scalars(select(Participant).where(Participant.status == "replaced")).one()
    person.status = "completed"
    person.completed_at = clock()
    db.session.commit()
    page = sign_in().get(PAGE + "?program=reflective-practice-group").get_data(as_text=True)
    # 49 of 50 marks present; 4 x 720 + 648 minutes.
    assert row(page, "groups-delivered", cohort=str(groups["ten"].id))[2:] == [
        "10", "5", "98%", "5", "58.8",
    ]  # fmt: skip
    assert 'data-program="introductory"' not in page


def test_hours_capped_across_two_periods_are_counted_once(ctx, clock, groups):
    programs = list(db.session.scalars(select(Program)))
    ten = groups["ten"]
    sessions = list(
        db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == ten.id)
            .order_by(CohortSession.starts_at)
        )
    )
    # Two extra sessions everyone attended beyond the cap of 720 minutes (10 x 72).
    split = sessions[6].starts_at
    totals = []
    for start, end in ((split - timedelta(days=400), split), (split, clock() + timedelta(days=1))):
        report = group_report(None, programs, start, end, clock())
        [figures] = [r.figures for r in report.delivery if r.cohort_id == ten.id]
        totals.append(figures.credited_minutes)
    whole = group_report(None, programs, split - timedelta(days=400), clock(), clock())
    [figures] = [r.figures for r in whole.delivery if r.cohort_id == ten.id]
    assert totals[0] == 5 * 6 * 72  # sessions 1–6, everyone there
    assert sum(totals) == figures.credited_minutes == 4 * 720 + 648


def test_a_period_without_sessions_or_answers(groups, sign_in):
    page = sign_in().get(PAGE + "?from=2025-01-01&to=2025-02-01").get_data(as_text=True)
    assert "No group held a session in the period." in page
    assert "No survey answers were sent in the period." in page


def _csv(client, key: str, query: str = "") -> list[list[str]]:
    response = client.get(f"{PAGE}/{key}.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


TABLES = [
    ("waitlist-by-language", 2),
    ("demand-vs-seats", 1),
    ("median-days", 1),
    ("funnel", 1),
    ("weekly-table", 1),
    ("reasons", 1),
    ("groups-delivered", 1),
    ("groups-by-language", 1),
    ("survey-results", 1),
    ("survey-by-language", 1),
    ("screened-out", 1),
]


@pytest.mark.parametrize("query", ["", "?program=introductory"])
def test_every_table_downloads_as_the_same_csv(groups, sign_in, apply, query):
    apply(programs=["introductory"], languages=["en"])
    apply(programs=["introductory"], screener={"works_with_young_children": "unsure"})
    _screened_out(
        ("introductory", "prenatal_to_five", "en", 3),
        ("introductory", "prenatal_to_five", "es", 6),
        ("reflective-practice-group", "prenatal_to_five", "zh", 7),
    )
    client = sign_in()
    page = client.get(PAGE + query).get_data(as_text=True)
    # Every table on the page is one of these, each with its download.
    assert set(re.findall(r'<table class="table report-table" id="([\w-]+)"', page)) == {
        key for key, _ in TABLES
    }
    for key, header_rows in TABLES:
        assert f"/coord/reports/{key}.csv" in page, key
        rows = _csv(client, key, query)
        body = rows[1:]
        html_rows = [r.cells for r in table(page, key) if r.attrs.get("class") != "group"][
            header_rows:
        ]
        has_group_column = key in ("waitlist-by-language", "funnel", "screened-out") or key in (
            "groups-delivered",
            "survey-results",
        )
        if has_group_column:
            body = [line[1:] for line in body]

        def filled(cells):
            return [cell for cell in cells if cell]

        assert [filled(line) for line in body] == [filled(cells) for cells in html_rows], key


def _screened_out(*rows) -> None:
    for slug, rule_key, locale, count in rows:
        db.session.add(
            ScreenedOutCount(
                program_id=db.session.scalars(select(Program.id).where(Program.slug == slug)).one(),
                rule_key=rule_key,
                locale=locale,
                on_date=date(2026, 3, 2),
                count=count,
            )
        )
    db.session.commit()


def test_screened_out_small_counts_are_hidden_alike_on_the_page_and_in_the_file(ctx, sign_in):
    _screened_out(
        ("introductory", "prenatal_to_five", "en", 3),
        ("introductory", "prenatal_to_five", "es", 6),
        ("reflective-practice-group", "prenatal_to_five", "zh", 7),
    )
    client = sign_in()
    page = client.get(PAGE).get_data(as_text=True)
    assert "Screened out (unmet demand)" in page
    on_page = [
        [r.group.get("data-program"), *r.cells]
        for r in table(page, "screened-out")
        if r.attrs.get("class") != "group" and r.attrs.get("data-rule")
    ]
    label = "Works with children prenatal to five and/or their families"
    assert on_page == [
        ["introductory", label, "English", "fewer than 5"],
        ["introductory", label, "Spanish", "6"],
        # 9 would give the hidden 3 away (9 - 6).
        ["introductory", label, "All languages", "not shown"],
        ["reflective-practice-group", label, "Chinese", "7"],
        ["reflective-practice-group", label, "All languages", "7"],
    ]
    in_file = _csv(client, "screened-out")
    assert in_file[0] == ["Program", "Rule", "Language", "Screened out"]
    names = {"introductory": in_file[1][0], "reflective-practice-group": in_file[4][0]}
    assert [[line[0], *line[1:]] for line in in_file[1:]] == [
        [names[slug], *cells] for slug, *cells in on_page
    ]
    assert "3" not in [line[-1] for line in in_file]
    assert "9" not in [line[-1] for line in in_file]


def test_a_cell_that_looks_like_a_formula_is_made_text(ctx, clock, groups, sign_in):
    groups["a"].name = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    rows = _csv(sign_in(), "groups-delivered")
    assert [line[1] for line in rows if "HYPERLINK" in line[1]] == [
        '\'=HYPERLINK("http://evil.example")'
    ]


def test_coordinators_see_and_download_only_their_programs(groups, sign_in):
    client = sign_in(email="intro@example.org", programs=["introductory"])
    page = client.get(PAGE).get_data(as_text=True)
    assert "Evening A" in page
    assert ">Ten<" not in page
    for key in ("groups-delivered", "survey-results", "groups-by-language"):
        text = "\n".join(",".join(line) for line in _csv(client, key))
        assert "Ten" not in text
        assert "reflective-practice-group" not in text
    assert "Evening A" in "\n".join(",".join(x) for x in _csv(client, "groups-delivered"))
    # Another program's filter is refused, and nothing leaks into the answer.
    refused = client.get(f"{PAGE}/groups-delivered.csv?program=reflective-practice-group")
    assert refused.status_code == 422
    assert "Ten" not in refused.get_data(as_text=True)
    assert client.get(f"{PAGE}/nothing.csv").status_code == 404


def test_statements_do_not_grow_with_groups_or_answers(ctx, clock, groups, sign_in, statements):
    client = sign_in()
    client.get(PAGE)
    before = statements.count_during(lambda: client.get(PAGE))
    cohort, sessions, people = ended_group(
        clock(), people=8, name="More", language="zh", first_number=100
    )
    for person in people:
        attend(person, sessions, "PPPPPA", clock())
    _respond(cohort, [{"safe_to_share": 4}] * 7, clock().date())
    after = statements.count_during(lambda: client.get(PAGE))
    assert before == after
    # The user, the programs, ten report queries (the screened-out counts: issue 12),
    # five for the groups and the survey.
    assert after <= 18, statements.statements
    assert statements.count_during(lambda: client.get(f"{PAGE}/groups-delivered.csv")) <= 18
