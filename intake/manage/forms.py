"""The applicant's forms on the manage pages.

The details forms take their fields from the application forms, so a person is asked
the same questions, with the same choices and checks, when they change an answer.
"""

from wtforms import BooleanField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from intake.applications.forms import (
    AgencyApplicationForm,
    ApplicationForm,
    IndividualApplicationForm,
)
from intake.fields import NormalisedEmailField, StrippedTextAreaField
from intake.forms import Form
from intake.i18n import lazy_gettext as _l


class IndividualDetailsForm(Form):
    field_order = ("name", "phone", "languages", "availability")
    name = IndividualApplicationForm.name
    phone = IndividualApplicationForm.phone
    languages = ApplicationForm.languages
    availability = ApplicationForm.availability


class AgencyDetailsForm(Form):
    field_order = ("name", "phone", "languages", "availability")
    # The leader's name and a phone number are required of agencies when they apply.
    name = AgencyApplicationForm.leader_name
    phone = AgencyApplicationForm.phone
    languages = ApplicationForm.languages
    availability = ApplicationForm.availability


def details_form_class(kind: str) -> type[Form]:
    return AgencyDetailsForm if kind == "agency" else IndividualDetailsForm


class WithdrawForm(Form):
    reason = StrippedTextAreaField(
        _l("Why are you leaving?"),
        description=_l("This helps us run the groups better. You do not have to say."),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Please keep it under 1,000 characters.")),
        ],
    )


class DeleteForm(Form):
    confirm = BooleanField(
        _l("I understand: my details will be deleted and this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm that you want your data deleted."))],
    )


class RequestLinkForm(Form):
    email = NormalisedEmailField(
        _l("E-mail address"),
        description=_l("The address you applied with."),
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
