"""intake.programs.texts, without a request: which text a reader sees, and how."""

from types import SimpleNamespace

import pytest
from markupsafe import Markup

from intake.programs import texts
from intake.programs.defaults import DEFAULT_PROGRAMS

INTRO = next(p for p in DEFAULT_PROGRAMS if p["slug"] == "introductory")
TRANSLATED = {"es": "[es] ", "zh": "[zh] "}


def translate(locale: str):
    """A stand-in gettext that shows which catalogue answered."""
    return lambda text: TRANSLATED[locale] + text


def a_program(**changes):
    values = {field: INTRO.get(field) for field in texts.PROGRAM_FIELDS}
    return SimpleNamespace(**{**values, "translations": {}, **changes})


def test_english_readers_see_the_english_as_typed():
    program = a_program(name="Grupo nuevo", translations={"es": {"name": "Grupo"}})
    shown = texts.program_text(program, "name", "en", translate("es"))
    assert shown == texts.Shown("Grupo nuevo")


@pytest.mark.parametrize("locale", ["es", "zh"])
def test_a_translation_the_admin_typed_wins(locale):
    program = a_program(translations={locale: {"summary": "  Typed by an admin. "}})
    shown = texts.program_text(program, "summary", locale, translate(locale))
    assert shown == texts.Shown("Typed by an admin.")


@pytest.mark.parametrize("locale", ["es", "zh"])
def test_a_seeded_text_is_translated_by_gettext(locale):
    shown = texts.program_text(a_program(), "name", locale, translate(locale))
    assert shown == texts.Shown(TRANSLATED[locale] + INTRO["name"])


@pytest.mark.parametrize("locale", ["es", "zh"])
def test_an_edited_text_without_translation_is_marked_english(locale):
    program = a_program(shape="Eight sessions on Zoom.", translations={locale: {"shape": " "}})
    shown = texts.program_text(program, "shape", locale, translate(locale))
    assert shown == texts.Shown("Eight sessions on Zoom.", in_english=True)
    assert str(shown.html(translate(locale))) == (
        f'<span lang="en">Eight sessions on Zoom.</span> '
        f'<span class="lang-mark">{TRANSLATED[locale]}(in English)</span>'
    )
    assert (
        shown.plain(translate(locale))
        == f"Eight sessions on Zoom. {TRANSLATED[locale]}(in English)"
    )


def test_what_an_admin_typed_stays_text_in_html():
    typed = '<script>alert("x")</script>'
    program = a_program(name=typed, translations={"es": {"summary": typed}})
    marked = texts.program_text(program, "name", "zh", translate("zh")).html(translate("zh"))
    assert "<script>" not in marked
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in marked
    typed_es = texts.program_text(program, "summary", "es", translate("es")).html(translate("es"))
    assert "<script>" not in typed_es
    assert isinstance(typed_es, Markup)


def test_no_format_note_is_nothing_to_show():
    assert texts.program_text(a_program(), "format_note", "es", translate("es")).text == ""


def test_a_schedule_in_other_languages():
    cohort = SimpleNamespace(
        schedule="First Tuesday, 6-8 pm", schedule_translations={"es": "Primer martes, 18-20 h"}
    )
    assert texts.schedule_text(cohort, "es", translate("es")) == texts.Shown(
        "Primer martes, 18-20 h"
    )
    # Schedules are never seeded: without a translation, the English is marked.
    assert texts.schedule_text(cohort, "zh", translate("zh")).in_english


def test_only_program_texts_can_be_asked_for():
    with pytest.raises(ValueError, match="not a program text"):
        texts.program_text(a_program(), "slug", "es", translate("es"))


def test_form_values_become_the_translations_json():
    values = {"name_es": " Grupo ", "summary_es": "", "shape_zh": "八次", "format_note_zh": None}
    assert texts.program_translations(values) == {"es": {"name": "Grupo"}, "zh": {"shape": "八次"}}
    assert texts.schedule_translations({"schedule_es": "", "schedule_zh": " 周二 "}) == {
        "zh": "周二"
    }
