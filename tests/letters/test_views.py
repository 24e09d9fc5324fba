"""The public verification page, the PDF behind the code, and the coordinators'
letters page: issuing for a cohort, re-issuing, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.letters import services
from intake.models import Letter, OutboxMessage
from tests.factories import add_cohort, program
from tests.helpers import csrf_token, send_form
from tests.letters.conftest import attend


@pytest.fixture
def ended(make_group, rpg, clock):
    """A group that ended: Ana completed (9 of 10), Bo did not (2 of 10)."""
    group = make_group(people=[("Ana Reyes", "en"), ("Bo Chen", "zh")])
    ana, bo = group.people
    attend(ana, group.sessions[:9])
    attend(bo, group.sessions[:2])
    services.complete_due(clock())
    db.session.commit()
    group.letter = db.session.scalars(select(Letter)).one()
    return group


def page(response) -> str:
    return response.get_data(as_text=True)


def test_the_verification_page_confirms_the_facts_and_nothing_more(client, ended):
    letter = ended.letter
    response = client.get(f"/verify/{letter.code}")
    assert response.status_code == 200
    text = page(response)
    for shown in (
        "This letter is genuine and current.",
        "Ana Reyes",
        "Reflective practice groups in Illinois (10 sessions)",
        "December 22, 2025 to February 23, 2026",
        "9 of 10",
        "10.8 hours",
        "March 2, 2026",
        letter.code,
    ):
        assert shown in text, shown
    # No e-mail address, no session dates but the first and last, no facilitator,
    # no application or self-identification, nothing about the other participant.
    for hidden in (
        "@example.org",
        "February 16, 2026",
        "Mai Facilitator",
        "Bo Chen",
        ended.people[0].application.reference,
        "BIPOC",
    ):
        assert hidden not in text, hidden


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("es", ["Esta carta es auténtica y está vigente.", "Horas acreditadas", "10.8 horas"]),
        ("zh", ["本信函真实有效。", "认可时数", "10.8 小时", "2025年12月22日"]),
    ],
)
def test_the_verification_page_in_spanish_and_chinese(client, ended, lang, words):
    text = page(client.get(f"/verify/{ended.letter.code}?lang={lang}"))
    for word in words:
        assert word in text, word


def test_a_replaced_letter_says_so_without_the_new_code(client, ended, clock):
    clock.advance(days=2)
    new = services.reissue(ended.letter, clock(), by=None, reason="Name corrected")
    db.session.commit()
    text = page(client.get(f"/verify/{ended.letter.code}"))
    assert "This letter was replaced on March 4, 2026 by a newer letter." in text
    assert "genuine and current" not in text
    assert new.code not in text
    assert "genuine and current" in page(client.get(f"/verify/{new.code}"))


def test_an_unknown_code_is_a_plain_404(client, ended):
    for code in ("ABCD-EFGH-JKMN", "not-a-code", "x" * 300):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "No letter has this code" in page(response)
    response = client.get("/verify/ABCD-EFGH-JKMN?lang=es")
    assert "Ninguna carta tiene este código" in page(response)


def test_a_code_typed_loosely_finds_its_letter(client, ended):
    code = ended.letter.code
    response = client.get(f"/verify/{code.lower()}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/verify/{code}")
    response = client.get("/verify", query_string={"code": " " + code.replace("-", " ").lower()})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/verify/{code}")


def test_the_form_explains_a_code_that_cannot_be_one(client, htmx):
    assert "Check a letter of hours" in page(client.get("/verify"))
    response = client.get("/verify", query_string={"code": "ABC"})
    assert response.status_code == 422
    assert "three groups of four" in page(response)
    assert 'value="ABC"' in page(response)
    response = client.get("/verify", query_string={"code": ""})
    assert response.status_code == 422
    assert "Enter the code printed on the letter." in page(response)


def test_the_pdf_is_behind_the_code(client, ended):
    response = client.get(f"/letters/{ended.letter.code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert client.get("/letters/ABCD-EFGH-JKMN.pdf").status_code == 404


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_VERIFY="3 per minute")


def test_lookups_are_rate_limited(limited, client, ended):
    codes = [ended.letter.code, "ABCD-EFGH-JKMN", ended.letter.code]
    assert [client.get(f"/verify/{c}").status_code for c in codes] == [200, 404, 200]
    response = client.get(f"/verify/{ended.letter.code}")
    assert response.status_code == 429
    assert client.get(f"/letters/{ended.letter.code}.pdf").status_code == 429


# The workspace -----------------------------------------------------------------------


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_cohort_page_issues_letters_to_everyone_completed_without_one(
    coordinator_client, ended, clock
):
    cohort = ended.cohort
    _ana, bo = ended.people
    # Bo's attendance was corrected after the group ended, and a coordinator marks
    # them completed (the attendance page's business): they now need a letter.
    attend(bo, ended.sessions[2:8])
    bo.status = "completed"
    db.session.commit()
    show = page(coordinator_client.get(f"/coord/cohorts/{cohort.id}"))
    assert "Issue letters to everyone completed without one" in show
    token = csrf_token(show)
    response = coordinator_client.post(
        f"/coord/letters/cohorts/{cohort.id}/issue", data={"csrf_token": token}
    )
    assert response.status_code == 303
    text = page(coordinator_client.get(response.headers["Location"]))
    assert "1 letter issued: Bo Chen." in text
    db.session.expire_all()
    letter = db.session.scalars(select(Letter).where(Letter.participant_id == bo.id)).one()
    assert letter.code in text
    assert letter.issued_by_id == coordinator_client.user.id
    assert letter.locale == "zh"
    assert count(OutboxMessage, OutboxMessage.letter_id == letter.id) == 1
    # A second press issues nothing.
    response = coordinator_client.post(
        f"/coord/letters/cohorts/{cohort.id}/issue", data={"csrf_token": token}
    )
    assert "No letters were issued" in page(coordinator_client.get(response.headers["Location"]))
    assert count(Letter) == 2


def test_re_issuing_a_letter_after_a_correction(coordinator_client, htmx, ended, clock):
    letter = ended.letter
    base = f"/coord/letters/cohorts/{ended.cohort.id}"
    text = page(coordinator_client.get(base))
    token = csrf_token(text)
    field = f"reissue-{letter.id}-reason"
    response = coordinator_client.post(
        f"/coord/letters/{letter.id}/reissue", data={"csrf_token": token, field: " "}
    )
    assert response.status_code == 422
    assert "Say what was corrected." in page(response)
    assert count(Letter) == 1
    ended.people[0].name = "Ana María Reyes"
    db.session.commit()
    response = coordinator_client.post(
        f"/coord/letters/{letter.id}/reissue",
        data={"csrf_token": token, field: "Name spelled in full"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith(base)
    db.session.expire_all()
    new = db.session.scalars(select(Letter).where(Letter.replaced_at.is_(None))).one()
    assert new.facts["participant"] == "Ana María Reyes"
    text = page(coordinator_client.get(base))
    assert f"Letter {new.code} issued to Ana María Reyes, replacing {letter.code}." in text
    assert f"{letter.code}</span> (replaced" in text
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.letter_id == new.id)
    ).one()
    assert message.to_addr == ended.people[0].email
    # The application's record says who re-issued it and why.
    record = page(coordinator_client.get(f"/coord/applications/{ended.people[0].application_id}"))
    assert f"Letter re-issued for Ana María Reyes: {letter.code} replaced by {new.code}" in record
    assert "Name spelled in full" in record
    # Re-issuing the old one again changes nothing.
    response = coordinator_client.post(
        f"/coord/letters/{letter.id}/reissue", data={"csrf_token": token, field: "Again"}
    )
    assert "was already replaced" in page(coordinator_client.get(response.headers["Location"]))
    assert count(Letter) == 2


def test_coordinators_of_other_programs_get_404(app, ended, make_coordinator, login):
    client = login(
        app.test_client(), make_coordinator(email="o@example.org", programs=["introductory"])
    )
    token = csrf_token(page(client.get("/coord/waitlist")))
    letter = ended.letter
    assert client.get(f"/coord/letters/cohorts/{ended.cohort.id}").status_code == 404
    assert (
        client.post(
            f"/coord/letters/cohorts/{ended.cohort.id}/issue", data={"csrf_token": token}
        ).status_code
        == 404
    )
    response = client.post(
        f"/coord/letters/{letter.id}/reissue",
        data={"csrf_token": token, f"reissue-{letter.id}-reason": "x"},
    )
    assert response.status_code == 404
    assert count(Letter) == 1


def test_the_letters_page_needs_a_coordinator(client, ended):
    response = client.get(f"/coord/letters/cohorts/{ended.cohort.id}")
    assert response.status_code in (302, 303)


def test_no_new_letter_for_someone_no_longer_completed(coordinator_client, ended):
    letter = ended.letter
    ended.people[0].status = "withdrawn"
    db.session.commit()
    base = f"/coord/letters/cohorts/{ended.cohort.id}"
    token = csrf_token(page(coordinator_client.get(base)))
    response = coordinator_client.post(
        f"/coord/letters/{letter.id}/reissue",
        data={"csrf_token": token, f"reissue-{letter.id}-reason": "Attendance corrected"},
    )
    assert response.status_code == 303
    text = page(coordinator_client.get(base))
    assert "Ana Reyes is not marked as having completed the group" in text
    assert count(Letter) == 1


def test_an_admin_gives_the_facilitators_credential_the_letter_states(admin_client, ctx, clock):
    cohort = add_cohort(clock(), program="reflective-practice-group")
    data = {
        "program": str(program("reflective-practice-group").id),
        "name": cohort.name,
        "language": "en",
        "facilitator": "Mai Facilitator",
        "facilitator_credential": "IMH-E® Infant Mental Health Mentor",
        "schedule": "Tuesdays",
        "time_slot": "weekday_evening",
        "start_date": cohort.start_date.isoformat(),
        "seats": "8",
    }
    url = f"/coord/admin/cohorts/{cohort.id}/edit"
    assert send_form(admin_client, url, data).status_code == 303
    db.session.refresh(cohort)
    assert cohort.facilitator_credential == "IMH-E® Infant Mental Health Mentor"
    show = page(admin_client.get(f"/coord/cohorts/{cohort.id}"))
    assert "Mai Facilitator, IMH-E® Infant Mental Health Mentor" in show
    assert send_form(admin_client, url, {**data, "facilitator_credential": ""}).status_code == 303
    db.session.refresh(cohort)
    assert cohort.facilitator_credential is None
