"""The pages behind the action links in applicants' e-mails."""
