"""The survey's questions: rating questions answered on a 1 to 5 scale. Pure data,
shared by the form, the service and the reports (no Flask here)."""

from __future__ import annotations

from intake.i18n_markers import N_

# Key (stored in SurveyResponse.ratings) and the statement people rate. The order
# is the page's and the reports'. A key, once used, is never reused for another
# statement: stored answers would change meaning.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("safe_to_share", N_("I felt safe to share my work and my feelings in the group.")),
    ("helped_work", N_("The group helped my work with young children and their families.")),
    ("facilitator", N_("The facilitator guided the group well.")),
    ("recommend", N_("I would recommend this group to a colleague.")),
)
QUESTION_KEYS = tuple(key for key, _ in QUESTIONS)

# What the workspace (English) calls each question in a report.
REPORT_LABELS = {
    "safe_to_share": "Felt safe to share",
    "helped_work": "Helped my work with families",
    "facilitator": "Facilitator guided the group well",
    "recommend": "Would recommend the group",
}

SCALE: tuple[tuple[str, str], ...] = (
    ("1", N_("1 – Strongly disagree")),
    ("2", N_("2 – Disagree")),
    ("3", N_("3 – Neither agree nor disagree")),
    ("4", N_("4 – Agree")),
    ("5", N_("5 – Strongly agree")),
)
LOWEST, HIGHEST = 1, 5
