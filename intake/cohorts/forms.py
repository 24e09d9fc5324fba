from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intake import choices
from intake.cohorts.services import SEATS_DEFAULT, SEATS_MAX, SEATS_MIN
from intake.fields import StrippedStringField, StrippedTextAreaField, select_choices
from intake.forms import Form
from intake.inputs import ids
from intake.programs.texts import schedule_translations

# Coordinator pages stay English: the labels of intake.choices.DELIVERY, untranslated.
DELIVERY_CHOICES = list(choices.DELIVERY)


class CohortForm(Form):
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
    facilitator_credential = StrippedStringField(
        "Credential shown on letters of hours",
        description="The facilitator’s, e.g. “IMH-E® Infant Mental Health Mentor”.",
        validators=[Optional(), Length(max=200)],
    )
    schedule = StrippedStringField(
        "Schedule",
        description="As applicants should read it, e.g. “First Tuesday of the month, 6–8 pm”.",
        validators=[DataRequired("Enter when the group meets."), Length(max=200)],
    )
    schedule_es = StrippedStringField(
        "Schedule in Spanish",
        description="Leave empty until translated: Spanish readers then see the English, "
        "marked as English.",
        validators=[Optional(), Length(max=200)],
    )
    schedule_zh = StrippedStringField(
        "Schedule in Chinese",
        description="Leave empty until translated: Chinese readers then see the English, "
        "marked as English.",
        validators=[Optional(), Length(max=200)],
    )
    delivery = SelectField(
        "How it meets",
        description="Shown to applicants with the offer and on their page.",
        choices=select_choices([("", "Not decided yet"), *DELIVERY_CHOICES]),
        validators=[Optional()],
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
            "facilitator_credential": self.facilitator_credential.data or None,
            "schedule": self.schedule.data,
            "schedule_translations": schedule_translations(
                {"schedule_es": self.schedule_es.data, "schedule_zh": self.schedule_zh.data}
            ),
            "delivery": self.delivery.data or None,
            "time_slot": self.time_slot.data,
            "start_date": self.start_date.data,
            "seats": self.seats.data,
        }


REASON_MAX = 2000


class OfferNextForm(Form):
    """Confirms the preview; ``previewed`` holds the ids the coordinator saw, so the
    answer can say when fewer (or other) people were offered."""

    # Comma-separated ids, one per seat at most.
    previewed = HiddenField(id="offer-next-previewed", validators=[Length(max=2000)])

    def previewed_ids(self) -> list[int]:
        return ids((self.previewed.data or "").split(","))


class OfferOneForm(Form):
    application = IntegerField(
        "Who to offer a seat to",
        id="offer-application",
        validators=[InputRequired("Choose the person to offer a seat to.")],
    )
    reason = StrippedTextAreaField(
        "Reason, if they are not next in line",
        id="offer-reason",
        description=(
            "Needed to offer a seat out of queue order; kept in their timeline and on the "
            "offer. Not sent."
        ),
        validators=[Optional(), Length(max=REASON_MAX)],
    )
    # The search the list was narrowed by, kept when the form comes back with an error.
    q = HiddenField(id="offer-one-q")


class RescindForm(Form):
    """Taking one open offer back; made with ``prefix=f"rescind-{offer.id}"`` so every
    offer's form on the page has its own field ids."""

    reason = StrippedTextAreaField(
        "Reason for taking the offer back",
        description="Kept in their timeline. They are e-mailed that the offer was withdrawn.",
        validators=[
            DataRequired("Give a reason for taking the offer back."),
            Length(max=REASON_MAX),
        ],
    )


def rescind_form(offer_id: int, **kwargs) -> RescindForm:
    return RescindForm(prefix=f"rescind-{offer_id}", **kwargs)
