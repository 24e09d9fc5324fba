"""The bulk e-mail form: a subject and a text per language, English required."""

from __future__ import annotations

import re

from flask import request
from wtforms import HiddenField
from wtforms.validators import Length, Optional, ValidationError

from intake.bulkmail.services import ENGLISH, LANGUAGES
from intake.fields import StrippedStringField, StrippedTextAreaField, column_length
from intake.forms import Form
from intake.models import BulkMessage

SUBJECT_MAX = 150
BODY_MAX = 5000
_LINE_BREAK = re.compile("[\r\n\u2028\u2029\x85]")


def _one_line(_form, field):
    """A subject becomes a mail header: a line break in it is refused, never passed on
    (the form's cleaning has already made it a space; the person is told)."""
    if _LINE_BREAK.search(request.form.get(field.name, "")):
        raise ValidationError("A subject is one line: remove the line break.")


def _subject(language: str):
    return StrippedStringField(
        f"Subject ({language})",
        validators=[
            _one_line,
            Length(max=SUBJECT_MAX, message=f"Keep the subject to {SUBJECT_MAX} characters."),
        ],
    )


def _body(language: str):
    return StrippedTextAreaField(
        f"Text ({language})",
        description="Plain text: what you type is shown as written, never as a link or markup. "
        "A blank line starts a new paragraph.",
        validators=[Length(max=BODY_MAX, message=f"Keep the text to {BODY_MAX:,} characters.")],
    )


class BulkMailForm(Form):
    subject_en = _subject("English")
    body_en = _body("English")
    subject_es = _subject("Spanish")
    body_es = _body("Spanish")
    subject_zh = _subject("Chinese")
    body_zh = _body("Chinese")
    # Made when the form is opened: sending it twice finds the first message.
    form_token = HiddenField(
        validators=[
            Length(
                min=16,
                max=column_length(BulkMessage.form_token),
                message="This form could not be sent as it was. Open it again from the waitlist.",
            )
        ]
    )
    # How many people in each language the confirmation named ("en:3 es:2"), set on
    # the confirmation step: a send that would reach more people asks again.
    expected = HiddenField(validators=[Optional(), Length(max=60)])

    def fields_for(self, code: str):
        return self[f"subject_{code}"], self[f"body_{code}"]

    def validate_subject_en(self, field):
        if not field.data:
            raise ValidationError(
                "Write a subject in English: everyone without their own version reads it."
            )

    def validate_body_en(self, field):
        if not field.data:
            raise ValidationError(
                "Write the text in English: everyone without their own version reads it."
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for code, language in LANGUAGES.items():
            if code == ENGLISH:
                continue
            subject, body = self.fields_for(code)
            if bool(subject.data) != bool(body.data) and not (subject.errors or body.errors):
                missing = body if subject.data else subject
                missing.errors = [
                    *missing.errors,
                    f"Write both a subject and a text in {language}, or neither "
                    "(then these people get the English version).",
                ]
                valid = False
        return valid

    def expected_counts(self) -> dict[str, int] | None:
        """The counts the confirmation showed; None when there were none (or they
        were tampered with)."""
        counts = {}
        for part in (self.expected.data or "").split():
            code, _, number = part.partition(":")
            if code not in LANGUAGES or not number.isdigit() or len(number) > 9:
                return None
            counts[code] = int(number)
        return counts or None

    def versions(self, languages) -> dict[str, dict[str, str]]:
        """The versions written for ``languages`` (English always)."""
        versions = {}
        for code in LANGUAGES:
            subject, body = self.fields_for(code)
            if (code == ENGLISH or code in languages) and subject.data and body.data:
                versions[code] = {"subject": subject.data, "body": body.data}
        return versions
