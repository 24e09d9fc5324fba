from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from intake.auth.services import MIN_PASSWORD_LENGTH
from intake.fields import ChoiceGroupField, NormalisedEmailField, StrippedStringField
from intake.forms import Form
from intake.i18n import lazy_gettext as _l


class LoginForm(Form):
    email = NormalisedEmailField(
        _l("E-mail address"),
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254)],
        # Only looked up: an account made with any address can sign in.
        receives_mail=False,
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=200)],
    )


class CodeForm(Form):
    code = StrippedStringField(
        _l("Code from your authenticator app"),
        description=_l("Six digits. A new code appears every 30 seconds."),
        validators=[
            InputRequired(_l("Enter the six-digit code.")),
            Length(max=12),
            # ASCII digits (spaces and hyphens allowed between them): "١٢٣" or "²" are
            # digits to Python, but not a code.
            Regexp(r"^[0-9 -]*$", message=_l("Enter the six-digit code.")),
        ],
    )


class ForgotPasswordForm(Form):
    email = NormalisedEmailField(
        _l("E-mail address"),
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words work well."),
        validators=[
            InputRequired(_l("Enter a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least 12 characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Enter the new password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class DigestForm(Form):
    """The daily digest e-mail on or off (the coordinator's own account page)."""

    digest = ChoiceGroupField(
        "Daily digest e-mail",
        description="One e-mail in the morning, on days when there is something to see: "
        "new applications in review, failed e-mails, offers about to end, people who "
        "missed two sessions in a row.",
        choices=[("on", "On"), ("off", "Off")],
        validators=[InputRequired("Choose on or off.")],
    )
