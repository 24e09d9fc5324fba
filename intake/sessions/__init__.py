"""A cohort's sessions: generated from a pattern, moved or cancelled one by one; the
calendar participants keep, the e-mails that tell them of a change, and reminders."""
