from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from wtforms.validators import InputRequired, Length, Optional

from intake import choices
from intake.fields import (
    AtLeastOne,
    CheckboxGroupField,
    ChoiceGroupField,
    NormalisedEmailField,
    RequiredIf,
    RequiredWhen,
    StrippedStringField,
    ZipListField,
)
from intake.forms import Form
from intake.i18n import lazy_gettext as _l


class CountsQuestions:
    """For a screener form: how many questions its page says it asks."""

    # Questions asked only after a given answer ("Describe your role" after "Other").
    followup_fields: tuple[str, ...] = ()
    # Questions asked only when the form's flag says so: {"field": "flag attribute"}.
    asked_when: dict[str, str] = {}  # noqa: RUF012 - read only

    @property
    def question_count(self) -> int:
        """How many questions everyone is asked (follow-ups not counted)."""
        fields: Any = self  # a Form: iterating it gives its fields
        return sum(
            1
            for field in fields
            if field.type != "CSRFTokenField"
            and field.name not in self.followup_fields
            and getattr(self, self.asked_when.get(field.name, ""), True)
        )


class IndividualScreenerForm(CountsQuestions, Form):
    """The questions the individual programs' rules read (intake.eligibility.rules)."""

    followup_fields = ("role_other", "retreat")
    asked_when = {"works_in_illinois": "asks_illinois"}  # noqa: RUF012 - read only

    works_with_young_children = ChoiceGroupField(
        # The WestEd screening question, in its own words.
        _l("Do you work with young children ages birth to five?"),
        description=_l("This includes work with expecting parents and with families."),
        choices=choices.WORKS_WITH_YOUNG_CHILDREN,
        validators=[InputRequired(_l("Tell us whether you work with young children."))],
    )
    roles = CheckboxGroupField(
        _l("What is your role?"),
        description=_l("Choose all that apply."),
        choices=choices.ROLES,
        validators=[AtLeastOne(_l("Choose at least one role, or choose Other and describe it."))],
    )
    role_other = StrippedStringField(
        _l("Describe your role"),
        validators=[
            RequiredWhen("roles", "other", _l("Describe your role, or untick Other.")),
            Length(max=200),
        ],
    )
    bipoc = ChoiceGroupField(
        _l("Do you identify as Black, Indigenous, or a Person of Color (BIPOC)?"),
        description=_l(
            "We ask only because one program is a space for BIPOC practitioners. Your answer "
            "is never checked, is seen only by that program's coordinators, and does not "
            "change anything for the other programs."
        ),
        choices=choices.BIPOC,
        validators=[InputRequired(_l("Choose an answer. You can choose “I prefer not to say”."))],
    )
    retreat = ChoiceGroupField(
        _l("The BIPOC program includes an in-person retreat. Could you attend it?"),
        choices=choices.RETREAT,
        validators=[
            RequiredWhen("bipoc", "yes", _l("Tell us whether you could attend the retreat."))
        ],
    )
    works_in_illinois = ChoiceGroupField(
        _l("Do you work in Illinois?"),
        description=_l(
            "We ask only because the 10-session groups are run in Illinois, by the Illinois "
            "Association for Infant Mental Health."
        ),
        choices=choices.YES_NO_UNSURE,
        validators=[RequiredIf("asks_illinois", _l("Tell us whether you work in Illinois."))],
    )
    # Set by the view: whether a program considered needs the Illinois answer.
    asks_illinois = False

    def answers(self) -> dict:
        """The answers as the rules read them (partial answers included)."""
        return {
            "works_with_young_children": self.works_with_young_children.data,
            "roles": [r for r in (self.roles.data or []) if r in dict(choices.ROLES)],
            # Without JavaScript the follow-up is on the page whatever the roles.
            "role_other": (self.role_other.data or None) if self.shows_role_other else None,
            "bipoc": self.bipoc.data,
            "retreat": self.retreat.data if self.bipoc.data == "yes" else None,
            "works_in_illinois": self.works_in_illinois.data if self.asks_illinois else None,
        }

    @property
    def shows_retreat(self) -> bool:
        return self.bipoc.data == "yes"

    @property
    def shows_role_other(self) -> bool:
        return "other" in (self.roles.data or [])


class AgencyScreenerForm(CountsQuestions, Form):
    """The questions the agency rules read, asked of the person applying for an agency."""

    followup_fields = ("service_zips",)

    is_leader = ChoiceGroupField(
        _l("Are you your agency's director, or part of its executive leadership?"),
        description=_l("Applications must come from leadership, on behalf of the agency."),
        choices=choices.YES_NO,
        validators=[InputRequired(_l("Tell us whether you are part of your agency's leadership."))],
    )
    serves_king_county = ChoiceGroupField(
        _l(
            "Does your agency serve children prenatal to five and their families in King "
            "County, Washington?"
        ),
        choices=choices.YES_NO_UNSURE,
        validators=[InputRequired(_l("Tell us whether your agency serves King County."))],
    )
    service_zips = ZipListField(
        _l("Which ZIP codes does your agency serve?"),
        description=_l("Separate them with commas or spaces, for example: 98104, 98118."),
        validators=[
            RequiredWhen("serves_king_county", "yes", _l("List the ZIP codes your agency serves.")),
            Length(max=2000),
        ],
    )
    bsk_consultation = ChoiceGroupField(
        _l("Is your agency receiving reflective consultation through Best Starts for Kids now?"),
        choices=choices.YES_NO_UNSURE,
        validators=[
            InputRequired(
                _l("Tell us whether your agency already receives reflective consultation.")
            )
        ],
    )
    commit_one_year = ChoiceGroupField(
        _l("Can your agency take part for at least one year?"),
        choices=choices.YES_NO,
        validators=[InputRequired(_l("Answer yes or no."))],
    )
    commit_attendance = ChoiceGroupField(
        _l("Can your staff attend consistently and take an active part?"),
        choices=choices.YES_NO,
        validators=[InputRequired(_l("Answer yes or no."))],
    )
    commit_virtual = ChoiceGroupField(
        _l("Can your staff join the groups online (by video)?"),
        choices=choices.YES_NO,
        validators=[InputRequired(_l("Answer yes or no."))],
    )
    commit_cases = ChoiceGroupField(
        _l("Are your staff open to discussing real-life cases from their work in the group?"),
        choices=choices.YES_NO,
        validators=[InputRequired(_l("Answer yes or no."))],
    )

    def answers(self) -> dict:
        return {
            "is_leader": self.is_leader.data,
            "serves_king_county": self.serves_king_county.data,
            "service_zips": self.service_zips.zip_codes if self.shows_zips else [],
            "bsk_consultation": self.bsk_consultation.data,
            "commit_one_year": self.commit_one_year.data,
            "commit_attendance": self.commit_attendance.data,
            "commit_virtual": self.commit_virtual.data,
            "commit_cases": self.commit_cases.data,
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_leader.data == "no":
            # Only leadership can apply: the other answers change nothing for someone
            # else, so they are not asked for (the results offer to e-mail the director).
            for field in self:
                if field is not self.is_leader and field.type != "CSRFTokenField":
                    field.errors = []
            valid = not self.errors
        return valid

    @property
    def shows_zips(self) -> bool:
        return self.serves_king_county.data in ("yes", "unsure")


class DirectorReferralForm(Form):
    """A staff member asks us to e-mail their director a link to apply."""

    director_email = NormalisedEmailField(
        _l("Your director's e-mail address"),
        description=_l("We send one message and do not keep the address."),
        validators=[InputRequired(_l("Enter your director's e-mail address.")), Length(max=254)],
    )
    your_name = StrippedStringField(
        _l("Your name"),
        description=_l("So your director knows who asked us to write."),
        validators=[Optional(), Length(max=200)],
    )


@dataclass(frozen=True)
class Screener:
    """One applicant path's screener: its questions, page and follow-up blocks."""

    kind: str
    form_class: type[Form]
    template: str
    # A completed screener's answers wait on the server (intake.screener.drafts)
    # until the application is sent; the session holds only their key, under this name.
    session_key: str
    followups: tuple[str, ...]
    # Answers asked only while a program considered has a rule that reads them:
    # the form's flag to set -> the rule key.
    asked_for_rules: tuple[tuple[str, str], ...] = ()

    def form(self, rule_keys: Collection[str], **kwargs) -> Any:
        """The screener's form, asking the questions only some programs need (the
        Illinois one) when a program considered applies the rule that reads them:
        ``rule_keys`` are the rules of the programs considered."""
        form = self.form_class(**kwargs)
        for flag, rule_key in self.asked_for_rules:
            setattr(form, flag, rule_key in rule_keys)
        return form


INDIVIDUAL = Screener(
    kind="individual",
    form_class=IndividualScreenerForm,
    template="screener/individual.html",
    session_key="screener",
    followups=("followup_role_other", "followup_retreat"),
    asked_for_rules=(("asks_illinois", "works_in_illinois"),),
)
AGENCY = Screener(
    kind="agency",
    form_class=AgencyScreenerForm,
    template="screener/agency.html",
    session_key="agency_screener",
    followups=("followup_zips",),
)
