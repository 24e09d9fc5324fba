"""What a coordinator adds when entering an application for someone: how it came,
and the language of the person's e-mails. The questions and the application form
themselves are the public ones (intake.screener.forms, intake.applications.forms)."""

from wtforms.validators import InputRequired

from intake.fields import ChoiceGroupField
from intake.forms import Form
from intake.i18n import LANGUAGE_NAMES

VIA = [("phone", "By phone"), ("paper", "On a paper form")]


class EntryForm(Form):
    entered_via = ChoiceGroupField(
        "How did the application reach you?",
        id="entered-via",
        choices=VIA,
        validators=[InputRequired("Choose by phone or on a paper form.")],
    )
    locale = ChoiceGroupField(
        "Language for the person's e-mails",
        id="entry-locale",
        description="The confirmation with their private link, and every later e-mail.",
        choices=list(LANGUAGE_NAMES.items()),
        default="en",
        validators=[InputRequired("Choose the language of their e-mails.")],
    )
