from wtforms.validators import InputRequired

from intake.fields import ChoiceGroupField
from intake.forms import Form
from intake.i18n import lazy_gettext as _l
from intake.i18n_markers import N_

DEFER, LEAVE = "defer", "leave"


class ConfirmForm(Form):
    """Just the button (and its CSRF token): the link already says what to do."""


class DeclineForm(Form):
    choice = ChoiceGroupField(
        _l("What would you like to do?"),
        choices=[
            (DEFER, N_("Keep my place on the waitlist for a later group")),
            (LEAVE, N_("Take me off the waitlist")),
        ],
        validators=[InputRequired(_l("Choose whether to keep your place or leave the list."))],
    )
