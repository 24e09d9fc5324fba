"""One way to render a form field: label, hint, the error next to it, the answer kept.

Templates call it as ``render_field``, and ``field_anchor`` for the error summary's
links (macros/forms.html exports both).
It was a Jinja macro calling three smaller macros; as Python it renders the same
markup in about a tenth of the time, which matters because every form page renders
six to twenty fields (the application form eleven: a third of its time went to
the macros, docs/PERFORMANCE.md, "Public pages"). The input itself is still drawn by
the field's WTForms widget.

Everything a person or an admin typed is escaped here as ``{{ }}`` would escape it:
with markupsafe.escape, so a value that is already Markup (a translated string) is
kept as it is, and any other text becomes text.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import core as wtforms_widgets

from intake.i18n import gettext

QUOTE = '"'
# Fields drawn as a fieldset of checkboxes or radio buttons (intake.fields).
GROUP_TYPES = {"CheckboxGroupField": "checkbox", "ChoiceGroupField": "radio"}


def html_params(**attributes) -> Markup:
    """WTForms' ``html_params``, the same output, without formatting every attribute
    through ``Markup.format`` (string.Formatter): that took a fifth of the
    application form's time. Input widgets find it as ``self.html_params``, the hook
    WTForms gives for this; tests/test_field_markup.py checks both agree."""
    parts: list[str] = []
    for name, value in sorted(attributes.items()):
        key = escape(wtforms_widgets.clean_key(name))
        if value is True:
            parts.append(key)
        elif value is not False:
            # As WTForms: escaped, and a quote in a value that was Markup already too.
            parts.append(f'{key}="{str.replace(escape(value), QUOTE, "&quot;")}"')
    return Markup(" ".join(parts))  # noqa: S704 - every name and value escaped above


def install() -> None:
    """Every WTForms input drawn with the html_params above."""
    wtforms_widgets.Input.html_params = staticmethod(html_params)


def translate_label(text) -> str:
    """A choice label in the reader's language: choice labels are stored as English
    msgids; Markup is already translated (the ``t`` filter of every template)."""
    if isinstance(text, Markup):
        return text
    return gettext(text) if text else ""


def field_anchor(field) -> Markup:
    """What an error summary links to: a group's first choice, else the input."""
    field_id = escape(field.id)
    return field_id + "-0" if field.type in GROUP_TYPES else field_id


def render_field(
    field,
    show_errors: bool = True,
    optional: bool = False,
    autocomplete: str | None = None,
    inputmode: str | None = None,
    class_: str = "",
    label=None,
) -> Markup:
    invalid = bool(show_errors and field.errors)
    field_id = escape(field.id)
    # Escaped once: a lazy (translated) description is looked up once, not per use.
    description = escape(field.description) if field.description is not None else ""
    # Markup, so that the input's html_params does not escape the id a second time.
    described = Markup(" ").join(
        ([field_id + "-hint"] if description else []) + ([field_id + "-error"] if invalid else [])
    )
    input_type = GROUP_TYPES.get(field.type)
    if input_type is not None:
        return Markup(  # noqa: S704 - every part is escaped or Markup already
            f'<fieldset class="field field-group {escape(class_)}{_has_error(invalid)}"'
            f"{_attribute('aria-describedby', described)}>\n"
            f"  <legend>{_label_text(field, label, optional)}</legend>\n"
            f"{_hint(description, field_id)}{_error(field, field_id, invalid)}"
            f'  <div class="choices">\n'
            f"{_choices(field, field_id, input_type)}"
            f"  </div>\n</fieldset>\n"
        )
    if field.type == "BooleanField":
        attributes = {"aria-describedby": described or None, "aria-invalid": _invalid(invalid)}
        return Markup(  # noqa: S704 - every part is escaped or Markup already
            f'<div class="field field-checkbox{_has_error(invalid)}">\n'
            f"{_error(field, field_id, invalid)}"
            f'  <div class="choice">\n'
            f"    {field(**_present(attributes))}\n"
            f"    {field.label}\n"
            f"  </div>\n</div>\n"
        )
    attributes = {
        "aria-describedby": described or None,
        "aria-invalid": _invalid(invalid),
        "autocomplete": autocomplete,
        "inputmode": inputmode,
    }
    return Markup(  # noqa: S704 - every part is escaped or Markup already
        f'<div class="field {escape(class_)}{_has_error(invalid)}">\n'
        f'  <label for="{field_id}">{_label_text(field, label, optional)}</label>\n'
        f"{_hint(description, field_id)}{_error(field, field_id, invalid)}"
        f"  {field(**_present(attributes))}\n"
        f"</div>\n"
    )


def _has_error(invalid: bool) -> str:
    return " has-error" if invalid else ""


def _invalid(invalid: bool) -> str | None:
    return "true" if invalid else None


def _present(attributes: dict) -> dict:
    """Attributes whose value is None are left out of the input."""
    return {name: value for name, value in attributes.items() if value is not None}


def _attribute(name: str, value: str) -> str:
    return f' {name}="{value}"' if value else ""


def _label_text(field, label, optional: bool) -> str:
    text = escape(label or field.label.text)
    if optional:
        # Translated outside the f-string: Babel's extractor does not look inside one.
        marker = escape(gettext("(optional)"))
        return f'{text} <span class="optional">{marker}</span>'
    return text


def _hint(description: str, field_id: str) -> str:
    if not description:
        return ""
    return f'  <p class="hint" id="{field_id}-hint">{description}</p>\n'


def _error(field, field_id: str, invalid: bool) -> str:
    if not invalid:
        return ""
    said = escape(gettext("Error:"))  # outside the f-string, where Babel finds it
    return (
        f'  <p class="field-error" id="{field_id}-error"><span class="visually-hidden">'
        f"{said}</span> {escape(field.errors[0])}</p>\n"
    )


def _choices(field, field_id: str, input_type: str) -> str:
    name = escape(field.name)
    return "".join(
        f'    <div class="choice">\n'
        f'      <input type="{input_type}" id="{field_id}-{index}" name="{name}"'
        f' value="{escape(choice.value)}"{" checked" if choice.selected else ""}>\n'
        f'      <label for="{field_id}-{index}">{escape(translate_label(choice.label))}</label>\n'
        f"    </div>\n"
        for index, choice in enumerate(field.iter_choices())
    )
