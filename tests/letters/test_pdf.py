"""The letter's PDF, read back with pypdf: its facts, in the participant's language."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake.extensions import db
from intake.letters import services
from intake.letters.pdf import render_pdf
from intake.models import Letter
from tests.letters.conftest import attend


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def letter_in(make_group, rpg, clock):
    def make(locale: str, name: str = "Ana María Reyes") -> Letter:
        group = make_group(people=[(name, locale)])
        attend(group.people[0], group.sessions[:9])
        services.complete_due(clock())
        db.session.commit()
        return db.session.scalars(select(Letter)).one()

    return make


EXPECTED = {
    "en": [
        "Letter of reflective supervision / consultation hours",
        "Ana María Reyes",
        "Reflective practice groups in Illinois (10 sessions)",
        "Mai Facilitator, IMH-E® Mentor",
        "December 22, 2025 to February 23, 2026",
        "9 of 10",
        "10.8 hours",
        "for an ILAIMH Infant/Early Childhood Mental Health credential application",
        "February 16, 2026",
        "120 minutes",
        "Issued on March 2, 2026.",
    ],
    "es": [
        "Carta de horas de supervisión / consulta reflexiva",
        "Ana María Reyes",
        "Horas acreditadas",
        "9 de 10",
        "10.8 horas",
        "22 de diciembre de 2025",
        "Emitida el 2 de marzo de 2026.",
        "Código de verificación",
    ],
    "zh": [
        "反思性督导 / 咨询时数证明信",
        "Ana María Reyes",
        "认可时数",
        "10 次中的 9 次",
        "10.8 小时",
        "2025年12月22日",
        "验证码",
        "ILAIMH 婴幼儿心理健康资质认证",
    ],
}


@pytest.mark.parametrize("locale", ["en", "es", "zh"])
def test_the_pdf_states_the_facts_in_the_participants_language(letter_in, locale):
    letter = letter_in(locale)
    pdf = render_pdf(letter)
    assert pdf.startswith(b"%PDF")
    text = flat(text_of(pdf))
    # Chinese wraps anywhere, and a line break reads back as a space: compare without.
    squeeze = (lambda t: "".join(t.split())) if locale == "zh" else flat
    missing = [e for e in EXPECTED[locale] if squeeze(e) not in squeeze(text)]
    assert not missing, (missing, text)
    assert letter.code in text
    assert "https://intake.example.org/verify" in text
    # Nothing but the facts: no e-mail address.
    assert "@example.org" not in text


def test_the_pdf_is_drawn_from_the_facts_as_issued(letter_in):
    letter = letter_in("en")
    letter.participant.name = "Someone Else"
    db.session.commit()
    assert "Ana María Reyes" in text_of(render_pdf(letter))
