"""Forms of application cycles: an admin's window (workspace: English) and the
public "e-mail me when it opens" (translated)."""

from __future__ import annotations

from datetime import UTC, datetime

from wtforms import DateTimeLocalField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from intake.fields import NormalisedEmailField, StrippedStringField, column_length
from intake.forms import Form
from intake.i18n import lazy_gettext as _l
from intake.models import ApplicationWindow, OpeningNotice
from intake.sessions.services import local, programs_zone

FORMAT = "%Y-%m-%dT%H:%M"


def _years(_form, field):
    if field.data is not None and not 1900 <= field.data.year <= 2999:
        raise ValidationError("Enter a date between 1900 and 2999.")


def _moment(label: str, what: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=FORMAT,
        description="In the programs' time zone, e.g. 2027-01-15 17:00.",
        validators=[InputRequired(f"Enter the date and time {what}."), _years],
    )


class WindowForm(Form):
    name = StrippedStringField(
        "Cycle name",
        description="What applicants read, e.g. “2023 cycle — groups begin after January 2024”.",
        validators=[
            InputRequired("Enter the cycle's name."),
            Length(max=column_length(ApplicationWindow.name)),
        ],
    )
    name_es = StrippedStringField(
        "Cycle name in Spanish",
        description="Optional: Spanish readers see the English name without it.",
        validators=[Optional(), Length(max=200)],
    )
    name_zh = StrippedStringField(
        "Cycle name in Chinese",
        description="Optional: Chinese readers see the English name without it.",
        validators=[Optional(), Length(max=200)],
    )
    opens_at = _moment("Opens", "applications open")
    closes_at = _moment("Closes", "applications close")

    @classmethod
    def for_window(cls, window: ApplicationWindow) -> WindowForm:
        names = window.name_translations or {}
        return cls(
            data={
                "name": window.name,
                "name_es": names.get("es"),
                "name_zh": names.get("zh"),
                "opens_at": local(window.opens_at).replace(tzinfo=None),
                "closes_at": local(window.closes_at).replace(tzinfo=None),
            }
        )

    def values(self) -> dict:
        """What the services take: the times as aware UTC datetimes."""

        def utc(moment: datetime) -> datetime:
            return moment.replace(tzinfo=programs_zone()).astimezone(UTC)

        return {
            "name": self.name.data,
            "translations": {"es": self.name_es.data, "zh": self.name_zh.data},
            "opens_at": utc(self.opens_at.data),
            "closes_at": utc(self.closes_at.data),
        }


class OpeningNoticeForm(Form):
    """ "E-mail me when it opens": an address, kept until the program opens."""

    email = NormalisedEmailField(
        _l("Your e-mail address"),
        description=_l("We send you one e-mail when applications open, then forget your address."),
        validators=[
            InputRequired(_l("Enter your e-mail address.")),
            Length(max=column_length(OpeningNotice.email)),
        ],
    )
