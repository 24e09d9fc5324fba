"""Answer choices shared by the screener and the application forms."""

from intake.i18n_markers import N_

ROLES = [
    ("ece_teacher", N_("Early care and education teacher or caregiver")),
    ("family_child_care", N_("Family child care provider")),
    ("ffn_caregiver", N_("Family, friend or neighbor caregiver")),
    ("center_director", N_("Child care center director")),
    ("head_start", N_("Head Start / Early Head Start")),
    ("home_visitor", N_("Home visitor (including nurse home visitor)")),
    ("ei_service_coordinator", N_("Early intervention (Part C) service coordinator")),
    ("ei_developmental_specialist", N_("Early intervention developmental specialist")),
    ("ei_therapist", N_("Occupational, physical or speech therapist (OT/PT/SLP)")),
    ("doula_perinatal", N_("Doula or perinatal worker")),
    ("community_health_worker", N_("Community health worker")),
    ("nurse", N_("Pediatric or maternal-child health nurse")),
    ("mental_health_clinician", N_("Mental health clinician")),
    ("iecmh_consultant", N_("Infant and early childhood mental health (IECMH) consultant")),
    ("child_welfare", N_("Child welfare")),
    ("family_advocate", N_("Family advocate or peer support")),
    ("leadership_research", N_("Supervisor, administrator, policy, faculty or research")),
    ("other", N_("Other")),
]

# Languages people can take part in, named in their own script.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("cmn", "中文（普通话 Mandarin）"),
    ("asl", "ASL (American Sign Language)"),
]

AVAILABILITY = [
    ("weekday_morning", N_("Weekday mornings")),
    ("weekday_midday", N_("Weekdays around lunch time")),
    ("weekday_afternoon", N_("Weekday afternoons")),
    ("weekday_evening", N_("Weekday evenings")),
    ("weekend", N_("Weekends")),
]

ACCESS_NEEDS = [
    ("asl_interpreter", N_("ASL interpreter")),
    ("captions", N_("Live captions (CART)")),
    ("spoken_interpreter", N_("Spoken-language interpreter")),
]

WORKS_WITH_YOUNG_CHILDREN = [
    ("direct", N_("Yes, I work with young children and/or their families")),
    ("support", N_("I supervise, train or support people who do")),
    ("unsure", N_("I am not sure")),
    ("no", N_("No")),
]

BIPOC = [
    ("yes", N_("Yes")),
    ("no", N_("No")),
    ("prefer_not", N_("I prefer not to say")),
]

RETREAT = [
    ("yes", N_("Yes")),
    ("unsure", N_("I am not sure yet")),
    ("no", N_("No")),
]


def label_for(choices: list[tuple[str, str]], value: str) -> str:
    return dict(choices).get(value, value)


YES_NO = [
    ("yes", N_("Yes")),
    ("no", N_("No")),
]

YES_NO_UNSURE = [
    ("yes", N_("Yes")),
    ("no", N_("No")),
    ("unsure", N_("I am not sure")),
]

# How a cohort meets (Cohort.delivery).
DELIVERY = [
    ("online", N_("Online")),
    ("in_person", N_("In person")),
    ("hybrid", N_("Online and in person")),
]

HEARD_ABOUT = [
    ("best_starts", N_("Best Starts for Kids")),
    ("colleague", N_("A colleague or another agency")),
    ("newsletter", N_("An e-mail or newsletter")),
    ("event", N_("A training, conference or event")),
    ("social_media", N_("Social media")),
    ("other", N_("Somewhere else")),
]
