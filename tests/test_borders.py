"""The package borders the design draws (docs/architecture.md), checked on the imports:
a view never imports another view, nothing but the app factory imports a view, and
the pure rule modules import neither Flask nor the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "intake"
PURE = ["intake/status/states.py", "intake/eligibility/rules.py", "intake/cycles/windows.py"]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_view(name: str) -> bool:
    return name.startswith("intake.") and name.rsplit(".", 1)[-1] == "views"


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_only_the_app_factory_imports_a_view(path):
    if module_name(path) == "intake":
        return  # create_app registers the blueprints
    views = {name for name in imported(path) if is_view(name)}
    assert not views, f"{module_name(path)} imports {sorted(views)}: move what it needs out"


@pytest.mark.parametrize("relative", PURE)
def test_the_rules_are_pure(relative):
    outside = {
        name
        for name in imported(ROOT / relative)
        if name.split(".")[0] in {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_babel"}
        or name.startswith(("intake.extensions", "intake.models"))
    }
    assert not outside, f"{relative} imports {sorted(outside)}"


def test_the_check_sees_a_view_import(tmp_path):
    """The walk above finds what it looks for."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from intake.cohorts.views import bp\nimport intake.admin.views\n"
        "from intake.review import views\n"
    )
    assert {name for name in imported(sample) if is_view(name)} == {
        "intake.cohorts.views",
        "intake.admin.views",
        "intake.review.views",
    }
