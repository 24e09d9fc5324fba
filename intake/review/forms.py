from wtforms import SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from intake.fields import AtLeastOne, StrippedTextAreaField
from intake.forms import Form

REASON_MAX = 2000
MESSAGE_MAX = 10000

REASON_DESCRIPTION = "Kept in the application's timeline for other coordinators. Not sent."


def reason_field(id_: str = "reason", label: str = "Reason for this decision"):
    return StrippedTextAreaField(
        label,
        id=id_,
        description=REASON_DESCRIPTION,
        validators=[
            DataRequired("Give a reason: it is recorded with the decision."),
            Length(max=REASON_MAX),
        ],
    )


class SelectionField(SelectMultipleField):
    """Application ids from checkboxes or hidden inputs; the view looks them up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, coerce=int, validate_choice=False, **kwargs)


class QueueActionForm(Form):
    """The review queue's one form: ticked applications, an action and a reason."""

    ids = SelectionField(
        "Applications",
        validators=[AtLeastOne("Tick at least one application.")],
    )
    action = StringField(validators=[AnyOf(["approve", "decline"], "Choose approve or decline.")])
    reason = reason_field()


class DeclineForm(Form):
    """Declining the chosen applications: a reason, and one message per applicant,
    added per application by ``decline_form``."""

    ids = SelectionField(validators=[AtLeastOne("Tick at least one application.")])
    reason = reason_field()


def message_field(label: str, id_: str):
    return StrippedTextAreaField(
        label,
        id=id_,
        description="Sent to the applicant as it stands here, in their language.",
        validators=[
            DataRequired("Write the message the applicant will receive."),
            Length(max=MESSAGE_MAX),
        ],
    )


def decline_form(applications, **kwargs) -> DeclineForm:
    """A DeclineForm with a ``message_<id>`` field for each application."""

    class Form(DeclineForm):
        pass

    for application in applications:
        name = f"message_{application.id}"
        label = f"Message to {application.applicant.name} ({application.reference})"
        setattr(Form, name, message_field(label, name))
    return Form(**kwargs)
