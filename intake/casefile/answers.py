"""The applicant's answers as a coordinator reads them: question, then answer label."""

from __future__ import annotations

from intake import choices
from intake.applications.services import SENSITIVE_ANSWERS
from intake.eligibility.rules import RULES
from intake.i18n import gettext
from intake.models import Application
from intake.templating import CHOICES_BY_QUESTION

QUESTIONS = {
    "works_with_young_children": "Works with young children (birth to five)",
    "roles": "Roles",
    "role_other": "Other role",
    "retreat": "Can attend the in-person retreat",
    "works_in_illinois": "Works in Illinois",
    "is_leader": "Director or executive leadership",
    "serves_king_county": "Agency serves King County",
    "service_zips": "ZIP codes the agency serves",
    "bsk_consultation": "Already has reflective consultation from Best Starts for Kids",
    "commit_one_year": "Commits to at least one year",
    "commit_attendance": "Commits to consistent attendance",
    "commit_virtual": "Can meet virtually",
    "commit_cases": "Open to discussing real-life cases",
}
_YES_NO_QUESTIONS = {"commit_one_year", "commit_attendance", "commit_virtual", "commit_cases"}


def label(question: str, value) -> str:
    """An answer's label; lists joined; unknown values shown as they are."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(label(question, v) for v in value)
    if question in CHOICES_BY_QUESTION:
        return gettext(choices.label_for(CHOICES_BY_QUESTION[question], value))
    if question in _YES_NO_QUESTIONS:
        return gettext(choices.label_for(choices.YES_NO, value))
    return str(value)


def screener_answers(application: Application) -> list[tuple[str, str]]:
    """The answers this program's rules read, plus the roles.

    Only what this program asks: an answer to another program's question can give a
    self-identification answer away (the retreat question is asked only after a
    "yes"), so it stays off this page. The self-identification answer itself is shown
    apart, and only to the program's coordinators.
    """
    read = [q for key in application.program.rule_keys for q in RULES[key].reads]
    answers = application.applicant.answers or {}
    keys = [q for q in dict.fromkeys([*read, "roles", "role_other"]) if q in answers]
    return [
        (QUESTIONS.get(q, q), label(q, answers[q]))
        for q in keys
        if q not in SENSITIVE_ANSWERS and not (q == "role_other" and not answers[q])
    ]
