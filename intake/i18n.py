"""Choosing the language of a page: ?lang=, then the choice kept in the session, then
the reader's own language or the browser's."""

import flask_babel
from flask import current_app, g, request, session

LANGUAGE_NAMES = {"en": "English", "es": "Español", "zh": "中文"}
# Where the site keeps a language picked with ?lang=.
SESSION_KEY = "lang"


def choose_language(own: str | None = None, *, remember: str | None = SESSION_KEY) -> str:
    """The language to show a page in, the one place that decides it.

    In order: the one picked with ``?lang=`` (kept in the session under ``remember``;
    None keeps nothing and reads nothing), the one picked before, then ``own`` — the
    reader's language when we know who reads (an applicant's, from their application)
    — or for anyone else the browser's ``Accept-Language``; else BABEL_DEFAULT_LOCALE.
    Without arguments it is the app's locale selector.
    """
    supported = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    picked = request.args.get("lang")
    if picked is not None and picked in supported:
        if remember:
            session[remember] = picked
        return picked
    if remember and session.get(remember) in supported:
        return session[remember]
    if own is not None:
        return own if own in supported else default
    return request.accept_languages.best_match(supported) or default


# Translating fast ----------------------------------------------------------------------
# flask_babel finds the translations for every string anew: three lookups of ``g``, the
# locale turned into a string, a dict look-up; a screener page translates ~100 strings.
# Here the answer is kept beside flask_babel's own locale, and found again only when that
# locale object changes (force_locale swaps it and puts the old one back; refresh()
# removes it), so an e-mail in another language inside a request stays right.


def translations():
    """The current translations object, as flask_babel.get_translations() gives it."""
    state = g.get("_flask_babel")
    if state is not None:
        kept = state.__dict__.get("intake_translations")
        if kept is not None and kept[0] is getattr(state, "babel_locale", None):
            return kept[1]
    found = flask_babel.get_translations()
    state = g.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.intake_translations = (state.babel_locale, found)
    return found


def gettext(string: str, **variables) -> str:
    translated = translations().ugettext(string)
    return translated % variables if variables else translated


def install_jinja_gettext(app) -> None:
    """Templates' _(), gettext() and ngettext() through translations() (flask_babel
    installs its own, slower lookups; the same newstyle semantics)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
