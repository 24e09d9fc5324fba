from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from intake import choices
from intake.fields import AtLeastOne, CheckboxGroupField, StrippedStringField, StrippedTextAreaField


class NormalisedEmailField(EmailField):
    """An e-mail address checked and normalised by email-validator (no DNS look-up)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()

    def pre_validate(self, form):
        if not self.data:
            return
        try:
            self.data = validate_email(self.data, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValidationError(_l("Enter an e-mail address like name@example.org.")) from exc


class IndividualApplicationForm(FlaskForm):
    programs = CheckboxGroupField(
        _l("Which programs do you want to apply for?"),
        description=_l("You can choose more than one. Each has its own waitlist."),
        validators=[AtLeastOne(_l("Choose at least one program."))],
    )
    name = StrippedStringField(
        _l("Your name"),
        validators=[InputRequired(_l("Enter your name.")), Length(max=200)],
    )
    email = NormalisedEmailField(
        _l("E-mail address"),
        description=_l("We send your confirmation and every update here."),
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    phone = StrippedStringField(
        _l("Phone number"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(
                r"^[0-9+()\-.\s]{7,40}$", message=_l("Enter a phone number, like 206 555 0100.")
            ),
        ],
    )
    organisation = StrippedStringField(
        _l("Organization or program you work for"),
        validators=[Optional(), Length(max=200)],
    )
    work_zip = StrippedStringField(
        _l("ZIP code where you work"),
        description=_l("Five digits, like 98104."),
        validators=[
            InputRequired(_l("Enter the ZIP code where you work.")),
            Regexp(r"^\d{5}(-\d{4})?$", message=_l("Enter a five-digit ZIP code, like 98104.")),
        ],
    )
    languages = CheckboxGroupField(
        _l("Languages you can take part in"),
        description=_l("Choose all that apply."),
        choices=choices.LANGUAGES,
        validators=[AtLeastOne(_l("Choose at least one language."))],
    )
    availability = CheckboxGroupField(
        _l("Days and times that work for you"),
        description=_l("Groups usually meet once a month for two hours. Choose all that apply."),
        choices=choices.AVAILABILITY,
        validators=[AtLeastOne(_l("Choose at least one time that works for you."))],
    )
    access_needs = CheckboxGroupField(
        _l("Access needs"),
        description=_l("So we can book support weeks ahead."),
        choices=choices.ACCESS_NEEDS,
        validators=[Optional()],
    )
    access_needs_other = StrippedTextAreaField(
        _l("Anything else that would help you take part"),
        validators=[Optional(), Length(max=1000)],
    )
    consent = BooleanField(
        _l("You may contact me by e-mail about this application."),
        validators=[
            DataRequired(_l("We need your permission to e-mail you about your application."))
        ],
    )
    form_token = HiddenField()

    def details(self) -> dict:
        """The contact and participation details, as the submit service takes them."""
        return {
            "name": self.name.data,
            "email": self.email.data,
            "phone": self.phone.data or None,
            "organisation": self.organisation.data or None,
            "work_zip": self.work_zip.data,
            "languages": self.languages.data,
            "availability": self.availability.data,
            "access_needs": self.access_needs.data or [],
            "access_needs_other": self.access_needs_other.data or None,
            "consent_contact": bool(self.consent.data),
        }
