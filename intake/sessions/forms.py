"""Forms of the sessions pages (workspace: English)."""

from datetime import date, time

from wtforms import DateField, HiddenField, IntegerField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from intake.fields import ChoiceGroupField, RequiredWhen, StrippedStringField
from intake.forms import Form
from intake.inputs import db_int
from intake.models import CohortSession, Program
from intake.sessions import services
from intake.sessions.services import COUNT, LOCATIONS, MINUTES, PATTERNS, Where


def _web_address(_form, field):
    value = field.data or ""
    if value and (not value.startswith(("https://", "http://")) or " " in value or len(value) < 12):
        raise ValidationError("Enter the meeting's web address, starting with https://.")


class _WhenWhere(Form):
    start_time = TimeField(
        "Start time",
        description="In the programs' time zone, e.g. 18:00.",
        validators=[InputRequired("Enter the time the session starts, e.g. 18:00.")],
    )
    minutes = IntegerField(
        "Length in minutes",
        validators=[
            InputRequired("Enter how many minutes a session lasts."),
            NumberRange(*MINUTES, f"Enter a number of minutes from {MINUTES[0]} to {MINUTES[1]}."),
        ],
    )
    location_kind = ChoiceGroupField(
        "Where",
        choices=list(LOCATIONS.items()),
        validators=[InputRequired("Choose a video meeting or a place.")],
    )
    meeting_url = StrippedStringField(
        "Meeting link",
        description="For a video meeting: the link participants use to join.",
        validators=[
            RequiredWhen("location_kind", "online", "Enter the meeting link."),
            Length(max=500),
            _web_address,
        ],
    )
    place = StrippedStringField(
        "Place",
        description="For an in-person session: the address and any directions.",
        validators=[
            RequiredWhen("location_kind", "in_person", "Enter where the session takes place."),
            Length(max=500),
        ],
    )

    def where(self) -> Where:
        return Where(self.location_kind.data, self.meeting_url.data, self.place.data)


class GenerateForm(_WhenWhere):
    first_date = DateField(
        "Date of the first session",
        validators=[InputRequired("Enter the date of the first session.")],
    )
    pattern = ChoiceGroupField(
        "How often",
        choices=list(PATTERNS.items()),
        validators=[InputRequired("Choose how often the group meets.")],
    )
    count = IntegerField(
        "Number of sessions",
        validators=[
            InputRequired("Enter how many sessions to add."),
            NumberRange(*COUNT, f"Enter a number from {COUNT[0]} to {COUNT[1]}."),
        ],
    )

    @classmethod
    def for_cohort(cls, program: Program, first: date, start: time):
        """Filled with the program's defaults (request data wins on POST)."""
        return cls(
            data={
                "first_date": first,
                "pattern": program.session_pattern,
                "count": program.session_count,
                "start_time": start,
                "minutes": program.session_minutes,
                "location_kind": "online",
            }
        )


class SessionForm(_WhenWhere):
    day = DateField("Date", validators=[InputRequired("Enter the session's date.")])
    # The version the coordinator saw: a change made meanwhile is not overwritten.
    sequence = HiddenField()

    @classmethod
    def for_session(cls, session: CohortSession, **kwargs):
        """Filled with the session as it is (request data wins on POST, unless
        ``formdata=None``)."""
        starts = services.local(session.starts_at)
        return cls(
            **kwargs,
            data={
                "day": starts.date(),
                "start_time": starts.time().replace(tzinfo=None),
                "minutes": session.minutes,
                "location_kind": session.location_kind,
                "meeting_url": session.meeting_url,
                "place": session.place,
                "sequence": str(session.sequence),
            },
        )


class CancelForm(Form):
    sequence = HiddenField()


def seen_sequence(field) -> int | None:
    """The session version the form was made from; None when it is not one."""
    try:
        return db_int((field.data or "").strip(), 0)
    except ValueError:  # "²³" is a digit to str.isdigit but not to int()
        return None
