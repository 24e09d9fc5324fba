from collections.abc import Mapping
from types import MappingProxyType

from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from intake import choices
from intake.fields import (
    AtLeastOne,
    CheckboxGroupField,
    ChoiceGroupField,
    NormalisedEmailField,
    RequiredWhen,
    StrippedStringField,
    StrippedTextAreaField,
    ZipListField,
    column_length,
)
from intake.forms import Form
from intake.i18n import lazy_gettext as _l
from intake.models import Applicant
from intake.programs.seats import GROUP_SEATS_MAX, REQUEST_SEATS_MAX

ZIP_PATTERN = r"^\d{5}(-\d{4})?$"
PHONE_PATTERN = r"^[0-9+()\-.\s]{7,40}$"
PHONE_MESSAGE = _l("Enter a phone number, like 206 555 0100.")


class ApplicationForm(Form):
    """What every application asks, whoever applies. Subclasses add who they are."""

    programs = CheckboxGroupField(
        _l("Which programs do you want to apply for?"),
        description=_l("You can choose more than one. Each has its own waitlist."),
        validators=[AtLeastOne(_l("Choose at least one program."))],
    )
    email = NormalisedEmailField(
        _l("E-mail address"),
        description=_l("We send your confirmation and every update here."),
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    languages = CheckboxGroupField(
        _l("Languages you can take part in"),
        description=_l("Choose all that apply."),
        choices=choices.LANGUAGES,
        validators=[AtLeastOne(_l("Choose at least one language."))],
    )
    availability = CheckboxGroupField(
        _l("Days and times that work for you"),
        # The view puts how each program's groups meet before it (format_hint).
        description=_l("Choose all that apply."),
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
    # Set by the page (one per opened form), so a form sent twice is one application.
    form_token = HiddenField(
        validators=[
            Length(
                max=column_length(Applicant.form_token),
                message=_l("This form could not be sent as it was. Please send it again."),
            )
        ]
    )

    def details(self) -> dict:
        """The contact and participation details, as the submit service takes them."""
        return {
            "email": self.email.data,
            "languages": self.languages.data,
            "availability": self.availability.data,
            "access_needs": self.access_needs.data or [],
            "access_needs_other": self.access_needs_other.data or None,
            "consent_contact": bool(self.consent.data),
        }


class IndividualApplicationForm(ApplicationForm):
    field_order = (
        "programs",
        "name",
        "email",
        "phone",
        "organisation",
        "work_zip",
        "languages",
        "availability",
        "access_needs",
        "access_needs_other",
        "consent",
    )

    name = StrippedStringField(
        _l("Your name"),
        validators=[InputRequired(_l("Enter your name.")), Length(max=200)],
    )
    phone = StrippedStringField(
        _l("Phone number"),
        validators=[Optional(), Length(max=40), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)],
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
            Regexp(ZIP_PATTERN, message=_l("Enter a five-digit ZIP code, like 98104.")),
        ],
    )

    def details(self) -> dict:
        return {
            **super().details(),
            "name": self.name.data,
            "phone": self.phone.data or None,
            "organisation": self.organisation.data or None,
            "work_zip": self.work_zip.data,
        }


class AgencyApplicationForm(ApplicationForm):
    field_order = (
        "programs",
        "agency_name",
        "street",
        "city",
        "state",
        "zip",
        "service_zips",
        "leader_name",
        "leader_title",
        "email",
        "phone",
        "seats",
        "staff_roles",
        "languages",
        "availability",
        "access_needs",
        "access_needs_other",
        "heard_about",
        "heard_about_other",
        "consent",
    )

    agency_name = StrippedStringField(
        _l("Agency name"),
        validators=[InputRequired(_l("Enter your agency's name.")), Length(max=200)],
    )
    street = StrippedStringField(
        _l("Street address"),
        validators=[InputRequired(_l("Enter your agency's street address.")), Length(max=200)],
    )
    city = StrippedStringField(
        _l("City"),
        validators=[InputRequired(_l("Enter the city.")), Length(max=100)],
    )
    state = StrippedStringField(
        _l("State"),
        default="WA",
        validators=[InputRequired(_l("Enter the state.")), Length(max=50)],
    )
    zip = StrippedStringField(
        _l("ZIP code"),
        validators=[
            InputRequired(_l("Enter your agency's ZIP code.")),
            Regexp(ZIP_PATTERN, message=_l("Enter a five-digit ZIP code, like 98104.")),
        ],
    )
    service_zips = ZipListField(
        _l("ZIP codes your agency serves"),
        description=_l("Separate them with commas or spaces, for example: 98104, 98118."),
        validators=[
            InputRequired(_l("List the ZIP codes your agency serves.")),
            Length(max=2000),
        ],
    )
    leader_name = StrippedStringField(
        _l("Your name"),
        validators=[InputRequired(_l("Enter your name.")), Length(max=200)],
    )
    leader_title = StrippedStringField(
        _l("Your title"),
        description=_l("For example: Executive Director."),
        validators=[InputRequired(_l("Enter your title.")), Length(max=200)],
    )
    phone = StrippedStringField(
        _l("Phone number"),
        validators=[
            InputRequired(_l("Enter a phone number where we can reach you.")),
            Length(max=40),
            Regexp(PHONE_PATTERN, message=PHONE_MESSAGE),
        ],
    )
    seats = IntegerField(
        _l("How many staff would take part?"),
        description=_l(
            "We offer your agency's seats together, in one group of up to %(num)d people. "
            "If you ask for more, a coordinator will split your request across groups.",
            num=GROUP_SEATS_MAX,
        ),
        validators=[
            InputRequired(_l("Enter how many staff would take part, from 1 to 50.")),
            NumberRange(min=1, max=REQUEST_SEATS_MAX, message=_l("Enter a number from 1 to 50.")),
        ],
    )
    staff_roles = CheckboxGroupField(
        _l("Their roles"),
        description=_l("Choose all that apply."),
        choices=choices.ROLES,
        validators=[AtLeastOne(_l("Choose at least one role."))],
    )
    heard_about = ChoiceGroupField(
        _l("How did you hear about these groups?"),
        choices=choices.HEARD_ABOUT,
        validators=[Optional()],
    )
    heard_about_other = StrippedStringField(
        _l("Where did you hear about them?"),
        validators=[
            RequiredWhen("heard_about", "other", _l("Tell us where, or choose another answer.")),
            Length(max=200),
        ],
    )

    # The most seats each program can offer now, by slug (set by the view from
    # intake.programs.seats.request_limits); the smallest of the chosen ones binds.
    seat_limits: Mapping[str, int] = MappingProxyType({})

    def validate_seats(self, field) -> None:
        if field.errors or field.data is None:
            return
        chosen = [
            self.seat_limits[slug] for slug in self.programs.data or [] if slug in self.seat_limits
        ]
        if chosen and field.data > min(chosen):
            raise ValidationError(
                _l(
                    "Enter a number from 1 to %(num)d: that is the most seats the programs "
                    "you chose can offer now.",
                    num=min(chosen),
                )
            )

    def details(self) -> dict:
        return {
            **super().details(),
            "name": self.leader_name.data,
            "phone": self.phone.data,
            "organisation": self.agency_name.data,
            "work_zip": self.zip.data,
            "seats_requested": self.seats.data,
            "agency": {
                "agency_name": self.agency_name.data,
                "street": self.street.data,
                "city": self.city.data,
                "state": self.state.data,
                "zip": self.zip.data,
                "service_zips": self.service_zips.zip_codes,
                "leader_title": self.leader_title.data,
                "staff_roles": self.staff_roles.data,
                "heard_about": self.heard_about.data,
                "heard_about_other": self.heard_about_other.data or None,
            },
        }
