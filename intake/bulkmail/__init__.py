"""Bulk e-mail to the current filtered waitlist."""
