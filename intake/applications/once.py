"""Committing one application form once per form token, for the public form and for a
coordinator's on-behalf entry alike.

The form token is unique: a copy of the form sent twice (double click, resubmit, two
requests at once) is refused by the constraint at insert, and the first copy's
applicant is the answer. A new reference that clashes with a stored one (29**8 values)
is refused by its unique constraint too: then the form goes in once more with new
references. Neither is looked up first: that would cost every application a round trip
for cases the constraints settle anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from intake.applications.services import find_by_form_token
from intake.extensions import db
from intake.models import Applicant


def commit_once(add: Callable[[int], Applicant], form_token: str) -> tuple[int, bool]:
    """Commit what ``add(attempt)`` puts in the session (attempt 0, then 1 at most) and
    return the applicant's id and whether this call made it (False: a concurrent copy
    of the form did). A domain error ``add`` raises reaches the caller, which rolls
    back."""
    for attempt in range(2):
        try:
            # Read before the commit, which expires it (reading after costs a query).
            applicant_id = add(attempt).id
            db.session.commit()
            return applicant_id, True
        except IntegrityError:
            db.session.rollback()
            found = find_by_form_token(form_token)
            if found is not None:
                return found.id, False
            if attempt:
                raise
    raise AssertionError("unreachable: the second attempt returns or raises")
