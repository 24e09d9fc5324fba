"""The letter as a PDF, drawn from its stored facts whenever it is asked for (to
download, or by the delivery worker attaching it to the e-mail), in the letter's
language.

reportlab draws it: Helvetica for English and Spanish; for Chinese, reportlab's
built-in CID font STSong-Light (Adobe's Simplified Chinese font, which every PDF
reader supplies), so no font file ships with the app.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from flask_babel import force_locale, format_date
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intake.hours import ILAIMH_CREDENTIAL, hours_text
from intake.i18n import gettext as _
from intake.links import public_url_for
from intake.models import Letter

CJK_FONT = "STSong-Light"
_registered = False


def _font(locale: str) -> tuple[str, str]:
    """(regular, bold) font names for ``locale``."""
    global _registered
    if locale == "zh":
        if not _registered:
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
            _registered = True
        return CJK_FONT, CJK_FONT
    return "Helvetica", "Helvetica-Bold"


def _day(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso), "long") if iso else ""


def render_pdf(letter: Letter) -> bytes:
    """The letter's PDF, in its language. Needs an app context (translations, URLs)."""
    facts = letter.facts
    regular, bold = _font(letter.locale)
    wrap = "CJK" if letter.locale == "zh" else None
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=15, wordWrap=wrap)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=21)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    with force_locale(letter.locale):
        hours = hours_text(int(facts.get("credited_minutes") or 0))
        # Program names are stored as their English msgid: translated as shown.
        program = str(facts.get("program") or "")
        facilitator = facts.get("facilitator") or ""
        if facts.get("credential"):
            facilitator = f"{facilitator}, {facts['credential']}"
        rows = [
            (_("Participant"), facts.get("participant", "")),
            (_("Program"), _(program) if program else ""),
            (_("Group"), facts.get("cohort", "")),
            (_("Facilitator"), facilitator),
            (
                _("Group dates"),
                _(
                    "%(first)s to %(last)s",
                    first=_day(facts.get("first_date")),
                    last=_day(facts.get("last_date")),
                ),
            ),
            (
                _("Sessions attended"),
                _(
                    "%(attended)d of %(held)d",
                    attended=len(facts.get("sessions", [])),
                    held=int(facts.get("sessions_held") or 0),
                ),
            ),
            (_("Hours credited"), _("%(hours)s hours", hours=hours)),
        ]
        story = [
            para(_("Letter of reflective supervision / consultation hours"), title),
            Spacer(1, 0.15 * inch),
            para(
                _(
                    "This letter confirms the reflective supervision / consultation "
                    "hours %(name)s received in a reflective practice group, for an "
                    "ILAIMH Infant/Early Childhood Mental Health credential application.",
                    name=facts.get("participant", ""),
                )
                if facts.get("counts_toward") == ILAIMH_CREDENTIAL
                else _(
                    "This letter confirms the reflective supervision / consultation "
                    "hours %(name)s received in a reflective practice group, for an "
                    "Infant Mental Health Endorsement or credential application.",
                    name=facts.get("participant", ""),
                )
            ),
            Spacer(1, 0.15 * inch),
        ]
        table = Table(
            [[para(label), para(value)] for label, value in rows],
            colWidths=[1.9 * inch, 4.6 * inch],
        )
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [table, Spacer(1, 0.2 * inch), para(_("Sessions attended, with dates"), title)]
        sessions = [
            [para(_day(s["date"])), para(_("%(minutes)d minutes", minutes=int(s["minutes"])))]
            for s in facts.get("sessions", [])
        ]
        if sessions:
            story.append(Table(sessions, colWidths=[3 * inch, 3.5 * inch]))
        story += [
            Spacer(1, 0.3 * inch),
            para(_("Issued on %(date)s.", date=format_date(letter.issued_at, "long"))),
            para(_("Verification code: %(code)s", code=letter.code)),
            para(
                _(
                    "Anyone can check this letter at %(url)s with its verification code.",
                    url=public_url_for("verify.form"),
                ),
                small,
            ),
        ]
        buffer = io.BytesIO()
        SimpleDocTemplate(
            buffer,
            pagesize=LETTER,
            title=_("Letter of reflective supervision / consultation hours"),
            author=_("Reflective practice groups"),
            leftMargin=inch,
            rightMargin=inch,
        ).build(story)
    return buffer.getvalue()


def filename(letter: Letter) -> str:
    return f"letter-{letter.code}.pdf"
