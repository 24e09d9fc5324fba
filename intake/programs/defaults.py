"""The programs a fresh install starts with, drawn from the programs' own pages.

Texts are marked for translation: templates pass program texts through gettext, so
these defaults appear in the reader's language, and a text an admin has edited
appears as written.
"""

from intake.eligibility.rules import AGENCY_RULE_KEYS
from intake.i18n_markers import N_

DEFAULT_PROGRAMS = [
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
        "rule_keys": ["prenatal_to_five"],
        "position": 10,
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
        "rule_keys": ["prenatal_to_five", "bipoc_self_identification", "retreat_attendance"],
        "position": 20,
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
        "rule_keys": AGENCY_RULE_KEYS,
        "position": 30,
    },
    {
        "slug": "reflective-practice-group",
        "kind": "individual",
        "name": N_("Reflective practice group (10 sessions)"),
        "audience": N_(
            "Professionals of any discipline working with infants, young children and their "
            "families."
        ),
        "summary": N_(
            "Multidisciplinary groups led by experienced, credentialed infant and early "
            "childhood mental health (IECMH) professionals."
        ),
        "shape": N_(
            "10 sessions, with up to 12 hours of reflective supervision toward the IECMH "
            "Endorsement."
        ),
        "rule_keys": ["prenatal_to_five"],
        "position": 40,
    },
]
