"""The evaluation survey: one invitation per participant once the group has ended,
a working link, one anonymous response per participant."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.cli import tick_once
from intake.extensions import db
from intake.links import CannotMint, SurveyLink, mint_link
from intake.models import OutboxMessage, SurveyReceipt, SurveyResponse
from intake.survey import services
from intake.survey.tokens import sign
from tests.conftest import RACE_ROUNDS
from tests.factories import add_application, add_participant
from tests.helpers import csrf_token
from tests.respond.support import deliver, text
from tests.survey.support import SURVEY_LINK, ended_group

ANSWERS = {
    "safe_to_share": "5",
    "helped_work": "4",
    "facilitator": "5",
    "recommend": "3",
    "comments": "A kind and useful group.",
}


def survey_path(message) -> str:
    [path] = SURVEY_LINK.findall(text(message))
    return path


def send(client, path: str, **data):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(path, data={**ANSWERS, **data, "csrf_token": token})


def invited(smtp, clock, **group):
    cohort, _sessions, people = ended_group(clock(), **group)
    tick_once(clock())
    return cohort, people, invitations(smtp, clock())


def invitations(smtp, now) -> list:
    """The survey invitations delivered (who did not complete also gets group_ended)."""
    return [m for m in deliver(smtp, now) if SURVEY_LINK.search(text(m))]


def test_nobody_is_invited_before_the_last_session_ends(smtp, app, ctx, clock):
    cohort, _sessions, _people = ended_group(clock(), last_session_ends_in=timedelta(minutes=30))
    assert services.ended_cohorts(clock()) == []
    assert tick_once(clock())["survey invitations sent"] == 0
    clock.advance(minutes=31)
    assert services.ended_cohorts(clock()) == [cohort.id]


def test_each_participant_gets_one_invitation_with_a_working_link(smtp, app, ctx, client, clock):
    cohort, people, messages = invited(smtp, clock, people=3)
    assert sorted(m["To"] for m in messages) == sorted(p.email for p in people)
    # More ticks, later: nothing more.
    clock.advance(days=1)
    tick_once(clock())
    tick_once(clock())
    assert deliver(smtp, clock()) == []
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "survey_invite")
    )
    assert sorted(r.participant_id for r in rows) == sorted(p.id for p in people)

    message = messages[0]
    assert "How was your group?" in message["Subject"]
    path = survey_path(message)
    assert f'href="https://intake.example.org{path}"' in message.get_body(("html",)).get_content()
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "strict-origin"
    assert "How was your group?" in page.get_data(as_text=True)
    response = send(client, path)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have your answers" in thanks
    [stored] = db.session.scalars(select(SurveyResponse)).all()
    assert stored.cohort_id == cohort.id
    assert stored.ratings == {
        "safe_to_share": 5,
        "helped_work": 4,
        "facilitator": 5,
        "recommend": 3,
    }
    assert stored.comments == "A kind and useful group."


def test_withdrawn_and_replaced_participants_are_not_invited(smtp, app, ctx, clock):
    _cohort, _sessions, people = ended_group(clock(), people=3)
    people[0].status = "withdrawn"
    people[1].status = "completed"
    db.session.commit()
    tick_once(clock())
    assert sorted(m["To"] for m in invitations(smtp, clock())) == sorted(
        [people[1].email, people[2].email]
    )


def test_a_group_that_ended_long_ago_is_not_invited(smtp, app, ctx, clock):
    ended_group(clock(), last_session_ends_in=-timedelta(days=services.INVITE_WITHIN_DAYS + 1))
    tick_once(clock())
    assert invitations(smtp, clock()) == []


def test_answers_are_anonymous_unless_named(smtp, app, ctx, clock):
    _cohort, people, messages = invited(smtp, clock, people=2)
    by_address = {m["To"]: survey_path(m) for m in messages}
    send(app.test_client(), by_address[people[0].email])
    send(app.test_client(), by_address[people[1].email], use_my_name="y")
    responses = db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [r.named_participant_id for r in responses] == [None, people[1].id]
    # Only the day is kept, on the response and on the receipt.
    assert all(r.created_on == clock().date() for r in responses)
    receipts = db.session.scalars(select(SurveyReceipt)).all()
    assert {r.participant_id for r in receipts} == {p.id for p in people}
    assert all((r.answered_at.hour, r.answered_at.minute) == (0, 0) for r in receipts)
    # No column of the anonymous response points at the person.
    anonymous = db.session.execute(select(SurveyResponse.__table__).limit(1)).mappings().one()
    assert people[0].id not in [v for k, v in anonymous.items() if k != "id" and k != "cohort_id"]


def test_a_second_press_or_a_replayed_link_keeps_one_response(smtp, app, ctx, clock):
    _cohort, _people, messages = invited(smtp, clock, people=1)
    path = survey_path(messages[0])
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    token = csrf_token(page)
    first = client.post(path, data={**ANSWERS, "csrf_token": token})
    again = client.post(path, data={**ANSWERS, "recommend": "1", "csrf_token": token})
    assert first.status_code == again.status_code == 303
    assert "sent=1" not in again.headers["Location"]
    replay = app.test_client().get(path).get_data(as_text=True)
    assert "we already have your answers" in replay
    assert 'method="post"' not in replay
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    assert db.session.scalar(select(SurveyResponse.ratings))["recommend"] == 3


def test_two_submissions_at_once_keep_one_response(smtp, app, ctx, clock):
    _cohort, _people, messages = invited(smtp, clock, people=1)
    path = survey_path(messages[0])
    for _round in range(RACE_ROUNDS):
        db.session.execute(SurveyResponse.__table__.delete())
        db.session.execute(SurveyReceipt.__table__.delete())
        db.session.commit()
        clients = [app.test_client(), app.test_client()]
        tokens = [csrf_token(c.get(path).get_data(as_text=True)) for c in clients]
        assert _press_at_once(app, path, clients, tokens) == [303, 303]
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyReceipt)) == 1


def _press_at_once(app, path, clients, tokens) -> list[int]:
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def press(client, token):
        with app.app_context():
            barrier.wait()
            data = {**ANSWERS, "csrf_token": token}
            statuses.append(client.post(path, data=data).status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize(
    ("locale", "heading", "button"),
    [
        ("en", "How was your group?", "Send my answers"),
        ("es", "¿Cómo fue su grupo?", "Enviar mis respuestas"),
        ("zh", "您的小组怎么样？", "提交我的回答"),  # noqa: RUF001 - Chinese punctuation
    ],
)
def test_the_invitation_and_the_page_speak_the_participants_language(
    smtp, app, ctx, clock, locale, heading, button
):
    _cohort, _people, [message] = invited(smtp, clock, people=1, locales=(locale,))
    assert heading in message["Subject"]
    client = app.test_client()
    page = client.get(survey_path(message)).get_data(as_text=True)
    assert heading in page
    assert button in page
    response = send(client, survey_path(message))
    assert db.session.scalar(select(SurveyResponse.locale)) == locale
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'lang="{locale}"' in thanks


def test_errors_come_back_with_the_answers_kept(smtp, app, ctx, clock, htmx):
    _cohort, _people, [message] = invited(smtp, clock, people=1)
    path = survey_path(message)
    token = csrf_token(htmx.get(path).get_data(as_text=True))
    response = htmx.post(path, data={"csrf_token": token, "recommend": "9", "comments": "Kept"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="survey-form"' in body
    assert "<html" not in body
    assert "Kept" in body
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_htmx_submission_redirects_by_header(smtp, app, ctx, clock, htmx):
    _cohort, _people, [message] = invited(smtp, clock, people=1)
    path = survey_path(message)
    token = csrf_token(htmx.get(path).get_data(as_text=True))
    response = htmx.post(path, data={**ANSWERS, "csrf_token": token})
    assert "sent=1" in response.headers["HX-Redirect"]


def test_expired_forged_and_foreign_links(smtp, app, ctx, client, clock):
    _cohort, _people, [message] = invited(smtp, clock, people=1)
    path = survey_path(message)
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/survey/not-a-token").status_code == 404
    assert client.get("/survey/" + sign(999_999, clock() + timedelta(days=1))).status_code == 404
    clock.advance(days=services.SURVEY_LINK_DAYS + 1)
    expired = client.get(path)
    assert expired.status_code == 410
    assert "This survey has closed" in expired.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_named_staff_get_their_own_invitation_without_a_manage_link(smtp, app, ctx, clock):
    now = clock()
    cohort, _sessions, _people = ended_group(now, people=0, program="king-county-consultation")
    agency = add_application(
        now, 90, program="king-county-consultation", status="enrolled", agency_name="Sprouts"
    )
    staff = add_participant(
        agency, cohort, now, staff=True, name="Sam Staff", email="sam@sprouts.example.org"
    )
    tick_once(clock())
    [message] = deliver(smtp, clock())
    assert message["To"] == "sam@sprouts.example.org"
    assert "/manage/" not in text(message)
    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.participant_id, row.applicant_id) == (staff.id, None)
    client = app.test_client()
    assert send(client, survey_path(message)).status_code == 303
    assert db.session.scalar(select(SurveyReceipt.participant_id)) == staff.id


def test_a_survey_link_is_only_minted_for_the_rows_own_participant(smtp, app, ctx, clock):
    _cohort, _sessions, people = ended_group(clock(), people=2)
    spec = SurveyLink(clock() + timedelta(days=1))
    theirs = OutboxMessage(participant_id=people[0].id, applicant_id=people[0].applicant_id)
    assert "/survey/" in mint_link(theirs, spec, clock())
    for row in (
        OutboxMessage(participant_id=people[0].id, applicant_id=people[1].applicant_id),
        OutboxMessage(applicant_id=people[0].applicant_id),
    ):
        with pytest.raises(CannotMint):
            mint_link(row, spec, clock())
