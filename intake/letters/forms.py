from wtforms.validators import DataRequired, Length

from intake.fields import StrippedStringField, StrippedTextAreaField
from intake.forms import Form
from intake.i18n import lazy_gettext as _l


class VerifyForm(Form):
    """The code printed on a letter, typed in: a GET form, so the address says it all."""

    class Meta:
        # Looking a letter up changes nothing.
        csrf = False

    code = StrippedStringField(
        _l("Verification code"),
        description=_l("It is printed at the bottom of the letter, e.g. ABCD-EFGH-JKMN."),
        validators=[DataRequired(_l("Enter the code printed on the letter.")), Length(max=40)],
    )


class ReissueForm(Form):
    reason = StrippedTextAreaField(
        "What was corrected",
        description=(
            "For the record, e.g. “Attendance of 3 March corrected”. The new letter is "
            "made from the data as it is now and e-mailed to the participant."
        ),
        validators=[DataRequired("Say what was corrected."), Length(max=1000)],
    )


def reissue_form(letter_id: int, **kwargs) -> ReissueForm:
    """One form per letter on the page: its own prefix keeps their fields apart."""
    return ReissueForm(prefix=f"reissue-{letter_id}", **kwargs)
