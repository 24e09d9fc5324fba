"""The one rule for the e-mail addresses the app takes: the forms and the command line
that makes accounts both check with it, and each says why in its own words."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class AddressRefused(ValueError):
    """Why an address was refused: ``reason`` is "invalid" (not an e-mail address) or
    "not_ascii" (letters such as "é" before the @, which mail from here cannot carry).
    ``detail``: email-validator's own words for an invalid one, in English (for
    operators; the forms say it in the visitor's language)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def checked_address(address: str, *, receives_mail: bool = True) -> str:
    """``address`` as email-validator normalises it (no DNS look-up), or AddressRefused.
    ``receives_mail=False`` for an address that is only looked up (signing in), where
    refusing one that mail cannot carry would lock its account out."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressRefused("invalid", str(exc)) from exc
    if receives_mail and not checked.local_part.isascii():
        # Letters such as "é" before the @ need a mail server that takes SMTPUTF8, and
        # Flask-Mail writes the envelope in ASCII: such an address could never be
        # written to (a name in a domain can: it goes as its ASCII form).
        raise AddressRefused("not_ascii")
    return checked.normalized
