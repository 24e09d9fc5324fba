"""Choosing the language of a page: ?lang=, then the session, then the browser."""

from flask import current_app, request, session

LANGUAGE_NAMES = {"en": "English", "es": "Español", "zh": "中文"}


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen is not None and chosen in supported:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in supported:
        return session["lang"]
    return request.accept_languages.best_match(supported) or supported[0]
