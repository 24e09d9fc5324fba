from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length

from intake import choices
from intake.fields import (
    AtLeastOne,
    CheckboxGroupField,
    ChoiceGroupField,
    RequiredWhen,
    StrippedStringField,
)


class IndividualScreenerForm(FlaskForm):
    """The questions the individual programs' rules read (intake.eligibility.rules)."""

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

    def answers(self) -> dict:
        """The answers as the rules read them (partial answers included)."""
        return {
            "works_with_young_children": self.works_with_young_children.data,
            "roles": [r for r in (self.roles.data or []) if r in dict(choices.ROLES)],
            "role_other": self.role_other.data or None,
            "bipoc": self.bipoc.data,
            "retreat": self.retreat.data if self.bipoc.data == "yes" else None,
        }

    @property
    def shows_retreat(self) -> bool:
        return self.bipoc.data == "yes"

    @property
    def shows_role_other(self) -> bool:
        return "other" in (self.roles.data or [])
