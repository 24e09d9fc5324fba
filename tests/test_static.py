"""The vendored front-end files are what the Makefile pins, and pages use no inline
script or style (the Content-Security-Policy forbids them)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_vendored_htmx_is_the_pinned_version():
    pinned = re.search(r"^HTMX_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    vendored = re.search(r'version:"([^"]+)"', (ROOT / "static/js/htmx.min.js").read_text())
    assert pinned.group(1) == vendored.group(1)
    assert pinned.group(1).startswith("2.0.")


def test_templates_have_no_inline_script_or_style():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert "style=" not in text, path
        assert "<style" not in text.replace("<!--", ""), path
        assert not re.search(r"\son[a-z]+=", text), path  # no onclick= and friends
