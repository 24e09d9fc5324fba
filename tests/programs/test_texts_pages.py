"""Admin-typed program and cohort texts on applicants' pages and in their e-mails:
the reader's language when an admin typed it, else the seeded translation, else the
English marked lang="en" with "(in English)" in the reader's language."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from intake.extensions import db
from intake.outbox.delivery import deliver_due
from intake.outbox.services import render_email
from tests.factories import add_cohort, program, submit_waiting
from tests.helpers import submit_application
from tests.manage.support import emails_to, text_of

MARK = {"es": "(en inglés)", "zh": "\uff08英文\uff09"}
SCRIPT = '<script>alert("name")</script>'


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def edit(slug: str, **values) -> None:
    p = program(slug)
    for name, value in values.items():
        setattr(p, name, value)
    db.session.commit()


def test_spanish_and_chinese_readers_see_what_the_admin_typed(client, ctx):
    edit(
        "introductory",
        name="Introductory reflective practice, 2026",
        translations={
            "es": {"name": "Práctica reflexiva introductoria 2026", "shape": "Seis sesiones."},
            "zh": {"name": "入门反思性实践 2026"},
        },
    )
    es = client.get("/programs/introductory?lang=es").get_data(as_text=True)
    assert "<title>Práctica reflexiva introductoria 2026" in es
    assert "<h1>Práctica reflexiva introductoria 2026</h1>" in es
    assert "<dd>Seis sesiones.</dd>" in es
    # Not typed in Spanish, still the seeded texts: their translations, unmarked.
    assert '<span lang="en">' not in es
    assert "(en inglés)" not in es
    zh = client.get("/programs/introductory?lang=zh").get_data(as_text=True)
    assert "<h1>入门反思性实践 2026</h1>" in zh
    assert '<html lang="zh-Hans">' in zh


@pytest.mark.parametrize("locale", ["es", "zh"])
def test_untranslated_admin_text_is_english_marked_as_english(client, ctx, locale):
    edit("introductory", summary="Six sessions to begin, now with a spring cohort.")
    page = client.get(f"/programs/introductory?lang={locale}").get_data(as_text=True)
    assert (
        '<p class="lead"><span lang="en">Six sessions to begin, now with a spring cohort.</span> '
        f'<span class="lang-mark">{MARK[locale]}</span></p>'
    ) in page
    # The other texts are still the seeded ones, in the reader's language.
    assert page.count('<span lang="en">') == 1


def test_english_readers_see_no_mark(client, ctx):
    edit("introductory", summary="Six sessions to begin, now with a spring cohort.")
    page = client.get("/programs/introductory?lang=en").get_data(as_text=True)
    assert '<p class="lead">Six sessions to begin, now with a spring cohort.</p>' in page
    assert "(in English)" not in page


@pytest.mark.parametrize("locale", ["en", "es", "zh"])
def test_a_script_an_admin_typed_stays_text(client, ctx, locale):
    edit("introductory", name=SCRIPT, translations={"es": {"audience": SCRIPT}})
    for path in ("/", "/programs/introductory"):
        page = client.get(f"{path}?lang={locale}").get_data(as_text=True)
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page


def test_the_received_email_speaks_the_applicants_language(smtp, client, ctx, clock):
    edit(
        "introductory",
        name="Introductory reflective practice, 2026",
        translations={"es": {"name": "Práctica reflexiva introductoria 2026"}},
    )
    edit("reflective-practice-group", name="Illinois reflective practice groups, 2026")
    client.get("/?lang=es")
    response = submit_application(client, programs=["introductory", "reflective-practice-group"])
    assert response.status_code == 303
    deliver_due(clock())
    (mail,) = emails_to(smtp, "rosa@example.org")
    text, html = text_of(mail), html_of(mail)
    assert "Práctica reflexiva introductoria 2026" in text
    assert "Práctica reflexiva introductoria 2026" in html
    # No Spanish typed for the other: English, marked, as plain text in the text part…
    assert "Illinois reflective practice groups, 2026 (en inglés)" in text
    assert "<span" not in text
    # …and marked up in the HTML part.
    assert (
        '<span lang="en">Illinois reflective practice groups, 2026</span> '
        '<span class="lang-mark">(en inglés)</span>'
    ) in html


@pytest.mark.parametrize("locale", ["es", "zh"])
def test_the_offer_email_gives_the_schedule_and_delivery_in_the_readers_language(
    ctx, clock, locale
):
    application = submit_waiting(
        clock(),
        name="Rosa",
        email="rosa@example.org",
        languages=["es"],
        availability=["weekday_evening"],
    )
    cohort = add_cohort(clock())
    cohort.delivery = "online"
    cohort.schedule_translations = {"es": "Primer martes del mes, 18–20 h"}
    db.session.commit()
    offer = SimpleNamespace(seats=1, expires_at=clock() + timedelta(days=7))
    _subject, text, html = render_email(
        "offer_made",
        locale,
        applicant=application.applicant,
        application=application,
        cohort=cohort,
        offer=offer,
        accept_url="https://intake.example.org/a",
        decline_url="https://intake.example.org/d",
        manage_url="https://intake.example.org/m",
    )
    if locale == "es":
        assert "Primer martes del mes, 18–20 h" in text
        assert "Cómo se reúne: En línea" in text
        assert "Cómo se reúne:" in html
        assert "En línea" in html
    else:
        assert "First Tuesday of the month, 6–8 pm \uff08英文\uff09" in text
        assert '<span lang="en">First Tuesday of the month, 6–8 pm</span>' in html
        assert "会面形式\uff1a 线上" in text
    assert not re.search(r"<span", text)


def test_session_emails_name_the_program_in_the_readers_language(ctx, clock):
    # _session.txt (reminders, changes, cancellations, additions) names the program.
    from tests.factories import add_sessions

    edit(
        "introductory",
        name="Introductory reflective practice, 2026",
        translations={"es": {"name": "Práctica reflexiva introductoria 2026"}},
    )
    cohort = add_cohort(clock())
    [session] = add_sessions(cohort, clock() + timedelta(days=1), count=1)
    participant = SimpleNamespace(name="Rosa")
    for locale, expected in (
        ("es", "Práctica reflexiva introductoria 2026"),
        ("zh", "Introductory reflective practice, 2026 \uff08英文\uff09"),
    ):
        _subject, text, html = render_email(
            "session_reminder", locale, participant=participant, session=session, cohort=cohort
        )
        assert expected in text
        assert "<span" not in text
        # The HTML part shows the same lines (built from the text macro), escaped.
        assert expected in html
