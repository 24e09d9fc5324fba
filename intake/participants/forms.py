"""The director's form for naming a staff member for a seat (and for replacing one).

Access needs are the application form's own question, with its choices."""

from wtforms.validators import InputRequired, Length

from intake import choices
from intake.applications.forms import ApplicationForm
from intake.fields import ChoiceGroupField, NormalisedEmailField, StrippedStringField, column_length
from intake.forms import Form
from intake.i18n import lazy_gettext as _l
from intake.models import Participant
from intake.participants.services import StaffDetails

# A named person's e-mail and page are in one of the app's languages.
STAFF_LANGUAGES = [("en", "English"), ("es", "Español"), ("zh", "中文")]


class StaffForm(Form):
    name = StrippedStringField(
        _l("Their name"),
        validators=[
            InputRequired(_l("Enter their name.")),
            Length(max=column_length(Participant.name)),
        ],
    )
    email = NormalisedEmailField(
        _l("Their e-mail address"),
        description=_l("We send them their own link here: their sessions, attendance and hours."),
        validators=[InputRequired(_l("Enter their e-mail address.")), Length(max=254)],
    )
    role = ChoiceGroupField(
        _l("Their role"),
        choices=choices.ROLES,
        validators=[InputRequired(_l("Choose their role."))],
    )
    language = ChoiceGroupField(
        _l("The language we write to them in"),
        choices=STAFF_LANGUAGES,
        default="en",
        validators=[InputRequired(_l("Choose a language."))],
    )
    access_needs = ApplicationForm.access_needs
    access_needs_other = ApplicationForm.access_needs_other

    def details(self) -> StaffDetails:
        return StaffDetails(
            name=self.name.data,
            email=self.email.data,
            role=self.role.data,
            locale=self.language.data,
            access_needs=list(self.access_needs.data or []),
            access_needs_other=self.access_needs_other.data or None,
        )
