"""Helpers every template can use."""

import re
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from flask import Flask, current_app
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from intake import choices, field_markup
from intake.eligibility.rules import RULES
from intake.field_markup import translate_label
from intake.i18n import LANGUAGE_NAMES, get_locale, gettext
from intake.programs import texts
from intake.status.states import APPLICANT_DESCRIPTIONS, LABELS

HTML_LANG = {"zh": "zh-Hans"}


def register(app: Flask) -> None:
    @app.context_processor
    def template_helpers():
        locale = str(get_locale() or "en")
        return {
            "language_names": LANGUAGE_NAMES,
            "status_label": lambda status: gettext(LABELS.get(status) or status) if status else "",
            "status_description": lambda status: gettext(APPLICANT_DESCRIPTIONS.get(status, "")),
            "rules": RULES,
            "current_locale": locale,
            # BCP 47 for the html lang attribute: the Chinese is Simplified.
            "html_lang": HTML_LANG.get(locale, locale),
            "choice_label": choice_label,
            "explain": explain,
            "format_per_group": texts.FORMAT_PER_GROUP,
        }

    # Rule messages and choice labels are stored as English msgids: translate on show.
    # Markup is already in the reader's language (program_html below).
    app.jinja_env.filters["t"] = translate_label
    # macros/forms.html exports its render_field and field_anchor.
    app.jinja_env.globals["field_markup"] = field_markup
    # A block rendered on its own (an htmx fragment) runs none of its page's imports:
    # render_field is a global too, so such blocks need no import of their own (each
    # import costs Jinja a look through every global: two of them were 4 % of the
    # screener's time under cProfile).
    app.jinja_env.globals["render_field"] = field_markup.render_field
    field_markup.install()
    # Admin-typed texts in the reader's language (intake.programs.texts): marked-up
    # in HTML, with a plain "(in English)" in text e-mails.
    app.jinja_env.filters["program_text"] = _program_text_filter
    app.jinja_env.filters["schedule_text"] = _schedule_text_filter
    # Attributes left out of a rendered field when their value is None.
    app.jinja_env.filters["compact"] = lambda attrs: {
        k: v for k, v in attrs.items() if v is not None
    }
    app.jinja_env.filters["mailto_href"] = mailto_href
    app.jinja_env.filters["and_list"] = and_list
    # The one way a page shows a date or a moment (tests/test_dates.py keeps it so).
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["time_of_day"] = time_of_day


# Screener and form answers by question, to show a stored answer as its label.
CHOICES_BY_QUESTION = {
    "works_with_young_children": choices.WORKS_WITH_YOUNG_CHILDREN,
    "roles": choices.ROLES,
    "bipoc": choices.BIPOC,
    "retreat": choices.RETREAT,
    "works_in_illinois": choices.YES_NO_UNSURE,
    "delivery": choices.DELIVERY,
    "languages": choices.LANGUAGES,
    "availability": choices.AVAILABILITY,
    "access_needs": choices.ACCESS_NEEDS,
    "is_leader": choices.YES_NO,
    "serves_king_county": choices.YES_NO_UNSURE,
    "bsk_consultation": choices.YES_NO_UNSURE,
    "heard_about": choices.HEARD_ABOUT,
}


def choice_label(question: str, value: str | None) -> str:
    if value is None:
        return ""
    return gettext(choices.label_for(CHOICES_BY_QUESTION[question], value))


def explain(result) -> str:
    """A rule result's reason, in the reader's language, with its details filled in."""
    if not result.message:
        return ""
    return gettext(result.message, **(result.details or {}))


# One plain address: no spaces, quotes, brackets or URL syntax (?, &, #, %, :) that
# could turn a mailto: link into something else.
_ADDRESS_PART = r"[^\s\x00-\x1f\x7f@<>\"'?&#%,;:()\[\]\\/]+"
PLAIN_ADDRESS_RE = re.compile(rf"{_ADDRESS_PART}@{_ADDRESS_PART}")


def mailto_href(address: str | None) -> str | None:
    """A mailto: link for an address an admin typed (a program's contact), or None
    when it is not one plain address; the template shows the address as text then."""
    if not address or not PLAIN_ADDRESS_RE.fullmatch(address):
        return None
    return "mailto:" + quote(address, safe="@")


def and_list(items) -> str:
    """Items as a list in the reader's language: "A, B and C"."""
    items = [str(item) for item in items]
    # The Locale object, not its name: babel parses a name again on every call (~7x).
    return format_list(items, locale=get_locale() or "en") if items else ""


# Dates and times --------------------------------------------------------------------
# Every date and time a person reads is in the programs' time zone (the one sessions
# are planned in, BABEL_DEFAULT_TIMEZONE) and in the reader's language. Two kinds:
#   day     a calendar day: "Mar 2, 2026" ("long": "March 2, 2026", for sentences)
#   moment  a day and a time to the minute, never seconds: "Mar 2, 2026, 5:30 PM"
#   time_of_day  the time alone, beside a day shown on its own: "5:30 PM"
# ("full" spells the weekday out: "Monday, March 2, 2026, 5:30 PM", for sessions.)
# For machines, a page puts the UTC value in <time datetime="{{ value.isoformat() }}">.


Width = Literal["full", "long", "medium", "short"]


def programs_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _local(value: datetime) -> datetime:
    # Stored moments are UTC; a naive one (none should be) is read as UTC too.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(programs_zone())


def day(value: date | datetime | None, width: Width = "medium") -> str:
    """A calendar day; a moment is first moved to the programs' time zone, so 01:30
    UTC on the 2nd is still the 1st in Seattle."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, width, locale=get_locale() or "en")


def moment(value: datetime | None, width: Width = "medium") -> str:
    """A day and a time to the minute, in the programs' time zone."""
    if value is None:
        return ""
    local = _local(value)
    locale = get_locale() or "en"
    return (
        str(get_datetime_format(width, locale=locale))
        .replace("'", "")
        .replace("{0}", format_time(local, "short", locale=locale))
        .replace("{1}", format_date(local.date(), width, locale=locale))
    )


def time_of_day(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(_local(value), "short", locale=get_locale() or "en")


def _locale() -> str:
    return str(get_locale() or "en")


def program_html(program, field: str) -> Markup:
    """A program's text for an HTML page, in the reader's language (for views that
    build labels, like the application form's program choices)."""
    return texts.program_text(program, field, _locale(), gettext).html(gettext)


def format_hint(programs, then: str) -> Markup:
    """How each program's groups meet, as its format note says (or that each group
    sets it), one line per program, then ``then`` (already translated)."""
    lines = []
    for program in programs:
        note = texts.program_text(program, "format_note", _locale(), gettext)
        said = note.html(gettext) if note.text else escape(gettext(texts.FORMAT_PER_GROUP))
        if len(programs) > 1:
            said = escape(gettext("%(program)s: %(format)s")) % {
                "program": program_html(program, "name"),
                "format": said,
            }
        lines.append(said)
    lines.append(escape(then))
    return Markup("<br>").join(lines)


def _shown(eval_ctx: EvalContext, shown: texts.Shown) -> str:
    return shown.html(gettext) if eval_ctx.autoescape else shown.plain(gettext)


@pass_eval_context
def _program_text_filter(eval_ctx: EvalContext, program, field: str, plain: bool = False) -> str:
    """``plain=True`` where markup cannot go, like the page's <title>."""
    shown = texts.program_text(program, field, _locale(), gettext)
    return shown.plain(gettext) if plain else _shown(eval_ctx, shown)


@pass_eval_context
def _schedule_text_filter(eval_ctx: EvalContext, cohort) -> str:
    return _shown(eval_ctx, texts.schedule_text(cohort, _locale(), gettext))
