"""One notion of "this request wants a fragment"."""

from htmx_flask import request


def is_htmx() -> bool:
    """An htmx request that is not a history restore (which needs the full page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request
