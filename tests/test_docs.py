"""The docs keep up with the code: every setting is in docs/configuration.md, and the
layout table in docs/development.md names exactly the packages under intake/."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "intake"


def marked_section(path: Path, name: str) -> str:
    """The text between ``<!-- name: begin -->`` and ``<!-- name: end -->``."""
    match = re.search(rf"<!-- {name}: begin -->\n(.*?)<!-- {name}: end -->", path.read_text(), re.S)
    assert match, f"{path.relative_to(ROOT)} lost its '{name}' markers"
    return match.group(1)


def first_cells(table: str) -> list[str]:
    """The first cell of every body row of the Markdown tables in ``table``."""
    rows = [line for line in table.splitlines() if line.startswith("|")]
    cells = [row.split("|")[1].strip() for row in rows]
    return [cell for cell in cells if cell and not set(cell) <= set("-: ")]


def names_in(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def settings_in_config_py() -> set[str]:
    tree = ast.parse((PACKAGE / "config.py").read_text())
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }


def settings_read_in_code() -> set[str]:
    """Settings the code reads by name: ``config["X"]``, ``config.get("X")`` and the
    rate-limit settings handed to intake.ratelimits."""
    read = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        read |= set(re.findall(r"config(?:\[|\.get\()\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))
        read |= set(re.findall(r"ratelimits\.per_\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
    return read


def documented_settings() -> set[str]:
    table = marked_section(DOCS / "configuration.md", "settings")
    return set().union(*(names_in(cell) for cell in first_cells(table)))


def test_every_setting_in_config_py_is_documented():
    missing = settings_in_config_py() - documented_settings()
    assert not missing, f"docs/configuration.md has no row for {sorted(missing)}"


def test_the_settings_table_names_only_settings_that_exist():
    unknown = documented_settings() - settings_in_config_py()
    assert not unknown, f"docs/configuration.md documents {sorted(unknown)}, not in config.py"


def test_every_setting_the_code_reads_is_documented():
    text = (DOCS / "configuration.md").read_text()
    missing = {name for name in settings_read_in_code() if f"`{name}`" not in text}
    assert not missing, f"docs/configuration.md never names {sorted(missing)}"


def packages() -> set[str]:
    """Every package under intake/ and every module at its top level."""
    subpackages = {
        init.parent.relative_to(ROOT).as_posix() + "/"
        for init in PACKAGE.rglob("__init__.py")
        if init.parent != PACKAGE
    }
    modules = {module.relative_to(ROOT).as_posix() for module in PACKAGE.glob("*.py")}
    return subpackages | modules


def layout_paths() -> set[str]:
    table = marked_section(DOCS / "development.md", "layout")
    return {
        name.split()[0]
        for cell in first_cells(table)
        for name in names_in(cell)
        if name.startswith("intake/")
    }


def test_the_layout_table_lists_every_package():
    missing = packages() - layout_paths()
    assert not missing, f"docs/development.md's layout table lacks {sorted(missing)}"


def test_the_layout_table_names_only_paths_that_exist():
    gone = {path for path in layout_paths() if not (ROOT / path).exists()}
    assert not gone, f"docs/development.md's layout table names {sorted(gone)}: not in the tree"


def test_the_readme_maps_every_page_in_docs():
    readme = (ROOT / "README.md").read_text()
    unmapped = {page.name for page in DOCS.glob("*.md") if f"](docs/{page.name})" not in readme}
    assert not unmapped, f"README.md's map of the docs lacks {sorted(unmapped)}"
