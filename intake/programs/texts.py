"""Admin-typed program and cohort texts in the reader's language. Pure: no Flask.

Admins type a program's name, audience, summary, shape and format note, and a
cohort's schedule, in English, and may type each again in Spanish and Chinese
(``Program.translations``, ``Cohort.schedule_translations``). A reader sees, in
order: the text typed in their language; else, while the English is still the
text the app was seeded with, its gettext translation (the seeded texts are
msgids); else the English, marked as English (``lang="en"`` and "(in English)"),
so nobody meets unmarked English mid-page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from intake.i18n_markers import N_
from intake.programs.defaults import DEFAULT_PROGRAMS

ENGLISH = "en"
# The languages an admin types texts in besides English, with the form's label.
OTHER_LANGUAGES = {"es": "Spanish", "zh": "Chinese"}
PROGRAM_FIELDS = ("name", "audience", "summary", "shape", "format_note")

IN_ENGLISH = N_("(in English)")
# Said of a program whose page does not say how its groups meet: each cohort does.
FORMAT_PER_GROUP = N_(
    "Each group's days, times and whether it meets online or in person are set when the "
    "group is formed; we tell you before you accept a seat."
)

# Every English text the programs were seeded with: gettext knows these.
SEEDED_TEXTS = frozenset(
    str(program[field])
    for program in DEFAULT_PROGRAMS
    for field in PROGRAM_FIELDS
    if program.get(field)
)

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Shown:
    """A text as a reader sees it; ``in_english`` when it stands in for a missing
    translation."""

    text: str
    in_english: bool = False

    def html(self, translate: Translate) -> Markup:
        """For HTML: the English inside ``<span lang="en">`` with the mark after it.
        The text is escaped here, so whatever an admin typed stays text."""
        if not self.in_english:
            return escape(self.text)
        return Markup('<span lang="en">{}</span> <span class="lang-mark">{}</span>').format(
            self.text, translate(IN_ENGLISH)
        )

    def plain(self, translate: Translate) -> str:
        """For plain text (text e-mails, calendar files): the mark as a suffix."""
        if not self.in_english:
            return self.text
        return f"{self.text} {translate(IN_ENGLISH)}"


def _typed(translations: Any, locale: str, field: str | None = None) -> str | None:
    """What an admin typed for ``locale`` (and ``field``), if anything."""
    if not isinstance(translations, Mapping):
        return None
    entry = translations.get(locale)
    if field is not None:
        entry = entry.get(field) if isinstance(entry, Mapping) else None
    if isinstance(entry, str) and entry.strip():
        return entry.strip()
    return None


def shown(english: str | None, typed: str | None, locale: str, translate: Translate) -> Shown:
    """One text in ``locale``: the typed translation, the seeded text's gettext, or
    the English marked as English."""
    if not english:
        return Shown("")
    if locale == ENGLISH or locale not in OTHER_LANGUAGES:
        return Shown(english)
    if typed:
        return Shown(typed)
    if english in SEEDED_TEXTS:
        return Shown(translate(english))
    return Shown(english, in_english=True)


def program_text(program: Any, field: str, locale: str, translate: Translate) -> Shown:
    """A program's ``field`` (one of PROGRAM_FIELDS) in ``locale``."""
    if field not in PROGRAM_FIELDS:
        raise ValueError(f"not a program text: {field!r}")
    typed = _typed(program.translations, locale, field)
    return shown(getattr(program, field), typed, locale, translate)


def schedule_text(cohort: Any, locale: str, translate: Translate) -> Shown:
    """A cohort's schedule in ``locale``."""
    typed = _typed(cohort.schedule_translations, locale)
    return shown(cohort.schedule, typed, locale, translate)


def program_translations(values: Mapping[str, str | None]) -> dict[str, dict[str, str]]:
    """The translations JSON from form values keyed ``<field>_<lang>``; empty ones
    are left out (empty = not translated)."""
    result: dict[str, dict[str, str]] = {}
    for lang in OTHER_LANGUAGES:
        entry = {
            field: text.strip()
            for field in PROGRAM_FIELDS
            if (text := values.get(f"{field}_{lang}")) and text.strip()
        }
        if entry:
            result[lang] = entry
    return result


def schedule_translations(values: Mapping[str, str | None]) -> dict[str, str]:
    """The schedule translations JSON from form values keyed ``schedule_<lang>``."""
    return {
        lang: text.strip()
        for lang in OTHER_LANGUAGES
        if (text := values.get(f"schedule_{lang}")) and text.strip()
    }
