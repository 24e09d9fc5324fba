"""One notion of "this request wants a fragment"."""

from htmx_flask import request

from intake.ratelimits import is_refused


def is_htmx() -> bool:
    """An htmx request that is not a history restore (which needs the full page).

    A request refused by a rate limit gets the whole page too: htmx swaps a 429's
    <main> for the page's (htmx-config in base.html; see intake.ratelimits)."""
    if is_refused():
        return False
    return bool(request.htmx) and not request.htmx.history_restore_request
