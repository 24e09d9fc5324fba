from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional

from intake.fields import ChoiceGroupField
from intake.forms import Form
from intake.i18n import lazy_gettext as _l
from intake.survey.questions import QUESTIONS, SCALE

COMMENTS_LENGTH = 5000


def _rating(statement: str) -> ChoiceGroupField:
    # Every question may be skipped: a person answers what they want to.
    return ChoiceGroupField(_l(statement), choices=SCALE, validators=[Optional()])


class SurveyForm(Form):
    """The evaluation: a rating per question (each optional), comments, and whether
    we may use the person's name with their answers (not unless ticked)."""

    safe_to_share = _rating(QUESTIONS[0][1])
    helped_work = _rating(QUESTIONS[1][1])
    facilitator = _rating(QUESTIONS[2][1])
    recommend = _rating(QUESTIONS[3][1])
    comments = TextAreaField(
        _l("Anything else you would like to tell us?"),
        description=_l("Please do not write about the children or families you work with."),
        validators=[Optional(), Length(max=COMMENTS_LENGTH)],
    )
    use_my_name = BooleanField(
        _l(
            "You may use my name with my answers. "
            "If you leave this empty, your answers are anonymous."
        )
    )

    def ratings(self) -> dict[str, int]:
        """The questions answered, as whole numbers."""
        return {key: int(self[key].data) for key, _ in QUESTIONS if self[key].data}
