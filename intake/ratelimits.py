"""Rate limits on the public forms: per client address, per e-mail address, per session.

A training room shares one Wi-Fi, so one public address: limits per client address
are sized for a room of people applying together, and the tighter limits follow what
one person does (the e-mail address they type, the browser session they type in).
The figures are settings (``RATELIMIT_*`` in intake.config).

A refused request never loses what the person typed: ``form_limits`` runs the view
again without its limits, ``refused(form)`` tells the view not to act and puts a
message at the top of the form, and the page answers 429.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g, request, session
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from intake.extensions import limiter
from intake.i18n import gettext as _
from intake.i18n import ngettext

# The browser session's own id for counting, kept in the (signed) session cookie.
SESSION_KEY = "rl_id"
# The refusal of this request, while its view runs again without limits.
_REFUSED = "rate_limit_refused"
MAX_EMAIL_LENGTH = 254


def client_address() -> str:
    return "ip:" + (get_remote_address() or "")


def session_key() -> str:
    """A random id for this browser session, made on its first limited post.

    A client that sends no cookie gets a new id every time, so this limit only
    follows real browsers; the client-address limit holds the rest.
    """
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(16)
        session[SESSION_KEY] = value
    return "session:" + value


def email_key(field: str) -> Callable[[], str]:
    """A key function for the address typed in ``field``: lower-cased and keyed with
    the secret key, so the limiter's store and log never hold the address. An empty
    field gives an empty key, and Flask-Limiter skips the limit (the form then
    refuses the empty field itself)."""

    def key() -> str:
        value = request.form.get(field, "")[: MAX_EMAIL_LENGTH * 2].strip().lower()
        if not value:
            return ""
        digest = hmac.new(
            current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256
        ).hexdigest()[:32]
        return f"email:{digest}"

    key.__name__ = f"email_key_{field}"
    return key


def _setting(name: str) -> Callable[[], str]:
    def limit() -> str:
        return current_app.config[name]

    limit.__name__ = f"limit_{name}"
    return limit


def _accepted(response) -> bool:
    """Only what went through counts: a form sent back with errors (422) or
    refused does not use up the person's allowance."""
    return response.status_code < 400


def per_address(setting: str, scope: str):
    """Every post counts, accepted or not, per client address."""
    return limiter.shared_limit(
        _setting(setting), scope=scope, key_func=client_address, methods=["POST"]
    )


def per_session(setting: str, scope: str):
    return limiter.shared_limit(
        _setting(setting),
        scope=scope,
        key_func=session_key,
        methods=["POST"],
        deduct_when=_accepted,
    )


def per_email(setting: str, scope: str, field: str = "email", *, every_post: bool = False):
    """Per e-mail address typed in ``field``. Only accepted posts count, unless
    ``every_post`` (sign-in, where the failures are what matter)."""
    return limiter.shared_limit(
        _setting(setting),
        scope=scope,
        key_func=email_key(field),
        methods=["POST"],
        deduct_when=None if every_post else _accepted,
    )


def form_limits(*limits):
    """Apply ``limits`` to a view; when one refuses, run the view again without them.

    The view then sees ``refused(form)`` true: it shows the form again with what was
    typed and a message, and answers 429 (``status(...)``). Put it under ``route``.
    """

    # The methods the limits count (Flask-Limiter's RouteLimit.methods; None: every
    # method). A form's limits count what is sent, never a GET of the page, so a GET
    # skips Flask-Limiter's check (it found nothing to count: 3.5 % of the screener's
    # time), unless Flask-Limiter holds a limit on every request (``_limits_on_every_request``).
    counted = {method.lower() for limit in limits for method in (limit.methods or ("*",))}
    if not counted <= {"post", "put", "patch", "delete"}:
        raise ValueError("form_limits takes limits that count sent forms only (methods=...)")

    def decorator(view):
        limited = view
        for limit in reversed(limits):
            limited = limit(limited)

        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method.lower() not in counted and not _limits_on_every_request():
                return view(*args, **kwargs)
            try:
                return limited(*args, **kwargs)
            except RateLimitExceeded as exc:
                setattr(g, _REFUSED, exc)
                return view(*args, **kwargs)

        return wrapper

    return decorator


_EVERY_REQUEST = "intake_limits_on_every_request"


def _held_by_limiter() -> bool:
    """Whether Flask-Limiter holds a limit that is not a view's own: default,
    application or meta limits, a limit on a whole blueprint, or the in-memory
    fallback (from the settings, RATELIMIT_DEFAULT and kin, or the Limiter's own
    arguments). It keeps them on its shared object, so this reads them there, in its
    private attributes: it has no public way to ask, and a rename fails at start."""
    manager = limiter.limit_manager
    return bool(
        manager._default_limits
        or manager._application_limits
        or manager._blueprint_limits
        or limiter._meta_limits
        or limiter._in_memory_fallback_enabled
    )


def leave_out_idle_check(app: Flask) -> None:
    """Flask-Limiter checks before every request, then again in each limited view's
    decorator. While every limit is a view's own (the default here), the first check
    resolved the limits of every page to find nothing to count: 5 % of home's Python
    calls, 3.3 % of the screener's. It is then taken out, and a form's GET skips its
    decorator's check too (``form_limits``). Call it once every blueprint is
    registered. ``_check_request_limit`` is the hook Flask-Limiter registers (once per
    app); tests/test_ratelimits.py checks no hook of the limiter's is left."""
    app.extensions[_EVERY_REQUEST] = _held_by_limiter()
    hooks = app.before_request_funcs.get(None, [])
    if not app.extensions[_EVERY_REQUEST] and limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def _limits_on_every_request() -> bool:
    # What leave_out_idle_check found for this app (an app made without it: as if
    # there were such limits).
    return current_app.extensions.get(_EVERY_REQUEST, True)


def is_refused() -> bool:
    return getattr(g, _REFUSED, None) is not None


def refused(form) -> bool:
    """True when this request was refused by a limit; the form then carries the
    message (shown by the error summary) and the view must not act on it."""
    exc = getattr(g, _REFUSED, None)
    if exc is None:
        return False
    if not any(message == _refusal_message(exc) for message in form.form_errors):
        form.form_errors.append(_refusal_message(exc))
    return True


def status(default: int) -> int:
    return 429 if is_refused() else default


def _refusal_message(exc: RateLimitExceeded) -> str:
    key_func = exc.limit.key_func
    if key_func is session_key:
        why = _("This form was sent from this browser many times in a short while.")
    elif key_func in (client_address, get_remote_address):
        why = _(
            "This form was sent from your network many times in a short while. "
            "If many people around you are applying, some may need to wait a little."
        )
    else:
        why = _("This form was sent with this e-mail address many times in a short while.")
    minutes = _minutes_to_wait()
    wait = ngettext(
        "Please wait a moment: nothing was sent, and your answers are still here. "
        "You can send the form again in about %(num)d minute.",
        "Please wait a moment: nothing was sent, and your answers are still here. "
        "You can send the form again in about %(num)d minutes.",
        minutes,
    )
    return f"{why} {wait}"


def _minutes_to_wait() -> int:
    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, math.ceil((current.reset_at - time.time()) / 60))
