"""Attendance forms: one person's mark, and everyone present. Workspace: English."""

from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from intake.attendance.services import STATUSES
from intake.fields import select_choices
from intake.forms import Form


class MarkForm(Form):
    """One tap: a person (``participant``) and the button pressed (``status``)."""

    participant = IntegerField(
        validators=[InputRequired("Choose a person."), NumberRange(1, 2**31 - 1)]
    )
    status = SelectField(
        choices=select_choices(STATUSES.items()),
        validators=[InputRequired("Choose present, absent or excused.")],
    )


class EveryonePresentForm(Form):
    """Marks every active participant present: nothing to fill in."""
