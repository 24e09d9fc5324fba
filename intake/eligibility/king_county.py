"""Is a ZIP code in King County, Washington? Offline, from shipped data.

The `zipcodes` package (county names per ZIP, no network) gives each ZIP's primary
county; data/king_county_border_zips.csv lists the ZIPs that cross the county line.
No Flask here.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

import zipcodes

KING_COUNTY = "King County"
STATE = "WA"

IN_COUNTY = "in"
OUTSIDE = "outside"
CROSSES_LINE = "crosses"
UNKNOWN = "unknown"

# ASCII digits only: `\d` also matches full-width and other scripts' digits.
_ZIP = re.compile(r"[0-9]{5}")
_BORDER_FILE = Path(__file__).parent / "data" / "king_county_border_zips.csv"


@cache
def _king_county_zips() -> frozenset[str]:
    return frozenset(z["zip_code"] for z in zipcodes.filter_by(state=STATE, county=KING_COUNTY))


@cache
def _border_zips() -> frozenset[str]:
    with _BORDER_FILE.open() as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return frozenset(row["zip"] for row in rows)


def classify(zip_code: str) -> str:
    """IN_COUNTY, OUTSIDE, CROSSES_LINE (partly outside) or UNKNOWN (not a real ZIP)."""
    if not _ZIP.fullmatch(zip_code):
        return UNKNOWN
    if zip_code in _border_zips():
        return CROSSES_LINE
    if zip_code in _king_county_zips():
        return IN_COUNTY
    try:
        return OUTSIDE if zipcodes.is_real(zip_code) else UNKNOWN
    except (TypeError, ValueError):
        return UNKNOWN


def parse_zip_list(text: str) -> list[str]:
    """ZIP codes from what a person typed: commas, spaces or new lines between them;
    ZIP+4 is cut to five digits; duplicates dropped, order kept."""
    # NFKC turns full-width digits and punctuation (as a Chinese keyboard types
    # them) into ASCII.
    text = unicodedata.normalize("NFKC", text or "")
    seen: dict[str, None] = {}
    for token in re.split(r"[\s,;、]+", text):
        token = token.strip()
        if not token:
            continue
        if re.fullmatch(r"[0-9]{5}-[0-9]{4}", token):
            token = token[:5]
        seen.setdefault(token, None)
    return list(seen)
