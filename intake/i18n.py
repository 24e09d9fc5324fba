"""Choosing the language of a page: ?lang=, then the choice kept in the session, then
the reader's own language or the browser's."""

import flask_babel
from flask import Flask, current_app, request, session
from flask.globals import _cv_app
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

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
# locale turned into a string, a dict look-up; a screener page translates ~100 strings,
# and its form labels (lazy_gettext) each once more. Here the answer is kept beside
# flask_babel's own locale for the request, and found again only when that locale
# object changes: force_locale swaps it (and puts the old one back), refresh() removes
# it, so an e-mail in another language inside a request is still in its own.


class Domain(flask_babel.Domain):
    """flask_babel's message domain, finding the translations once per request and
    locale. Every gettext, lazy_gettext and template string goes through it."""

    def get_translations(self):
        state = _babel_state()
        if state is not None:
            kept = state.__dict__.get("intake_translations")
            if (
                kept is not None
                and kept[0] is self
                and kept[1] is state.__dict__.get("babel_locale")
            ):
                return kept[2]
        found = super().get_translations()
        state = _babel_state()
        locale = state.__dict__.get("babel_locale") if state is not None else None
        if locale is not None:
            state.intake_translations = (self, locale, found)
        return found


def _babel_state():
    # Where flask_babel keeps the request's locale (flask_babel._get_current_context).
    # Read from the context variable that ``g`` and has_app_context() both read:
    # through them 0.78 µs, here 0.14, and a screener page asks about 60 times.
    app_context = _cv_app.get(None)
    return app_context.g.get("_flask_babel") if app_context is not None else None


def translations():
    """The current translations object (flask_babel.get_translations(), faster)."""
    state = _babel_state()
    if state is not None:
        kept = state.__dict__.get("intake_translations")
        if (
            kept is not None
            and kept[0] is state.__dict__.get("babel_domain")
            and kept[1] is state.__dict__.get("babel_locale")
        ):
            return kept[2]
    return flask_babel.get_domain().get_translations()


def get_locale():
    """flask_babel.get_locale, faster (0.3 against 2.5 µs; home asks 14 times): the
    request's locale where flask_babel keeps it, else flask_babel's own, which chooses
    it and keeps it there. force_locale swaps that same attribute."""
    state = _babel_state()
    locale = state.__dict__.get("babel_locale") if state is not None else None
    return locale if locale is not None else flask_babel.get_locale()


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext, faster (0.5 against 2.3 µs): the app's code imports this."""
    translated = translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel.ngettext, as the gettext above."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """flask_babel.lazy_gettext through the gettext above: a form label is translated
    each time it is shown."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
    """A template's ``_()`` and ``gettext()``: what Jinja's newstyle gettext does
    (jinja2.ext._make_new_gettext: Markup when autoescaping, then always ``%
    variables``), called directly. Jinja's goes through two more ``Context.call``s
    and a name look-up: 9 µs a string against 5 here, and a page has 20 to 40."""
    translated = translations().ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - our catalogue, as Jinja's
    # Without variables and without a "%", formatting gives the string back
    # unchanged; skipping it saves Markup's 1.7 µs.
    return translated % variables if variables or "%" in translated else translated


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables
) -> str:
    """A template's ``ngettext()``, as jinja2.ext._make_new_ngettext, directly.
    (Positional-only, as Jinja's ``__`` names are, so a template's variable may be
    called ``num``, ``string`` or ``plural``.)"""
    variables.setdefault("num", num)
    translated = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - our catalogue, as Jinja's
    return translated % variables


def install(app: Flask, babel: flask_babel.Babel) -> None:
    """Babel's domain as the Domain above, and templates' _(), gettext() and ngettext()
    through it (the same newstyle semantics flask_babel installs)."""
    if not isinstance(babel.__dict__.get("domain_instance"), Domain):
        # domain_instance is a cached_property of the (shared) Babel extension.
        babel.__dict__["domain_instance"] = Domain(domain="messages")
    # Added to the environment by the i18n extension (flask_babel added it).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    # The two every page calls, replaced by the direct ones above ({% trans %} blocks
    # call gettext and ngettext too).
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )
