"""Reading the report's tables out of the page, as a person reads them: cell texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    attrs: dict[str, str]
    # Attributes of the <tbody> the row is in (e.g. data-program).
    group: dict[str, str]
    cells: list[str] = field(default_factory=list)


class _TableReader(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.found = False
        self.group: dict[str, str] = {}
        self.rows: list[Row] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = self.found = True
        if not self.inside:
            return
        if tag in ("tbody", "thead", "tfoot"):
            self.group = attrs
        elif tag == "tr":
            self.rows.append(Row(attrs=attrs, group=self.group))
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "table":
            self.inside = False
        elif tag in ("th", "td") and self.cell is not None:
            self.rows[-1].cells.append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.inside and self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[Row]:
    reader = _TableReader(table_id)
    reader.feed(html)
    assert reader.found, f"no table #{table_id} on the page"
    return reader.rows


def row(html: str, table_id: str, group: dict | None = None, **attrs) -> list[str]:
    """The cells of the one row whose data-* attributes (and tbody's) match."""
    wanted = {f"data-{k.replace('_', '-')}": v for k, v in attrs.items()}
    matches = [
        r
        for r in table(html, table_id)
        if all(r.attrs.get(k) == v for k, v in wanted.items())
        and all(r.group.get(f"data-{k}") == v for k, v in (group or {}).items())
    ]
    assert len(matches) == 1, f"{len(matches)} rows match {attrs} {group} in #{table_id}"
    return matches[0].cells
