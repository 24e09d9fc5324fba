from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intake.fields import ChoiceGroupField, StrippedTextAreaField
from intake.forms import Form
from intake.review.forms import message_field, reason_field

PRIORITY_MIN, PRIORITY_MAX = -99, 99


class NoteForm(Form):
    body = StrippedTextAreaField(
        "Add a note",
        id="note-body",
        description="Seen by coordinators only.",
        validators=[DataRequired("Write the note first."), Length(max=5000)],
    )


class PriorityForm(Form):
    priority = IntegerField(
        "New priority",
        id="priority-value",
        description="Higher numbers are offered a seat first; 0 is the usual priority.",
        validators=[
            InputRequired("Enter a whole number."),
            NumberRange(
                PRIORITY_MIN,
                PRIORITY_MAX,
                f"Use a whole number from {PRIORITY_MIN} to {PRIORITY_MAX}.",
            ),
        ],
    )
    reason = reason_field("priority-reason", "Reason for the change")


class ApproveForm(Form):
    reason = reason_field("approve-reason")


class DeclineForm(Form):
    reason = reason_field("decline-reason")
    message = message_field("Message to the applicant", "decline-message")


class WithdrawForm(Form):
    reason = reason_field("withdraw-reason", "Reason for withdrawing")


class DuplicateForm(Form):
    resolution = ChoiceGroupField(
        "How to resolve it",
        id="duplicate-resolution",
        choices=[
            ("keep_both", "Keep both: they are different applications"),
            ("merged", "Merge: withdraw this application; the other keeps its place"),
        ],
        validators=[InputRequired("Choose keep both or merge.")],
    )
    reason = reason_field("duplicate-reason", "Reason")


class OverrideForm(Form):
    """Approve an ineligible application anyway: onto the waitlist, at the back of the
    line unless given a priority."""

    reason = reason_field("override-reason", "Reason for the override")
    priority = IntegerField(
        "Priority (optional)",
        id="override-priority",
        description=(
            "Leave empty to join at the back of the line (0, the usual priority). "
            "Higher numbers are offered a seat first."
        ),
        validators=[
            Optional(),
            NumberRange(
                PRIORITY_MIN,
                PRIORITY_MAX,
                f"Use a whole number from {PRIORITY_MIN} to {PRIORITY_MAX}.",
            ),
        ],
    )
