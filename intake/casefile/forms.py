from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from intake.fields import ChoiceGroupField, StrippedStringField, StrippedTextAreaField
from intake.forms import Form
from intake.programs.seats import GROUP_SEATS_MAX
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


class SplitForm(Form):
    parts = StrippedStringField(
        "Split into parts of",
        id="split-parts",
        description=(
            f"Seats in each part, separated by commas, like 12, 12, 6. Each part is "
            f"offered whole, in one group: 1 to {GROUP_SEATS_MAX} seats. The parts add "
            "up to the seats requested; this application keeps the first."
        ),
        validators=[DataRequired("Enter the parts, like 12, 12, 6."), Length(max=200)],
    )
    # The seats the page showed: a split is refused when they changed meanwhile.
    seats = IntegerField(id="split-seats", widget=HiddenInput(), validators=[InputRequired()])
    reason = reason_field("split-reason", "Reason for splitting")
