"""Form fields and validators shared by the feature forms.

Choice labels are English msgids (intake.choices); intake/field_markup.py translates
them when it renders the field.
"""

import re
from typing import Any

from wtforms import EmailField, Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.validators import ValidationError

from intake.eligibility.king_county import parse_zip_list
from intake.i18n import lazy_gettext as _l
from intake.mailaddress import AddressRefused, checked_address


def column_length(column) -> int:
    """The length of a model's String column, as the bound of the field stored in it."""
    return column.property.columns[0].type.length


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


# The mixins name the WTForms class they extend, so that their super() calls resolve.
class _Choices(SelectFieldBase):
    def __init__(self, *args, choices=None, **kwargs):
        if choices is not None:
            choices = select_choices(choices)
        super().__init__(*args, choices=choices, **kwargs)


class CheckboxGroupField(_Choices, SelectMultipleField):
    """Several choices, rendered as a fieldset of checkboxes by intake/field_markup.py."""

    def process_formdata(self, valuelist):
        # A browser sends each ticked box once; a value sent twice (a crafted post) is
        # still one choice, not two applications to one program or a language's row
        # twice (its primary key).
        super().process_formdata(list(dict.fromkeys(valuelist)))


class ChoiceGroupField(_Choices, RadioField):
    """One choice, rendered as a fieldset of radio buttons by intake/field_markup.py."""

    def pre_validate(self, form):
        # An unanswered question is the validators' business (InputRequired,
        # RequiredWhen), so each can say plainly what is missing; an answer that is
        # not one of the choices is still refused here.
        if self.data is not None:
            super().pre_validate(form)


class _Stripped(Field):
    data: Any

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()


class StrippedStringField(_Stripped, StringField):
    pass


class StrippedTextAreaField(_Stripped, TextAreaField):
    pass


class AtLeastOne:
    """A checkbox group needs at least one ticked box."""

    def __init__(self, message):
        self.message = message

    def __call__(self, _form, field):
        if not field.data:
            raise ValidationError(self.message)


class RequiredWhen:
    """Required when another field holds (or contains) a given value."""

    def __init__(self, other: str, value: str, message):
        self.other, self.value, self.message = other, value, message

    def __call__(self, form, field):
        other = form[self.other].data
        triggered = self.value in other if isinstance(other, list) else other == self.value
        if triggered and not field.data:
            raise ValidationError(self.message)


class RequiredIf:
    """Required while the form's ``flag`` attribute is true (set by the view, e.g.
    when a program that needs the answer is among those considered)."""

    def __init__(self, flag: str, message):
        self.flag, self.message = flag, message

    def __call__(self, form, field):
        if getattr(form, self.flag, False) and not field.data:
            raise ValidationError(self.message)


class ZipListField(StrippedTextAreaField):
    """ZIP codes typed with commas, spaces or new lines between them.

    ``data`` stays what the person typed (so it is shown back as typed);
    ``zip_codes`` is the parsed list.
    """

    max_zips = 200

    def process_data(self, value):
        # A saved screener draft holds the parsed list: show it back as typed text.
        if isinstance(value, list | tuple):
            value = ", ".join(str(z) for z in value)
        super().process_data(value)

    @property
    def zip_codes(self) -> list[str]:
        return parse_zip_list(self.data or "")

    def pre_validate(self, _form):
        from intake.i18n import gettext

        zips = self.zip_codes
        bad = [z for z in zips if not re.fullmatch(r"[0-9]{5}", z)]
        if bad:
            raise ValidationError(
                gettext("These are not five-digit ZIP codes: %(zips)s.", zips=", ".join(bad[:10]))
            )
        if len(zips) > self.max_zips:
            raise ValidationError(
                gettext("Please list at most %(num)d ZIP codes.", num=self.max_zips)
            )


_ADDRESS_REFUSED = {
    "invalid": _l("Enter an e-mail address like name@example.org."),
    "not_ascii": _l(
        "We can only send e-mail to an address that uses the letters a to z, "
        "numbers and signs such as . or - before the @. Please give another "
        "address."
    ),
}


class NormalisedEmailField(EmailField):
    """An e-mail address checked and normalised by ``checked_address`` (no DNS look-up);
    ``receives_mail=False`` for one that is only looked up (signing in)."""

    data: Any

    def __init__(self, *args, receives_mail: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.receives_mail = receives_mail

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()

    def pre_validate(self, _form):
        if not self.data:
            return
        try:
            self.data = checked_address(self.data, receives_mail=self.receives_mail)
        except AddressRefused as exc:
            raise ValidationError(_ADDRESS_REFUSED[exc.reason]) from exc
