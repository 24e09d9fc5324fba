"""Dates and times on pages: one time zone (the programs'), one format per kind of
value, through the filters in intake/templating.py (day, moment, time_of_day)."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

from flask_babel import force_locale

from intake.extensions import db
from intake.templating import day, moment, time_of_day
from tests.factories import add_application

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM

# A datetime method that writes its own text: fine only as an attribute's value
# (<time datetime="{{ x.isoformat() }}">, data-week="…"), never as text a person reads.
RAW = re.compile(r"\.(strftime|isoformat)\(|\blocal_date\(")
IN_ATTRIBUTE = re.compile(r'[\w-]+="\{\{ [\w.\[\]]+\.isoformat\(\) \}\}"')
# Flask-Babel's own filters pick a width each time (and "medium" has seconds); pages use
# day / moment / time_of_day instead. The name of the time zone ("zzzz") is no date.
BABEL_FILTER = re.compile(r"\|\s*(datetimeformat|dateformat|timeformat)\((?!\"zzzz\")")


def _templates(*, emails: bool):
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        is_email = path.relative_to(TEMPLATES).parts[0] == "email"
        # Applicants' e-mails keep Flask-Babel's filters (in the programs' zone too).
        if is_email and not emails and not path.name.startswith("coordinator_"):
            continue
        yield path


def test_no_template_writes_a_date_by_hand():
    found = []
    for path in _templates(emails=True):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if RAW.search(IN_ATTRIBUTE.sub("", line)):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert not found, "show dates with |day, |moment or |time_of_day:\n" + "\n".join(found)


def test_pages_use_the_apps_date_filters():
    found = []
    for path in _templates(emails=False):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if BABEL_FILTER.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert not found, "show dates with |day, |moment or |time_of_day:\n" + "\n".join(found)


def test_the_scan_sees_a_hand_written_date():
    line = '<td>{{ a.created_at.strftime("%Y-%m-%d") }}</td>'
    assert RAW.search(IN_ATTRIBUTE.sub("", line))
    line = '<time datetime="{{ a.created_at.isoformat() }}">{{ a.created_at.isoformat() }}</time>'
    assert RAW.search(IN_ATTRIBUTE.sub("", line))
    line = '<time datetime="{{ a.created_at.isoformat() }}">{{ a.created_at|moment }}</time>'
    assert not RAW.search(IN_ATTRIBUTE.sub("", line))
    assert BABEL_FILTER.search('{{ x|datetimeformat("medium") }}')
    assert not BABEL_FILTER.search('{{ x|datetimeformat("zzzz") }}')


def test_filters_use_the_programs_time_zone_and_the_readers_language(app):
    # 03:30 UTC on 3 March is 7:30 pm on 2 March in Seattle.
    late = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    with app.test_request_context():
        assert day(late) == "Mar 2, 2026"
        assert day(late, "long") == "March 2, 2026"
        assert moment(late) == f"Mar 2, 2026, 7:30{NNBSP}PM"
        assert time_of_day(late) == f"7:30{NNBSP}PM"
        # A calendar day is not moved.
        assert day(date(2026, 3, 3)) == "Mar 3, 2026"
        # Summer time: 06:59 UTC on 1 July is still 30 June (UTC-7).
        assert day(datetime(2026, 7, 1, 6, 59, tzinfo=UTC)) == "Jun 30, 2026"
        assert day(None) == moment(None) == ""
        with force_locale("es"):
            assert moment(late) == "2 mar 2026, 19:30"
        with force_locale("zh"):
            assert day(late) == "2026年3月2日"


def test_a_value_near_midnight_utc_shows_its_pacific_day_on_the_workspace_pages(
    coordinator_client, clock, login
):
    # Sent at 01:30 UTC on 3 March: 5:30 pm on 2 March in Seattle.
    clock.current = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
    waiting = add_application(clock(), 1, joined_days_ago=0, status="waitlisted")
    review = add_application(clock(), 2, joined_days_ago=None, status="needs_review")
    review.created_at = clock.current
    db.session.commit()
    login(coordinator_client, coordinator_client.user)  # hours later: signed out meanwhile

    queue = coordinator_client.get("/coord/review").get_data(as_text=True)
    assert '<time datetime="2026-03-03T01:30:00+00:00">Mar 2, 2026</time>' in queue

    page = coordinator_client.get(f"/coord/applications/{review.id}").get_data(as_text=True)
    assert f'<time datetime="2026-03-03T01:30:00+00:00">Mar 2, 2026, 5:30{NNBSP}PM</time>' in page
    assert "UTC" not in page

    waitlist = coordinator_client.get("/coord/waitlist").get_data(as_text=True)
    assert '<time datetime="2026-03-03T01:30:00+00:00">Mar 2, 2026</time>' in waitlist
    page = coordinator_client.get(f"/coord/applications/{waiting.id}").get_data(as_text=True)
    assert f">Mar 2, 2026, 5:30{NNBSP}PM</time>" in page
