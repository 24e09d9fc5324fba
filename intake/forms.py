"""The base of every form, and CSRF protection that lets a form show itself again.

``Form`` applies the input rules of intake.inputs to every field of every form, so
no field can forget them:

- every value sent is cleaned before a field sees it: control characters removed
  (with an error next to the field, the rest of the answer kept for the person to
  check), Unicode NFC, line breaks in one-line fields made spaces;
- every text field has a length bound (its own ``Length``, else a default), every
  whole number one PostgreSQL's integer holds, every date a plausible year.

``CSRFProtect`` keeps Flask-WTF's check on every state-changing request. For views
marked ``@shows_form_again_on_csrf_error`` a failed check does not end the request
with a 400 page: the view runs, its form refuses to validate (``Form.validate``) with
a message saying why, and the person gets their answers back with a fresh token.
"""

from __future__ import annotations

import functools
from datetime import date
from gettext import NullTranslations
from typing import Any

from babel import support
from flask import current_app, g, has_request_context, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect as _CSRFProtect
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict
from wtforms import DateField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import Length, NumberRange, ValidationError

from intake.i18n import get_locale
from intake.i18n import lazy_gettext as _l
from intake.inputs import INT_MAX, INT_MIN, clean_text, db_int

# Bounds for fields that do not set their own (fields stored in a column of known
# length set theirs from it).
LINE_MAX = 200
TEXT_MAX = 5000
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)

CONTROL_CHARACTERS_MESSAGE = _l(
    "This answer had invisible control characters in it, which we removed. "
    "Please check it and send the form again."
)
TOO_LONG_MESSAGE = _l("Please shorten this answer to at most %(max)d characters.")
NUMBER_MESSAGE = _l("Enter a smaller number.")
DATE_MESSAGE = _l("Enter a date between 1900 and 2999.")
CSRF_MESSAGE = _l(
    "This form was open for a long time, so we could not accept it yet. Nothing was "
    "saved. Please check your answers and send it again."
)
# Over HTTPS the browser must say the form came from this site (a same-origin Referer);
# a form refused for that has not been open too long, so it says what did happen.
REFERRER_MESSAGE = _l(
    "We could not confirm that this form was sent from this website, so nothing was "
    "saved. Please check your answers and send it again."
)


def _csrf_message(error) -> str:
    return REFERRER_MESSAGE if "referrer" in (error.description or "").lower() else CSRF_MESSAGE


def _db_int_coerce(value) -> int:
    return db_int(value)


class _DateBounds:
    def __call__(self, _form, field):
        if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            raise ValidationError(DATE_MESSAGE)


def _has_bound(field, kind) -> bool:
    return any(isinstance(v, kind) for v in field.validators)


def bound(field) -> None:
    """Give a bound field the bounds it does not set itself. ``validators`` is the
    unbound field's shared list, so it is replaced, never appended to."""
    if field.type == "CSRFTokenField":
        return
    if isinstance(field, StringField) and not any(
        isinstance(v, Length) and v.max >= 0 for v in field.validators
    ):
        limit = TEXT_MAX if isinstance(field, TextAreaField) else LINE_MAX
        field.validators = [*field.validators, Length(max=limit, message=TOO_LONG_MESSAGE)]
    elif isinstance(field, IntegerField) and not _has_bound(field, NumberRange):
        field.validators = [*field.validators, NumberRange(INT_MIN, INT_MAX, NUMBER_MESSAGE)]
    elif isinstance(field, DateField) and not _has_bound(field, _DateBounds):
        field.validators = [*field.validators, _DateBounds()]
    if getattr(field, "coerce", None) is int:
        # Choices coerced to int (ids): out of range is "not a valid choice".
        field.coerce = _db_int_coerce


class _WTFormsMessages:
    """WTForms' own messages ("Not a valid choice.") in the page's language.

    Flask-WTF's translations (flask_wtf/i18n.py) do the same but read WTForms'
    catalogue from disk again in every request that needs one (every form page: 6%
    of the application form's time); the catalogue does not change while the app
    runs, so here each language's is read once per process."""

    def gettext(self, string):
        return _wtforms_catalogue(str(get_locale())).gettext(string)

    def ngettext(self, singular, plural, n):
        return _wtforms_catalogue(str(get_locale())).ngettext(singular, plural, n)


@functools.cache
def _wtforms_catalogue(locale: str) -> NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


_WTFORMS_MESSAGES = _WTFormsMessages()


class Form(FlaskForm):
    """The base of every form in the app (tests/test_hostile_input.py checks)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):  # noqa: ARG002 - WTForms calls it so
            if not has_request_context():
                return None  # English, as Flask-WTF does outside a request
            return _WTFORMS_MESSAGES

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            bound(field)
            return field

        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and has_request_context() and request.is_json:
                # Browsers post forms, never JSON; refuse the shape instead of guessing.
                formdata = None
            formdata = super().wrap_formdata(form, formdata)
            form._had_control_characters = set()
            if formdata is None:
                return None
            return _cleaned(form, formdata)

    # The order the page shows the fields in, when it is not the order WTForms keeps
    # (the order fields were created: a subclass's fields come after its base's, a
    # field borrowed from another form keeps its place there). The error summary
    # lists errors in this order, the order a person meets them; fields not named
    # here follow.
    field_order: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.field_order:
            fields: dict[str, Any] = self._fields  # type: ignore[has-type]
            named = [name for name in self.field_order if name in fields]
            rest = [name for name in fields if name not in named]
            self._fields = type(fields)((name, fields[name]) for name in named + rest)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            if field.name in getattr(self, "_had_control_characters", ()):
                field.process_errors.append(CONTROL_CHARACTERS_MESSAGE)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if has_request_context() and g.get("csrf_error") is not None:
            # The request's CSRF check failed (CSRFProtect let it through to show the
            # form again): whatever the answers, this request changes nothing.
            self.form_errors.append(_csrf_message(g.csrf_error))
            return False
        return valid


def _cleaned(form: Form, formdata) -> MultiDict:
    """A copy of the posted values with intake.inputs' rules applied, field by field.
    The names of fields that had control characters are kept on the form."""
    fields = {field.name: field for field in form}
    cleaned: MultiDict[str, Any] = MultiDict()
    for key, value in formdata.items(multi=True):
        if isinstance(value, str):
            field = fields.get(key)
            value, removed = clean_text(
                value,
                multiline=isinstance(field, TextAreaField),
                # A password is compared with its hash as typed.
                normalise=not isinstance(field, PasswordField),
            )
            if removed:
                form._had_control_characters.add(key)
        cleaned.add(key, value)
    return cleaned


# CSRF --------------------------------------------------------------------------------


def shows_form_again_on_csrf_error(view):
    """Mark a view whose every action is behind ``form.validate()`` of a ``Form``: a
    request with a bad CSRF token reaches it, and the form comes back with the answers,
    a message and a fresh token (see CSRFProtect). Put it right under the route."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.shows_form_again_on_csrf_error = True  # type: ignore[attr-defined]  # a mark read by getattr
    return wrapper


class CSRFProtect(_CSRFProtect):
    """Flask-WTF's protection, except that a failure on a view marked
    ``@shows_form_again_on_csrf_error`` is remembered (``g.csrf_error``) for its form
    to report, instead of answering 400 before the view runs."""

    def protect(self, apply_exemptions=False):
        try:
            super().protect(apply_exemptions=apply_exemptions)
        except CSRFError as error:
            view = current_app.view_functions.get(request.endpoint or "")
            if not getattr(view, "shows_form_again_on_csrf_error", False):
                raise
            g.csrf_valid = False
            g.csrf_error = error
