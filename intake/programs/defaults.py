"""The programs a fresh install starts with, drawn from the programs' own pages.

Texts are marked for translation: templates pass program texts through gettext, so
these defaults appear in the reader's language, and a text an admin has edited
appears as written.

The shape of a group (``SESSION_DEFAULTS``: sessions, their length and spacing, credit,
an in-person part) is data too: a coordinator generates a cohort's sessions from it.
"""

from typing import Any

from intake.eligibility.rules import AGENCY_RULE_KEYS
from intake.i18n_markers import N_

DEFAULT_PROGRAMS: list[dict[str, Any]] = [
    {
        "slug": "introductory",
        "kind": "individual",
        "name": N_("Introductory reflective practice"),
        "audience": N_(
            "Anyone working with children prenatal to five years of age and their families."
        ),
        "summary": N_(
            "A place to begin or refresh reflective practice: time to pause and look at your "
            "experiences with curiosity and compassion, so you can grow and better serve "
            "families."
        ),
        "shape": N_("6 virtual sessions."),
        # The seed does not say how the groups meet: each cohort's delivery says it.
        "format_note": None,
        "rule_keys": ["prenatal_to_five"],
        "position": 10,
        # The seed says 6 sessions; virtual or in person is set per cohort.
        "session_count": 6,
        "session_minutes": 90,
        "session_pattern": "weekly",
    },
    {
        "slug": "bipoc-intensive",
        "kind": "individual",
        "name": N_("Intensive reflective practice for BIPOC practitioners"),
        "audience": N_(
            "Black, Indigenous and People of Color (BIPOC) working with children prenatal to "
            "five years of age and their families."
        ),
        "summary": N_(
            "A more intensive program in a space created for and by BIPOC practitioners, "
            "where belonging, healing and shared wisdom are at the center."
        ),
        "shape": N_("Virtual sessions and an in-person retreat."),
        "format_note": N_("Virtual sessions, plus an in-person retreat."),
        "rule_keys": ["prenatal_to_five", "bipoc_self_identification", "retreat_attendance"],
        "position": 20,
        # Virtual sessions plus an in-person retreat (a session with a place).
        "session_count": 8,
        "session_minutes": 120,
        "session_pattern": "biweekly",
        "has_in_person_part": True,
    },
    {
        "slug": "king-county-consultation",
        "kind": "agency",
        "name": N_("King County reflective consultation groups"),
        "audience": N_(
            "Agencies serving King County children prenatal to five and their families that "
            "do not already receive reflective consultation through Best Starts for Kids. "
            "A director or executive leader applies for the agency."
        ),
        "summary": N_(
            "Reflective consultation groups for your staff, at no cost to your agency. "
            "Groups discuss real-life cases and ask for at least one year and consistent "
            "attendance."
        ),
        "shape": N_(
            "Virtual groups. Consultants speak English, Spanish, Mandarin and American Sign "
            "Language."
        ),
        # The seed says virtual, for at least a year; how often groups meet is not said.
        "format_note": N_("Groups meet online, for at least one year."),
        "rule_keys": AGENCY_RULE_KEYS,
        "position": 30,
        # At least one year, meeting monthly, virtual.
        "session_count": 12,
        "session_minutes": 120,
        "session_pattern": "monthly",
    },
    {
        "slug": "reflective-practice-group",
        "kind": "individual",
        "name": N_("Reflective practice groups in Illinois (10 sessions)"),
        "audience": N_(
            "Professionals of any discipline working in Illinois with infants, young children "
            "and their families."
        ),
        "summary": N_(
            "Multidisciplinary groups throughout Illinois, run by the Illinois Association for "
            "Infant Mental Health (ILAIMH) and led by experienced, credentialed infant and early "
            "childhood mental health professionals."
        ),
        "shape": N_(
            "10 sessions, with up to 12 hours of reflective supervision toward the ILAIMH "
            "credential."
        ),
        "format_note": N_("Groups meet monthly, for 10 sessions."),
        "rule_keys": ["prenatal_to_five", "works_in_illinois"],
        "position": 40,
        # 10 sessions, up to 12 hours of reflective supervision that count toward the
        # ILAIMH Infant/Early Childhood Mental Health credential.
        "session_count": 10,
        "session_minutes": 90,
        "session_pattern": "monthly",
        "credit_cap_minutes": 720,
    },
]


# The group-shape columns and what a program has in them before any seeding (the
# migration's server defaults): seeding fills them only while they still hold these.
SESSION_DEFAULTS = {
    "session_count": 6,
    "session_minutes": 90,
    "session_pattern": "weekly",
    "credit_minutes_per_session": None,
    "credit_cap_minutes": None,
    "has_in_person_part": False,
}
