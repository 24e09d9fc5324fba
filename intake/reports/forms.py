from datetime import date, timedelta

from wtforms import DateField, SelectField
from wtforms.validators import Optional

from intake.forms import Form

# A longer period would make the weekly chart unreadable.
LONGEST_PERIOD = timedelta(days=3 * 366)


def a_year_before(day: date) -> date:
    """The first day of the twelve months that end on ``day``."""
    try:
        return day.replace(year=day.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + timedelta(days=1)


class ReportFilterForm(Form):
    """The program and dates a report covers: a GET form, so the URL says it all."""

    class Meta:
        # Reading a report changes nothing, and the URL should be shareable.
        csrf = False

    program = SelectField("Program", validators=[Optional()])
    date_from = DateField("From", name="from", validators=[Optional()])
    date_to = DateField("To", name="to", validators=[Optional()])

    def __init__(self, *args, programs=(), today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.program.choices = [("", "All programs")] + [(p.slug, p.name) for p in programs]
        # An empty or missing date means the default: the last twelve months.
        self.default_to = today
        self.default_from = a_year_before(today)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        # Checked here rather than in a field validator, which an empty (Optional)
        # field would skip: an empty date stands for its default.
        start, end = self.period()
        if end < start:
            self.date_to.errors.append("The end date must be on or after the start date.")
        elif end - start > LONGEST_PERIOD:
            self.date_to.errors.append("Choose a period of at most three years.")
        return not self.date_to.errors

    def period(self) -> tuple[date, date]:
        """The first and last day the report covers (both included)."""
        return (self.date_from.data or self.default_from, self.date_to.data or self.default_to)

    def fill_defaults(self) -> None:
        """Show the dates the report uses in the fields left empty."""
        for field, default in (
            (self.date_from, self.default_from),
            (self.date_to, self.default_to),
        ):
            if field.data is None and not field.errors:
                field.data = default
                field.raw_data = None  # else the empty answer is shown again
