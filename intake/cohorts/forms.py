from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from intake import choices
from intake.cohorts.services import SEATS_DEFAULT, SEATS_MAX, SEATS_MIN
from intake.fields import StrippedStringField, select_choices


class CohortForm(FlaskForm):
    program = SelectField(
        "Program", coerce=int, choices=[], validators=[InputRequired("Choose a program.")]
    )
    name = StrippedStringField(
        "Name",
        description="How coordinators tell cohorts apart, e.g. “Spring 2026 evening group”.",
        validators=[DataRequired("Enter a name for the cohort."), Length(max=200)],
    )
    language = SelectField(
        "Language",
        choices=select_choices(choices.LANGUAGES),
        validators=[InputRequired("Choose the language the group meets in.")],
    )
    facilitator = StrippedStringField(
        "Facilitator",
        validators=[DataRequired("Enter who leads the group."), Length(max=200)],
    )
    schedule = StrippedStringField(
        "Schedule",
        description="As applicants should read it, e.g. “First Tuesday of the month, 6–8 pm”.",
        validators=[DataRequired("Enter when the group meets."), Length(max=200)],
    )
    time_slot = SelectField(
        "Time of day",
        description="Matched against the days and times applicants said work for them.",
        choices=select_choices(choices.AVAILABILITY),
        validators=[InputRequired("Choose when in the week the group meets.")],
    )
    start_date = DateField(
        "Start date",
        validators=[InputRequired("Enter the date of the first meeting.")],
    )
    seats = IntegerField(
        "Seats",
        description=f"From {SEATS_MIN} to {SEATS_MAX}; groups are small on purpose.",
        default=SEATS_DEFAULT,
        validators=[
            InputRequired("Enter the number of seats."),
            NumberRange(SEATS_MIN, SEATS_MAX, f"Enter a number from {SEATS_MIN} to {SEATS_MAX}."),
        ],
    )

    def set_programs(self, programs) -> None:
        self.program.choices = select_choices(
            (p.id, p.name if p.is_open else f"{p.name} (closed)") for p in programs
        )

    def values(self, programs_by_id) -> dict:
        return {
            "program": programs_by_id[self.program.data],
            "name": self.name.data,
            "language": self.language.data,
            "facilitator": self.facilitator.data,
            "schedule": self.schedule.data,
            "time_slot": self.time_slot.data,
            "start_date": self.start_date.data,
            "seats": self.seats.data,
        }
