"""Admin forms: programs and coordinator accounts. Coordinator pages stay English."""

from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intake.admin import services
from intake.cohorts.forms import CohortForm
from intake.eligibility.rules import RULES
from intake.fields import (
    CheckboxGroupField,
    ChoiceGroupField,
    NormalisedEmailField,
    StrippedStringField,
    StrippedTextAreaField,
    select_choices,
)
from intake.forms import Form
from intake.programs import texts

KIND_CHOICES = [
    ("individual", "Individual: a practitioner applies for themself"),
    ("agency", "Agency: a director applies for several staff seats"),
]
OPEN_CHOICES = [
    ("open", "Open: shown to applicants, who can apply"),
    ("closed", "Closed: hidden from applicants; people already waiting stay"),
]
AUTO_OFFER_CHOICES = [
    ("on", "On: a freed seat is offered to the next matching person automatically"),
    ("off", "Off: a coordinator makes every offer"),
]
PATTERN_CHOICES = [
    ("weekly", "Every week"),
    ("biweekly", "Every two weeks"),
    ("monthly", "Every month"),
]
IN_PERSON_CHOICES = [
    ("yes", "Yes: part of the group meets in person (e.g. a retreat)"),
    ("no", "No: every session is a video meeting"),
]
ROLE_CHOICES = [
    ("coordinator", "Coordinator: runs the waitlist and cohorts"),
    ("admin", "Admin: also manages programs, cohorts and accounts (needs two-step sign-in)"),
    (
        "facilitator",
        "Facilitator: sees only the rosters of the groups they lead (set on each cohort), "
        "never the waitlist or self-identification answers",
    ),
]


def rule_choices(kind: str | None) -> list:
    """Checkbox choices for a program's rules: that kind's, or all of them (labelled
    with the screener they read) while the kind is still being chosen."""
    if kind is not None:
        pairs = [(key, RULES[key].label) for key in services.RULE_KEYS_BY_KIND[kind]]
    else:
        pairs = [
            (key, f"{RULES[key].label} ({kind_name} screener)")
            for kind_name, keys in services.RULE_KEYS_BY_KIND.items()
            for key in keys
        ]
    return select_choices(pairs)


def _number(label: str, bounds: tuple[int, int], description: str, optional=False):
    low, high = bounds
    message = f"Enter a number from {low} to {high}."
    first = Optional() if optional else InputRequired(message)
    return IntegerField(
        label, description=description, validators=[first, NumberRange(low, high, message)]
    )


def _days(label: str, bounds: tuple[int, int], description: str) -> IntegerField:
    low, high = bounds
    return IntegerField(
        label,
        description=description,
        validators=[
            InputRequired(f"Enter a number of days from {low} to {high}."),
            NumberRange(low, high, f"Enter a number of days from {low} to {high}."),
        ],
    )


class ProgramForm(Form):
    name = StrippedStringField(
        "Name",
        validators=[DataRequired("Enter the program's name."), Length(max=200)],
    )
    audience = StrippedTextAreaField(
        "Who it is for",
        validators=[DataRequired("Say who the program is for."), Length(max=2000)],
    )
    summary = StrippedTextAreaField(
        "Summary",
        validators=[DataRequired("Enter a short summary."), Length(max=2000)],
    )
    shape = StrippedTextAreaField(
        "Shape",
        description="How it runs: number of sessions, online or in person, a retreat.",
        validators=[DataRequired("Say how the program runs."), Length(max=1000)],
    )
    format_note = StrippedTextAreaField(
        "How the groups meet",
        description="As the program's page says it, e.g. “Groups meet monthly, for 10 "
        "sessions.” Shown on the application form. Leave empty when each cohort decides: "
        "applicants then read that each group sets its days and whether it meets online.",
        validators=[Optional(), Length(max=1000)],
    )
    rule_keys = CheckboxGroupField(
        "Eligibility rules",
        description="Every rule ticked must pass. With none ticked, everyone who applies "
        "is eligible.",
        choices=[],
    )
    is_open = ChoiceGroupField(
        "Applications",
        choices=OPEN_CHOICES,
        validators=[InputRequired("Choose open or closed.")],
    )
    offer_window_days = _days(
        "Days to answer an offer",
        services.OFFER_WINDOW_DAYS,
        "An offer holds its seats this long, then expires.",
    )
    checkin_interval_days = _days(
        "Days between check-ins",
        services.CHECKIN_INTERVAL_DAYS,
        "People waiting this long are asked whether they are still interested.",
    )
    checkin_window_days = _days(
        "Days to answer a check-in",
        services.CHECKIN_WINDOW_DAYS,
        "No answer in this time marks the person inactive (they can come back).",
    )
    auto_offer = ChoiceGroupField(
        "Automatic offers",
        choices=AUTO_OFFER_CHOICES,
        validators=[InputRequired("Choose on or off.")],
    )
    coordinator_email = NormalisedEmailField(
        "Coordinators' e-mail address (shown publicly)",
        description="Shown on the public pages as the program's contact, for questions "
        "before applying; applicants' replies to our e-mails go here too. Leave empty to "
        "show no address (replies then go to the general address).",
        validators=[Optional(), Length(max=254)],
    )
    position = IntegerField(
        "Position",
        description="Programs are listed from the lowest number up.",
        validators=[
            InputRequired("Enter a number."),
            NumberRange(*services.POSITION, "Enter a number from 0 to 9999."),
        ],
    )

    session_count = _number(
        "Number of sessions", services.SESSION_COUNT, "Filled in when adding a cohort's sessions."
    )
    session_minutes = _number("Minutes per session", services.SESSION_MINUTES, "")
    session_pattern = ChoiceGroupField(
        "How often sessions are",
        choices=PATTERN_CHOICES,
        validators=[InputRequired("Choose how often the group meets.")],
    )
    has_in_person_part = ChoiceGroupField(
        "In-person part",
        choices=IN_PERSON_CHOICES,
        validators=[InputRequired("Choose yes or no.")],
    )
    credit_minutes_per_session = _number(
        "Minutes credited per session attended",
        services.CREDIT_MINUTES,
        "Reflective supervision / consultation time. Leave empty to credit the session's length.",
        optional=True,
    )
    credit_cap_minutes = _number(
        "Most minutes credited for a group",
        services.CREDIT_CAP_MINUTES,
        "E.g. 720 for “up to 12 hours”. Leave empty for no limit.",
        optional=True,
    )
    completion_percent = _number(
        "Completion: share of sessions attended, in percent",
        services.COMPLETION_PERCENT,
        "Of the sessions held (cancelled ones do not count).",
    )

    def translated_fields(self) -> list[tuple[str, list]]:
        """Per language, its name and the fields of the program's texts in it."""
        return [
            (language, [self[f"{name}_{lang}"] for name in texts.PROGRAM_FIELDS])
            for lang, language in texts.OTHER_LANGUAGES.items()
        ]

    def fields(self) -> services.ProgramFields:
        return services.ProgramFields(
            name=self.name.data,
            audience=self.audience.data,
            summary=self.summary.data,
            shape=self.shape.data,
            rule_keys=list(self.rule_keys.data or []),
            is_open=self.is_open.data == "open",
            offer_window_days=self.offer_window_days.data,
            checkin_interval_days=self.checkin_interval_days.data,
            checkin_window_days=self.checkin_window_days.data,
            auto_offer=self.auto_offer.data == "on",
            coordinator_email=self.coordinator_email.data or None,
            position=self.position.data,
            session_count=self.session_count.data,
            session_minutes=self.session_minutes.data,
            session_pattern=self.session_pattern.data,
            credit_minutes_per_session=self.credit_minutes_per_session.data,
            credit_cap_minutes=self.credit_cap_minutes.data,
            has_in_person_part=self.has_in_person_part.data == "yes",
            completion_percent=self.completion_percent.data,
            format_note=self.format_note.data or None,
            translations=texts.program_translations(
                {
                    f"{name}_{lang}": self[f"{name}_{lang}"].data
                    for name in texts.PROGRAM_FIELDS
                    for lang in texts.OTHER_LANGUAGES
                }
            ),
        )

    @classmethod
    def for_program(cls, program):
        """The form filled with a program's values (request data wins on POST)."""
        form = cls(
            data={
                "name": program.name,
                "audience": program.audience,
                "summary": program.summary,
                "shape": program.shape,
                "rule_keys": program.rule_keys,
                "is_open": "open" if program.is_open else "closed",
                "offer_window_days": program.offer_window_days,
                "checkin_interval_days": program.checkin_interval_days,
                "checkin_window_days": program.checkin_window_days,
                "auto_offer": "on" if program.auto_offer else "off",
                "coordinator_email": program.coordinator_email,
                "position": program.position,
                "session_count": program.session_count,
                "session_minutes": program.session_minutes,
                "session_pattern": program.session_pattern,
                "credit_minutes_per_session": program.credit_minutes_per_session,
                "credit_cap_minutes": program.credit_cap_minutes,
                "has_in_person_part": "yes" if program.has_in_person_part else "no",
                "completion_percent": program.completion_percent,
                "format_note": program.format_note,
                **{
                    f"{name}_{lang}": (program.translations.get(lang) or {}).get(name)
                    for name in texts.PROGRAM_FIELDS
                    for lang in texts.OTHER_LANGUAGES
                },
            }
        )
        form.rule_keys.choices = rule_choices(program.kind)
        return form


# Each applicant-facing text again in Spanish and Chinese; empty = not translated
# (readers of that language then see the English, marked as English).
_TEXT_LABELS = {
    "name": ("Name", 200),
    "audience": ("Who it is for", 2000),
    "summary": ("Summary", 2000),
    "shape": ("Shape", 1000),
    "format_note": ("How the groups meet", 1000),
}
for _name in texts.PROGRAM_FIELDS:
    for _lang, _language in texts.OTHER_LANGUAGES.items():
        _label, _max = _TEXT_LABELS[_name]
        setattr(
            ProgramForm,
            f"{_name}_{_lang}",
            (StrippedStringField if _name == "name" else StrippedTextAreaField)(
                f"{_label} in {_language}",
                validators=[Optional(), Length(max=_max)],
            ),
        )


class NewProgramForm(ProgramForm):
    kind = ChoiceGroupField(
        "Who applies",
        description="Decides which screener and form people use. It cannot change later.",
        choices=KIND_CHOICES,
        validators=[InputRequired("Choose who applies.")],
    )

    @classmethod
    def blank(cls):
        form = cls(
            data={
                "is_open": "open",
                "offer_window_days": 7,
                "checkin_interval_days": 90,
                "checkin_window_days": 14,
                "auto_offer": "off",
                "position": 100,
                "session_count": 6,
                "session_minutes": 90,
                "session_pattern": "monthly",
                "has_in_person_part": "no",
                "completion_percent": 80,
            }
        )
        form.rule_keys.choices = rule_choices(None)
        return form


class CoordinatorForm(Form):
    name = StrippedStringField(
        "Name", validators=[DataRequired("Enter the person's name."), Length(max=200)]
    )
    role = ChoiceGroupField(
        "Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")]
    )
    programs = CheckboxGroupField(
        "Programs they coordinate",
        description="Coordinators see self-identification answers only for these programs. "
        "Not for facilitators.",
        choices=[],
        coerce=int,
    )


class NewCoordinatorForm(CoordinatorForm):
    email = NormalisedEmailField(
        "E-mail address",
        description="They get an e-mail with a link to choose their own password.",
        validators=[DataRequired("Enter the person's e-mail address."), Length(max=254)],
    )


class CohortEditForm(CohortForm):
    """A cohort's settings and the facilitator accounts who lead it."""

    facilitator_accounts = CheckboxGroupField(
        "Facilitator accounts",
        description="They sign in to mark attendance and see this group's roster, and "
        "nothing else. Create one under Coordinators with the role Facilitator.",
        choices=[],
        coerce=int,
    )

    def set_facilitators(self, accounts) -> None:
        self.facilitator_accounts.choices = select_choices(
            (a.id, f"{a.name} ({a.email})") for a in accounts
        )
