"""Coordinators see only the programs they are assigned to (issue 9, item 6).

People applying to the BIPOC intensive are seeded (on its waitlist, in review, holding
an offer of its cohort, with a note and e-mails), and every route of the workspace
(every endpoint of the blueprints in WORKSPACE_BLUEPRINTS) is walked as:

- ``outsider``: a coordinator of another program (introductory), who must never see
  those people's names, e-mail addresses, references or self-identification answers:
  not in pages, htmx fragments, searches or the CSV file; whose actions on them
  answer 404 (403 on admin pages) and change nothing;
- ``nobody``: a coordinator assigned to no program, who sees empty lists and is told so;
- ``assigned``: a coordinator of the BIPOC intensive, and ``admin``: an admin assigned
  to no program, who both do see them;
- ``facilitator``: a facilitator of another program's cohort, who gets 403 on every
  page not made for facilitators and 404 for the hidden cohort's roster; and
  ``leader``, the hidden cohort's own facilitator, who sees its roster (names) but
  never a self-identification answer, and nothing else of the workspace.

The walk fails when a route is added to the workspace without being walked here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.auth.access import FACILITATOR_BLUEPRINTS, WORKSPACE_BLUEPRINTS
from intake.auth.scope import NOT_ASSIGNED
from intake.extensions import db
from intake.models import (
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Attendance,
    AuditEvent,
    Cohort,
    CohortFacilitator,
    CohortSession,
    Coordinator,
    Letter,
    Note,
    Offer,
    OutboxMessage,
    Participant,
    Program,
    SelfIdentification,
    StatusEvent,
)
from tests.factories import add_cohort, add_participant, add_sessions, add_window
from tests.helpers import csrf_token

SELF_ID_SHOWN = "Identifies as Black, Indigenous, or a Person of Color (BIPOC)"

HIDDEN_PEOPLE = {
    # name: (e-mail, reference, status)
    "Zebulon Secretname": ("zebulon.secret@example.org", "ZBQX-HDNR", "waitlisted"),
    "Yolanda Hiddenperson": ("yolanda.hidden@example.org", "YHDN-4567", "needs_review"),
    "Xavier Concealed": ("xavier.concealed@example.org", "XCNC-7788", "offered"),
}
NOTE = "Private note about Zebulon"
NOTICE_SUBJECT = "Seats freed in the hidden cohort"
COHORT_NAME = "Hidden evening circle"


def secrets() -> list[str]:
    found = [SELF_ID_SHOWN, NOTE, NOTICE_SUBJECT, COHORT_NAME, "XCNC-LTTR-2345"]
    for name, (email, reference, _) in HIDDEN_PEOPLE.items():
        found += [name, email, reference, reference.replace("-", "")]
    return found


@dataclass
class World:
    program: Program  # the BIPOC intensive
    other: Program  # introductory
    applications: dict[str, Application] = field(default_factory=dict)
    cohort: Cohort | None = None
    offer: Offer | None = None
    session: CohortSession | None = None
    message: OutboxMessage | None = None
    notice: OutboxMessage | None = None
    letter: Letter | None = None
    visible_name: str = "Olive Visible"
    participant: Participant | None = None
    visible_cohort: Cohort | None = None
    window_id: int | None = None


def _person(world: World, program: Program, name: str, email: str, reference: str, status, now):
    applicant = Applicant(
        kind="individual",
        name=name,
        email=email,
        email_key=email,
        form_token=uuid.uuid4().hex,
        created_at=now - timedelta(days=3),
        languages=[ApplicantLanguage(code="en")],
        availability_slots=[ApplicantAvailability(slot="weekday_evening")],
        self_identification=SelfIdentification(bipoc="yes"),
        answers={"works_with_young_children": "direct", "retreat": "yes"},
    )
    application = Application(
        applicant=applicant,
        program=program,
        reference=reference,
        status=status,
        decision={
            "outcome": "pass",
            "rules": [{"key": "bipoc_self_identification", "outcome": "pass", "reason": None}],
        },
        priority=0,
        seats_requested=1,
        joined_at=now - timedelta(days=2),
        created_at=now - timedelta(days=3),
        updated_at=now,
    )
    db.session.add(application)
    world.applications[name] = application
    return application


@pytest.fixture
def world(ctx, clock) -> World:
    now = clock()
    programs = {p.slug: p for p in db.session.scalars(select(Program))}
    world = World(program=programs["bipoc-intensive"], other=programs["introductory"])
    for name, (email, reference, status) in HIDDEN_PEOPLE.items():
        _person(world, world.program, name, email, reference, status, now)
    # Yolanda looks like Zebulon's duplicate: resolving it is an action too.
    yolanda = world.applications["Yolanda Hiddenperson"]
    yolanda.duplicate_of = world.applications["Zebulon Secretname"]
    yolanda.duplicate_reason = "same_email"
    _person(
        world, world.other, world.visible_name, "olive@example.org", "2345-6789", "waitlisted", now
    )
    world.cohort = add_cohort(
        now,
        program=world.program.slug,
        name=COHORT_NAME,
        facilitator="Facilitator",
        schedule="Tuesdays",
        offered=1,
        commit=False,
    )
    world.offer = Offer(
        application=world.applications["Xavier Concealed"],
        cohort=world.cohort,
        seats=1,
        status="open",
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    db.session.add(world.offer)
    db.session.flush()
    # A participant of the hidden cohort, with a letter of hours.
    xavier = world.applications["Xavier Concealed"]
    participant = Participant(
        application=xavier,
        cohort=world.cohort,
        applicant_id=xavier.applicant_id,
        name="Xavier Concealed",
        email="xavier.concealed@example.org",
        email_key="xavier.concealed@example.org",
        locale="en",
        status="completed",
        created_at=now,
        updated_at=now,
    )
    db.session.add(participant)
    db.session.flush()
    world.letter = Letter(
        participant_id=participant.id,
        code="XCNC-LTTR-2345",
        facts={"participant": "Xavier Concealed", "credited_minutes": 600, "sessions": []},
        locale="en",
        issued_at=now,
    )
    db.session.add(world.letter)
    db.session.flush()
    zebulon = world.applications["Zebulon Secretname"]
    # Zebulon is in the hidden cohort's group too (its roster, attendance); another
    # program's cohort is the one ``facilitator`` leads.
    world.participant = add_participant(zebulon, world.cohort, now, commit=False)
    [world.session] = add_sessions(world.cohort, now - timedelta(hours=3), count=1, commit=False)
    world.visible_cohort = add_cohort(
        now, program=world.other.slug, name="Visible circle", commit=False
    )
    add_sessions(world.visible_cohort, now - timedelta(hours=3), count=1, commit=False)
    db.session.add(Note(application_id=zebulon.id, body=NOTE, created_at=now))

    def message(**values):
        defaults = {
            "dedup_key": uuid.uuid4().hex,
            "template": "application_received",
            "locale": "en",
            "reply_to": "coordinators@example.org",
            "attempts": 0,
            "next_attempt_at": now + timedelta(hours=1),
            "created_at": now,
        }
        row = OutboxMessage(**{**defaults, **values})
        db.session.add(row)
        return row

    world.message = message(
        to_addr="zebulon.secret@example.org",
        subject="Your application ZBQX-HDNR",
        text_body="Hello Zebulon Secretname",
        html_body="<p>Hello Zebulon Secretname</p>",
        applicant_id=zebulon.applicant_id,
        status="failed",
        attempts=8,
        last_error="550 no such user",
    )
    world.notice = message(
        template="coordinator_seats_freed",
        to_addr="assigned@example.org",
        subject=NOTICE_SUBJECT,
        text_body="Xavier Concealed declined.",
        html_body="<p>Xavier Concealed declined.</p>",
        program_id=world.program.id,
        status="queued",
    )
    message(
        to_addr="olive@example.org",
        subject="Your application 2345-6789",
        text_body="Hello Olive Visible",
        html_body="<p>Hello Olive Visible</p>",
        applicant_id=world.applications[world.visible_name].applicant_id,
        status="sent",
        sent_at=now,
    )
    db.session.commit()
    world.window_id = add_window(
        world.program.slug, now + timedelta(days=30), now + timedelta(days=60)
    ).id
    return world


@pytest.fixture
def clients(app, world, make_coordinator, login):
    def signed_in(email, **kwargs):
        client = app.test_client()
        client.user = make_coordinator(email=email, **kwargs)
        return login(client, client.user)

    def facilitating(email, cohort):
        client = signed_in(email, role="facilitator")
        db.session.add(CohortFacilitator(cohort_id=cohort.id, coordinator_id=client.user.id))
        db.session.commit()
        return client

    return {
        "facilitator": facilitating("facilitator@example.org", world.visible_cohort),
        "leader": facilitating("leader@example.org", world.cohort),
        "outsider": signed_in("outsider@example.org", programs=["introductory"]),
        "nobody": signed_in("nobody@example.org", programs=["no-such-program"]),
        "assigned": signed_in("assigned@example.org", programs=["bipoc-intensive"]),
        "admin": signed_in("admin@example.org", admin=True, programs=["no-such-program"]),
    }


# What to walk ------------------------------------------------------------------------

LIST, OBJECT, BULK, ADMIN, REDIRECT = "list", "object", "bulk", "admin", "redirect"


@dataclass(frozen=True)
class Visit:
    endpoint: str
    method: str
    path: str
    kind: str
    data: dict = field(default_factory=dict, hash=False)
    # What a coordinator who may see the BIPOC intensive finds in the answer (GET),
    # and in its htmx fragment when that is a smaller part of the page.
    shows: tuple[str, ...] = ()
    htmx_shows: tuple[str, ...] | None = None
    # What was typed into a search, which the page shows back in its search box.
    echo: str = ""


def plan(world: World) -> list[Visit]:
    z, y, x = (world.applications[n] for n in HIDDEN_PEOPLE)
    zebulon, yolanda, xavier = "Zebulon Secretname", "Yolanda Hiddenperson", "Xavier Concealed"
    c, o = world.cohort.id, world.offer.id
    s = world.session.id
    p = world.program
    visits = [
        Visit("waitlist.home", "GET", "/coord/", REDIRECT),
        Visit("waitlist.index", "GET", "/coord/waitlist", LIST, shows=(zebulon, yolanda)),
    ]
    for query in (
        "status=all",
        f"q={zebulon}",
        "q=zebulon.secret@",
        "q=zebulon",
        "q=ZBQX-HDNR",
        "q=ZBQXHDNR",
        f"program={p.id}&status=all",
        f"cohort={c}",
    ):
        echo = query.removeprefix("q=") if query.startswith("q=") else ""
        visits.append(
            Visit(
                "waitlist.index",
                "GET",
                f"/coord/waitlist?{query}",
                LIST,
                shows=(zebulon,),
                echo=echo,
            )
        )
        visits.append(
            Visit(
                "waitlist.export",
                "GET",
                f"/coord/waitlist/export.csv?{query}",
                LIST,
                shows=(zebulon, "zebulon.secret@example.org", "ZBQX-HDNR"),
                echo=echo,
            )
        )
    for a, name in ((z, zebulon), (y, yolanda), (x, xavier)):
        visits.append(
            Visit(
                "casefile.show",
                "GET",
                f"/coord/applications/{a.id}",
                OBJECT,
                shows=(name, HIDDEN_PEOPLE[name][0], HIDDEN_PEOPLE[name][1]),
            )
        )
    reason = {"reason": "Because."}
    for a in (z, y, x):
        base = f"/coord/applications/{a.id}"
        visits += [
            Visit("casefile.add_note", "POST", f"{base}/notes", OBJECT, {"body": "Seen."}),
            Visit(
                "casefile.change_priority",
                "POST",
                f"{base}/priority",
                OBJECT,
                {"priority": "5", **reason},
            ),
            Visit("casefile.withdraw", "POST", f"{base}/withdraw", OBJECT, reason),
            Visit(
                "casefile.split",
                "POST",
                f"{base}/split",
                OBJECT,
                {"parts": "1, 1", "seats": "2", **reason},
            ),
        ]
    base = f"/coord/applications/{y.id}"
    visits += [
        Visit("casefile.approve", "POST", f"{base}/approve", OBJECT, reason),
        Visit("casefile.decline", "POST", f"{base}/decline", OBJECT, {"message": "No.", **reason}),
        Visit("casefile.override", "POST", f"{base}/override", OBJECT, reason),
        # Entering an application for someone: only for one's own programs.
        Visit("entry.individual", "GET", "/coord/enter", LIST, shows=("Enter an application",)),
        Visit(
            "entry.individual",
            "POST",
            "/coord/enter",
            LIST,
            {
                "entered_via": "phone",
                "locale": "en",
                "works_with_young_children": "direct",
                "roles": "home_visitor",
                "bipoc": "yes",
                "retreat": "yes",
                "programs": p.slug,
                "name": "Wanda Walker",
                "email": "wanda@example.org",
                "work_zip": "98104",
                "languages": "en",
                "availability": "weekday_evening",
                "consent": "y",
                "form_token": "walk-individual",
            },
        ),
        Visit("entry.agency", "GET", "/coord/enter/agency", LIST, shows=("An agency",)),
        Visit("entry.agency", "POST", "/coord/enter/agency", LIST, {"entered_via": "paper"}),
        Visit(
            "casefile.resolve_duplicate",
            "POST",
            f"{base}/duplicate",
            OBJECT,
            {"resolution": "keep_both", **reason},
        ),
        Visit("review.queue", "GET", "/coord/review", LIST, shows=(yolanda, "YHDN-4567")),
        Visit(
            "review.queue",
            "GET",
            f"/coord/review?program={p.slug}",
            LIST,
            shows=(yolanda, "YHDN-4567"),
        ),
        Visit(
            "review.act",
            "POST",
            "/coord/review",
            BULK,
            {"ids": [str(y.id)], "action": "approve", **reason},
        ),
        Visit(
            "review.act",
            "POST",
            "/coord/review",
            BULK,
            {"ids": [str(y.id)], "action": "decline", **reason},
        ),
        Visit(
            "review.decline",
            "POST",
            "/coord/review/decline",
            BULK,
            {"ids": [str(y.id)], f"message_{y.id}": "No.", **reason},
        ),
        Visit("cohorts.index", "GET", "/coord/cohorts", LIST, shows=(COHORT_NAME,)),
        Visit(
            "cohorts.index", "GET", f"/coord/cohorts?program={p.slug}", LIST, shows=(COHORT_NAME,)
        ),
        Visit(
            "cohorts.show",
            "GET",
            f"/coord/cohorts/{c}",
            OBJECT,
            shows=(xavier, zebulon),
            htmx_shows=(zebulon,),  # the htmx GET is the search of whom to offer to
        ),
        Visit(
            "cohorts.show",
            "GET",
            f"/coord/cohorts/{c}?q=zebulon",
            OBJECT,
            shows=(zebulon, "ZBQX-HDNR"),
        ),
        Visit("cohorts.offer_next", "POST", f"/coord/cohorts/{c}/offer-next", OBJECT),
        Visit(
            "letters.cohort",
            "GET",
            f"/coord/letters/cohorts/{c}",
            OBJECT,
            shows=(COHORT_NAME, xavier, "XCNC-LTTR-2345"),
        ),
        Visit("letters.issue", "POST", f"/coord/letters/cohorts/{c}/issue", OBJECT),
        Visit(
            "letters.reissue",
            "POST",
            f"/coord/letters/{world.letter.id}/reissue",
            OBJECT,
            {f"reissue-{world.letter.id}-reason": "Because."},
        ),
        Visit(
            "cohorts.offer_one",
            "POST",
            f"/coord/cohorts/{c}/offer-one",
            OBJECT,
            {"application": str(z.id), **reason},
        ),
        Visit(
            "cohorts.rescind",
            "POST",
            f"/coord/cohorts/{c}/offers/{o}/rescind",
            OBJECT,
            {f"rescind-{o}-reason": "Because."},
        ),
        Visit(
            "sessions.new",
            "GET",
            f"/coord/cohorts/{c}/sessions/new",
            OBJECT,
            shows=(COHORT_NAME,),
        ),
        Visit(
            "sessions.new",
            "POST",
            f"/coord/cohorts/{c}/sessions/new",
            OBJECT,
            {
                "first_date": "2026-06-02",
                "pattern": "weekly",
                "count": "2",
                "start_time": "18:00",
                "minutes": "90",
                "location_kind": "online",
                "meeting_url": "https://meet.example.org/x",
            },
        ),
        Visit(
            "sessions.edit",
            "GET",
            f"/coord/cohorts/{c}/sessions/{s}",
            OBJECT,
            shows=(COHORT_NAME,),
        ),
        Visit(
            "sessions.edit",
            "POST",
            f"/coord/cohorts/{c}/sessions/{s}",
            OBJECT,
            {
                "day": "2026-06-03",
                "start_time": "18:00",
                "minutes": "90",
                "location_kind": "online",
                "meeting_url": "https://meet.example.org/x",
                "sequence": "0",
            },
        ),
        Visit(
            "sessions.cancel",
            "POST",
            f"/coord/cohorts/{c}/sessions/{s}/cancel",
            OBJECT,
            {"sequence": "0"},
        ),
        Visit(
            "reports.index",
            "GET",
            "/coord/reports",
            LIST,
            shows=('data-program="bipoc-intensive"',),
        ),
        Visit(
            "reports.index",
            "GET",
            f"/coord/reports?program={p.slug}",
            LIST,
            shows=('data-program="bipoc-intensive"',),
        ),
        Visit(
            "reports.download",
            "GET",
            f"/coord/reports/waitlist-by-language.csv?program={p.slug}",
            LIST,
            shows=(p.name,),
        ),
        Visit(
            "reports.download",
            "GET",
            "/coord/reports/groups-delivered.csv",
            LIST,
            shows=("Program,Group,Language",),
        ),
        Visit(
            "outbox.index",
            "GET",
            "/coord/outbox",
            LIST,
            shows=("Your application ZBQX-HDNR", NOTICE_SUBJECT),
        ),
        Visit(
            "outbox.index",
            "GET",
            "/coord/outbox?status=failed",
            LIST,
            shows=("zebulon.secret@example.org",),
        ),
    ]
    bulk = f"?program={p.id}"
    letter = {"subject_en": "News", "body_en": "Text", "form_token": "t" * 32, "expected": "en:9"}
    visits += [
        Visit("bulkmail.index", "GET", "/coord/bulk-email", LIST),
        Visit(
            "bulkmail.new",
            "GET",
            f"/coord/bulk-email/new{bulk}",
            LIST,
            shows=("2 people who did not agree to be e-mailed",),
        ),
        Visit("bulkmail.new", "POST", f"/coord/bulk-email/new{bulk}", LIST, letter),
        Visit("bulkmail.send", "POST", f"/coord/bulk-email/send{bulk}", BULK, letter),
    ]
    session, person = world.session.id, world.participant.id
    visits += [
        Visit("attendance.groups", "GET", "/coord/groups", LIST, shows=(COHORT_NAME,)),
        Visit(
            "attendance.roster_csv",
            "GET",
            f"/coord/groups/{c}/roster.csv",
            OBJECT,
            shows=(zebulon, "zebulon.secret@example.org"),
        ),
        Visit(
            "attendance.session",
            "GET",
            f"/coord/sessions/{session}/attendance",
            OBJECT,
            shows=(zebulon, COHORT_NAME),
            htmx_shows=(zebulon,),
        ),
        Visit(
            "attendance.mark",
            "POST",
            f"/coord/sessions/{session}/attendance",
            OBJECT,
            {"participant": str(person), "status": "absent"},
        ),
        Visit(
            "attendance.everyone_present",
            "POST",
            f"/coord/sessions/{session}/attendance/everyone-present",
            OBJECT,
        ),
    ]
    for message, shows in (
        (world.message, ("zebulon.secret@example.org", "Zebulon Secretname")),
        (world.notice, (NOTICE_SUBJECT, "Xavier Concealed")),
    ):
        base = f"/coord/outbox/{message.id}"
        visits += [
            Visit("outbox.show", "GET", base, OBJECT, shows=shows),
            Visit("outbox.html_source", "GET", f"{base}/html", OBJECT, shows=shows[-1:]),
            Visit("outbox.resend", "POST", f"{base}/resend", OBJECT),
            Visit("outbox.send_now", "POST", f"{base}/send-now", OBJECT),
        ]
    return visits


def admin_plan(app, world: World, coordinator_id: int) -> list[Visit]:
    """Admin pages stay admin-only: every coordinator gets 403."""
    ids = {
        "program_id": world.program.id,
        "cohort_id": world.cohort.id,
        "coordinator_id": coordinator_id,
        "window_id": world.window_id,
    }
    visits = []
    for rule in app.url_map.iter_rules():
        if not WORKSPACE_BLUEPRINTS.get(rule.endpoint.partition(".")[0]):
            continue
        path = rule.build({name: ids[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            visits.append(Visit(rule.endpoint, method, path, ADMIN))
    return visits


@pytest.fixture
def walk(app, world, clients, ctx):
    return plan(world) + admin_plan(app, world, clients["outsider"].user.id)


def test_the_walk_covers_every_workspace_route(app, walk):
    """A new workspace route fails here until it is walked (and so checked) above."""
    in_map = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in WORKSPACE_BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    walked = {(visit.endpoint, visit.method) for visit in walk}
    assert walked == in_map


# Walking ------------------------------------------------------------------------------


def state() -> tuple:
    """Everything an action of the workspace could change."""
    db.session.rollback()

    def rows(*columns):
        return sorted(tuple(r) for r in db.session.execute(select(*columns)))

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    return (
        rows(
            Application.id,
            Application.status,
            Application.priority,
            Application.duplicate_resolution,
        ),
        rows(Offer.id, Offer.status),
        rows(Cohort.id, Cohort.seats_offered, Cohort.seats_enrolled),
        rows(CohortSession.id, CohortSession.status, CohortSession.sequence),
        rows(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
        ),
        rows(Coordinator.id, Coordinator.role, Coordinator.active),
        rows(Program.id, Program.is_open, Program.name),
        rows(Attendance.session_id, Attendance.participant_id, Attendance.status),
        rows(CohortFacilitator.cohort_id, CohortFacilitator.coordinator_id),
        count(Note),
        count(StatusEvent),
        count(AuditEvent),
        count(OutboxMessage),
        count(Offer),
        rows(Letter.id, Letter.replaced_at),
    )


def send(client, visit: Visit, token: str, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    if visit.method == "GET":
        return client.get(visit.path, headers=headers)
    return client.post(visit.path, data={"csrf_token": token, **visit.data}, headers=headers)


def _leaks(text: str) -> list[str]:
    return [secret for secret in secrets() if secret.lower() in text.lower()]


def _token(client) -> str:
    page = "/coord/groups" if client.user.is_facilitator else "/coord/waitlist"
    return csrf_token(client.get(page).get_data(as_text=True))


def _facilitators_may(visit: Visit) -> bool:
    return visit.endpoint.partition(".")[0] in FACILITATOR_BLUEPRINTS


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_coordinators_of_other_programs_never_see_or_touch_its_people(walk, clients, who):
    client = clients[who]
    token = _token(client)
    before = state()
    for visit in walk:
        for htmx in (False, True):
            response = send(client, visit, token, htmx)
            text = response.get_data(as_text=True)
            if visit.echo:
                text = text.replace(visit.echo, "")
            where = (who, visit.method, visit.path, htmx, response.status_code)
            assert response.status_code < 500, where
            assert not _leaks(text), (*where, _leaks(text))
            if visit.kind == OBJECT:
                assert response.status_code == 404, where
            elif visit.kind == ADMIN:
                assert response.status_code == 403, where
            elif visit.kind == REDIRECT:
                assert response.status_code == 302, where
            elif visit.kind == LIST:
                assert response.status_code in (200, 422), where
            else:  # BULK: the ids outside their programs are left alone
                assert response.status_code in (200, 303, 422), where
            if response.status_code in (302, 303) and not htmx:
                followed = client.get(response.headers["Location"]).get_data(as_text=True)
                assert not _leaks(followed), (*where, _leaks(followed))
        assert state() == before, (who, visit.method, visit.path)
    # Their own program's people are there (the walk is not blanket refusal)...
    page = client.get("/coord/waitlist?status=all").get_data(as_text=True)
    if who == "outsider":
        assert "Olive Visible" in page
        assert NOT_ASSIGNED not in page
    else:
        # ...and someone assigned to nothing sees nothing, and is told why.
        assert "Olive Visible" not in page
        assert NOT_ASSIGNED in page
        export = client.get("/coord/waitlist/export.csv?status=all").get_data(as_text=True)
        assert export.strip().count("\n") == 0  # the header only


@pytest.mark.parametrize("who", ["assigned", "admin"])
def test_its_coordinators_and_admins_see_its_people(walk, clients, who):
    client = clients[who]
    for visit in walk:
        if visit.method != "GET":
            continue
        for htmx in (False, True):
            response = send(client, visit, "", htmx)
            where = (who, visit.path, htmx, response.status_code)
            if visit.kind == REDIRECT:
                assert response.status_code == 302, where
                continue
            if visit.kind == ADMIN:
                assert response.status_code == (200 if who == "admin" else 403), where
                continue
            assert response.status_code == 200, where
            text = response.get_data(as_text=True)
            shows = visit.htmx_shows if htmx and visit.htmx_shows is not None else visit.shows
            missing = [s for s in shows if s not in text]
            assert not missing, (*where, missing)


def test_self_identification_only_for_the_programs_coordinators(world, clients, make_coordinator):
    """Admins see every program's applicants, but the self-identification answer only
    where they are assigned, like every coordinator (the design's rule)."""
    path = f"/coord/applications/{world.applications['Zebulon Secretname'].id}"
    assert SELF_ID_SHOWN in clients["assigned"].get(path).get_data(as_text=True)
    page = clients["admin"].get(path).get_data(as_text=True)
    assert "Zebulon Secretname" in page
    assert SELF_ID_SHOWN not in page


def test_their_actions_work_where_they_are_assigned(world, clients, ctx):
    for who in ("assigned", "admin"):
        client = clients[who]
        zebulon = world.applications["Zebulon Secretname"]
        response = client.post(
            f"/coord/applications/{zebulon.id}/notes",
            data={"csrf_token": _token(client), "body": f"Seen by {who}."},
        )
        assert response.status_code == 303
        db.session.rollback()
        assert db.session.scalar(select(Note.id).where(Note.body == f"Seen by {who}."))


def test_an_e_mail_to_someone_also_in_another_program_is_not_shown(world, clients, ctx, clock):
    """One "received" e-mail may list every program a person applied to: a coordinator
    of only one of them does not read it (nor in the application's timeline)."""
    olive = world.applications["Olive Visible"]
    both = Application(
        applicant_id=olive.applicant_id,
        program=world.program,
        reference="BTHP-2345",
        status="waitlisted",
        decision={"outcome": "pass", "rules": []},
        created_at=clock(),
        updated_at=clock(),
        joined_at=clock(),
    )
    db.session.add(both)
    db.session.commit()
    outsider, assigned = clients["outsider"], clients["assigned"]
    message_id = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.applicant_id == olive.applicant_id)
    )
    assert outsider.get(f"/coord/outbox/{message_id}").status_code == 404
    assert "Your application 2345-6789" not in outsider.get("/coord/outbox").get_data(as_text=True)
    timeline = outsider.get(f"/coord/applications/{olive.id}").get_data(as_text=True)
    assert "Olive Visible" in timeline
    assert "Your application 2345-6789" not in timeline
    # Her other application stays out of the outsider's sight; her e-mail too for
    # the BIPOC intensive's coordinator, who does not coordinate introductory.
    assert assigned.get(f"/coord/outbox/{message_id}").status_code == 404
    assert outsider.get(f"/coord/applications/{both.id}").status_code == 404
    assert clients["admin"].get(f"/coord/outbox/{message_id}").status_code == 200


def test_an_assignment_applies_at_the_next_request(world, clients, ctx):
    outsider = clients["outsider"]
    path = f"/coord/applications/{world.applications['Zebulon Secretname'].id}"
    assert outsider.get(path).status_code == 404
    user = db.session.get(Coordinator, outsider.user.id)
    user.programs.append(db.session.get(Program, world.program.id))
    db.session.commit()
    assert outsider.get(path).status_code == 200


def test_a_facilitator_sees_only_the_rosters_of_its_own_cohorts(walk, clients, world):
    """Every route, as the facilitator of another program's cohort: 403 on every page
    not made for facilitators (whatever it is about), 404 for the hidden cohort's
    roster and sessions, their own groups only, and nothing changes."""
    client = clients["facilitator"]
    token = _token(client)
    before = state()
    for visit in walk:
        for htmx in (False, True):
            response = send(client, visit, token, htmx)
            text = response.get_data(as_text=True)
            where = ("facilitator", visit.method, visit.path, htmx, response.status_code)
            assert not _leaks(text), (*where, _leaks(text))
            if not _facilitators_may(visit):
                assert response.status_code == 403, where
            elif visit.kind == OBJECT:
                assert response.status_code == 404, where
            else:
                assert response.status_code == 200, where
        assert state() == before, ("facilitator", visit.method, visit.path)
    page = client.get("/coord/groups").get_data(as_text=True)
    assert "Visible circle" in page
    assert NOT_ASSIGNED not in page
    assert "Waitlist" not in page  # the menu offers only their groups


def test_a_cohorts_facilitator_sees_its_roster_and_never_self_identification(walk, clients, world):
    """The hidden cohort's own facilitator: its roster and sessions (Zebulon's name),
    never a self-identification answer, and still nothing else of the workspace."""
    client = clients["leader"]
    for visit in walk:
        if visit.method != "GET":
            continue
        for htmx in (False, True):
            response = send(client, visit, "", htmx)
            text = response.get_data(as_text=True)
            where = ("leader", visit.path, htmx, response.status_code)
            assert SELF_ID_SHOWN not in text, where
            if not _facilitators_may(visit):
                assert response.status_code == 403, where
                assert "Zebulon" not in text, where
                continue
            assert response.status_code == 200, where
            shows = visit.htmx_shows if htmx and visit.htmx_shows is not None else visit.shows
            missing = [s for s in shows if s not in text]
            assert not missing, (*where, missing)
    # Their tap is taken.
    path = f"/coord/sessions/{world.session.id}/attendance"
    response = client.post(
        path,
        data={
            "csrf_token": _token(client),
            "participant": str(world.participant.id),
            "status": "present",
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(Attendance.status)) == "present"
