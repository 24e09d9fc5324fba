"""No page over 100 KB before compression (issue 13), with realistic volume: the
waitlist with a full page of long names and access needs, a case file with a long
timeline and many long notes, a cohort, the reports. Every GET route, as the
applicant who just applied and as an admin (the walk of ``test_security``), as a
whole page and as its htmx fragment.

And htmx stays the only JavaScript library: the only scripts are the vendored htmx
and the app's own small ``app.js``."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from intake.extensions import db
from intake.models import Application, Note, StatusEvent
from tests.factories import add_application
from tests.helpers import submit_application
from tests.test_security import _get_paths, _url_values

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 100 * 1024
LONG = "Reflective practice for infant and early childhood mental health, "


def _volume(clock, application: Application) -> None:
    now = clock()
    # More than a page of the waitlist (50 rows), every row as long as the forms allow
    # it to be in practice.
    for number in range(2, 62):
        add_application(
            now,
            number,
            f"María-José Fernández de la Cruz y Villanueva-Ortiz {number} {LONG[:40]}",
            organisation=f"{LONG}{number} Family Resource Center of South King County",
            phone="+1 (206) 555-0100 ext. 1234",
            access_needs=("asl_interpreter", "captions", "spoken_interpreter"),
            access_needs_other=LONG * 3,
            languages=("en", "es", "cmn", "asl"),
            availability=("weekday_morning", "weekday_midday", "weekday_evening", "weekend"),
            joined_days_ago=number,
            commit=False,
        )
    # A case file with a long history: forty moves and thirty long notes.
    for index in range(40):
        db.session.add(
            StatusEvent(
                application=application,
                from_status="waitlisted",
                to_status="inactive" if index % 2 else "waitlisted",
                actor="system",
                reason=LONG * 3,
                created_at=now - timedelta(days=40 - index),
            )
        )
    for index in range(30):
        db.session.add(
            Note(
                application_id=application.id,
                body=(LONG * 15)[:1000],
                created_at=now - timedelta(days=30 - index),
            )
        )
    db.session.commit()


def test_no_page_is_over_100_kb(smtp, app, client, admin_client, ctx, clock):
    assert submit_application(client).status_code == 303
    values = _url_values(smtp, clock, admin_client.user)
    _volume(clock, db.session.scalars(select(Application)).first())
    sizes: dict[tuple[str, bool, str], int] = {}
    for who, web in (("applicant", client), ("admin", admin_client)):
        for htmx in (False, True):
            for path in _get_paths(app, values):
                response = web.get(path, headers={"HX-Request": "true"} if htmx else {})
                if response.status_code == 200 and response.mimetype == "text/html":
                    sizes[(who, htmx, path)] = len(response.get_data())
    over = {key: size for key, size in sizes.items() if size > LIMIT}
    assert not over, over
    # The volume is really there: the waitlist shows a full page, the case file its notes.
    assert sizes[("admin", False, "/coord/waitlist")] > 40_000
    case_file = f"/coord/applications/{values['application_id']}"
    assert sizes[("admin", False, case_file)] > 30_000
    assert ("applicant", False, f"/manage/{values['token']}") in sizes
    assert ("admin", False, "/coord/reports") in sizes


def test_htmx_is_the_only_javascript_library():
    scripts = sorted(path.name for path in (ROOT / "static").rglob("*.js"))
    assert scripts == ["app.js", "htmx.min.js"]
    # app.js stays small: enhancements, not a framework.
    assert (ROOT / "static/js/app.js").stat().st_size < 10 * 1024
    linked = set()
    for path in (ROOT / "templates").rglob("*.html"):
        linked |= set(re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", path.read_text()))
    assert linked == {
        "{{ url_for('static', filename='js/htmx.min.js') }}",
        "{{ url_for('static', filename='js/app.js') }}",
    }
