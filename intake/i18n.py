"""Choosing the language of a page: ?lang=, then the choice kept in the session, then
the reader's own language or the browser's."""

from flask import current_app, request, session

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
