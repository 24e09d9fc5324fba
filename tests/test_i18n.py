"""Every applicant-facing string is marked for translation and has a Spanish and a
Chinese translation. The coordinator workspace may stay English."""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import session

from intake.i18n import _template_gettext as template_gettext
from intake.i18n import choose_language

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "intake" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None}

# Templates of the coordinator workspace, which may stay English.
WORKSPACE_TEMPLATES = {
    "admin",
    "attendance",
    "auth",
    "bulkmail",
    "casefile",
    "cohorts",
    "coord",
    "entry",
    "outbox",
    "reports",
    "review",
    "sessions",
    "waitlist",
}
WORKSPACE_EMAILS = {"password_reset", "coordinator_welcome"}
WORKSPACE_EMAIL_PREFIX = "coordinator_"


def _extracted() -> set[str]:
    method_map = [
        ("intake/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        ROOT, method_map, keywords=KEYWORDS, options_map={"templates/**": {}}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _marked_in_code() -> dict[str, str]:
    """Every string literal the Python code hands to a translation function, as
    Python itself parses it: inside f-strings too, where Babel's extractor (which reads
    tokens) does not look on Python 3.11."""
    found = {}
    for path in sorted((ROOT / "intake").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in KEYWORDS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found[node.args[0].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_string_the_code_translates_is_extracted(extracted):
    # A string Babel does not extract keeps its translation only until the next
    # `make i18n-update`, which drops it from the catalogues: then it shows in English.
    unseen = {msgid: at for msgid, at in _marked_in_code().items() if msgid not in extracted}
    assert not unseen, f"translated in the code but not extracted: {unseen}"


@pytest.mark.parametrize("language", ["es", "zh"])
def test_every_marked_string_is_translated(extracted, language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    missing = []
    for msgid in sorted(extracted):
        message = catalog.get(msgid)
        strings = message.string if message else None
        translated = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if message is None or not translated or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings lack a {language} translation: {missing[:10]}"


@pytest.mark.parametrize("language", ["es", "zh"])
def test_translations_keep_their_placeholders(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for string in strings:
            if string:
                assert set(placeholder.findall(string)) >= wanted - {"%(num)d"}, (
                    message.id,
                    string,
                )
                assert "%(num)d" not in wanted or "%(num)d" in string or len(strings) == 1, (
                    message.id,
                    string,
                )


def _applicant_templates():
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt") or not path.is_file():
            continue
        relative = path.relative_to(ROOT / "templates")
        if relative.parts[0] in WORKSPACE_TEMPLATES:
            continue
        if relative.parts[0] == "email" and (
            path.stem in WORKSPACE_EMAILS or path.stem.startswith(WORKSPACE_EMAIL_PREFIX)
        ):
            continue
        yield path


# Text a person reads that needs no translation: names in their own script,
# punctuation, the site's fixed marks.
ALLOWED_TEXT = re.compile(r"^[\W\d_]*$|^(English|Español|中文|ASL)$")


def _visible_text(source: str) -> list[str]:
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    # Attribute values people read (alt, aria-label, title, placeholder) count as text.
    attributes = re.findall(r'\b(?:alt|aria-label|title|placeholder)="([^"]*)"', text)
    text = re.sub(r"<[^>]+>", " ", text)
    chunks = [c.strip() for c in re.split(r"\s{2,}|\n", text)] + attributes
    return [c for c in chunks if c and not ALLOWED_TEXT.match(c)]


@pytest.mark.parametrize("path", list(_applicant_templates()), ids=lambda p: p.name)
def test_applicant_templates_have_no_unmarked_text(path):
    leftovers = _visible_text(path.read_text())
    assert not leftovers, f"unmarked text in {path.relative_to(ROOT)}: {leftovers[:5]}"


def test_applicant_forms_mark_their_labels_and_messages(app):
    from flask_babel.speaklater import LazyString

    from intake.applications.forms import AgencyApplicationForm, IndividualApplicationForm
    from intake.screener.forms import (
        AgencyScreenerForm,
        DirectorReferralForm,
        IndividualScreenerForm,
    )

    forms = [
        IndividualScreenerForm,
        AgencyScreenerForm,
        DirectorReferralForm,
        IndividualApplicationForm,
        AgencyApplicationForm,
    ]
    with app.test_request_context():
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if field.type in ("HiddenField", "CSRFTokenField"):
                    continue
                assert isinstance(field.label.text, LazyString), (form_class, field.name)
                if field.description:
                    assert isinstance(field.description, LazyString), (form_class, field.name)
                for validator in field.validators:
                    message = getattr(validator, "message", None)
                    if message is not None:
                        assert isinstance(message, LazyString), (form_class, field.name)


@pytest.mark.parametrize(
    ("query", "headers", "kept", "own", "remember", "expected", "kept_after"),
    [
        # The site (the locale selector): ?lang=, the session, the browser, the default.
        ("", {"Accept-Language": "es"}, {}, None, "lang", "es", {}),
        ("", {"Accept-Language": "fr"}, {}, None, "lang", "en", {}),
        ("", {"Accept-Language": "zh"}, {"lang": "es"}, None, "lang", "es", {"lang": "es"}),
        ("lang=zh", {"Accept-Language": "es"}, {}, None, "lang", "zh", {"lang": "zh"}),
        ("lang=fr", {"Accept-Language": "es"}, {}, None, "lang", "es", {}),
        # The manage pages: the applicant's own language instead of the browser's, and
        # a pick kept apart from the site's.
        ("", {"Accept-Language": "es"}, {"lang": "es"}, "zh", "m", "zh", {"lang": "es"}),
        ("", {}, {"m": "es"}, "zh", "m", "es", {"m": "es"}),
        ("lang=es", {}, {}, "zh", "m", "es", {"m": "es"}),
        ("", {"Accept-Language": "es"}, {}, "fr", "m", "en", {}),
        # The respond pages: a pick for this page only.
        ("", {}, {"lang": "zh"}, "es", None, "es", {"lang": "zh"}),
        ("lang=zh", {}, {}, "es", None, "zh", {}),
    ],
)
def test_one_function_chooses_the_language(
    app, query, headers, kept, own, remember, expected, kept_after
):
    with app.test_request_context(f"/?{query}", headers=headers):
        session.update(kept)
        assert choose_language(own, remember=remember) == expected
        assert dict(session) == kept_after


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Translated, and Markup: the page does not escape the catalogue's text again.
        ("{{ _('Skip to main content') }}", "Ir al contenido principal"),
        # Variables are escaped into it; %% is a percent sign, with or without them.
        ("{{ _('Hello %(name)s', name=name) }}", "Hello &lt;b&gt;Ana&lt;/b&gt;"),
        ("{{ _('100%%') }}", "100%"),
        ("{{ gettext('%(n)d%%', n=5) }}", "5%"),
        (
            "{{ ngettext('%(num)d session', '%(num)d sessions', 3) }}",
            "3 sessions",
        ),
        ("{% trans %}Hi {{ name }}{% endtrans %}", "Hi &lt;b&gt;Ana&lt;/b&gt;"),
        # A template's variables may have any name, the functions' own included.
        ("{{ ngettext('%(num)d a', '%(num)d b', 3, num=7) }}", "7 b"),
        ("{{ _('x %(string)s', string=name) }}", "x &lt;b&gt;Ana&lt;/b&gt;"),
    ],
)
def test_templates_translate_as_jinjas_newstyle_gettext_does(app, source, expected):
    """intake.i18n's template gettext and ngettext, called directly, keep the
    semantics of Jinja's newstyle ones they replace (jinja2.ext)."""
    assert app.jinja_env.globals["_"] is app.jinja_env.globals["gettext"] is template_gettext
    with app.test_request_context("/?lang=es"):
        rendered = app.jinja_env.from_string(source).render(name="<b>Ana</b>")
    assert rendered == expected


def test_the_app_translates_through_its_own_gettext():
    """intake.i18n's gettext and lazy_gettext find the request's translations once
    (0.5 against flask_babel's 2.3 µs a string, a form label each time it is shown),
    and its get_locale the request's locale (0.3 against 2.5 µs): no module goes back
    to flask_babel's."""
    slow = re.compile(r"from flask_babel import [^\n]*\b((lazy_|n)?gettext|get_locale)\b")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "intake").rglob("*.py")
        if path != ROOT / "intake" / "i18n.py" and slow.search(path.read_text())
    ]
    assert found == []


def test_lazy_labels_follow_the_language_of_each_request(app):
    from intake.i18n import lazy_gettext

    label = lazy_gettext("Your name")
    shown = {}
    for language in ("en", "es", "zh"):
        with app.test_request_context(f"/?lang={language}"):
            shown[language] = str(label)
    assert shown["en"] == "Your name"
    assert len(set(shown.values())) == 3


def test_get_locale_follows_the_request_and_force_locale(app):
    from flask_babel import force_locale

    from intake.i18n import get_locale

    assert get_locale() is None  # outside a request, as flask_babel's
    with app.test_request_context("/?lang=es"):
        assert str(get_locale()) == "es"
        with force_locale("zh"):
            assert str(get_locale()) == "zh"
        assert str(get_locale()) == "es"
