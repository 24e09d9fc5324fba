"""Hostile input never gets a 5xx, on SQLite and on PostgreSQL (TEST_DATABASE_URL).

Two walks with hypothesis: every rule of ``app.url_map`` (GET and POST, as anonymous,
coordinator and admin) with hostile URL parameters, query strings and form bodies;
and every form class (found by subclass discovery) posted to the view that serves it.
A third test, without hypothesis, sends one answer with a NUL to every form that
has a text field: the form comes back with an error next to that field and the other
answers kept. The examples from issue 9 come first, as plain regression tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, UnicodeConverter

from intake import links
from intake.auth.services import make_reset_token
from intake.extensions import db
from intake.forms import Form
from intake.inputs import CleanStringConverter, DatabaseIntConverter
from intake.manage.tokens import mint_manage_token
from intake.models import Letter
from intake.offers.services import accept, make_offer
from intake.survey.tokens import sign as sign_survey
from tests.conftest import PASSWORD
from tests.factories import (
    add_cohort,
    add_participant,
    add_sessions,
    add_window,
    application_maker,
)
from tests.helpers import (
    AGENCY_DETAILS,
    AGENCY_SCREENER_ANSWERS,
    APPLICATION_DETAILS,
    SCREENER_ANSWERS,
    complete_agency_screener,
    complete_screener,
    csrf_token,
    form_token,
)


def few_examples(count: int) -> settings:
    """A few walks, each visiting everything: fast, on both databases. No shrinking:
    a walk is hundreds of requests, and the failing request is in the message."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


HOSTILE = [
    "\x00",
    "a\x00b",
    "x" * 5000,
    "2147483648",
    "-2147483649",
    "99999999999999999999",
    "0",
    "-1",
    "1e400",
    "NaN",
    "\u202eevil\u202c",
    "\u200f\u0645\u0631\u062d\u0628\u0627",
    "\ud800",  # a lone surrogate: sent as the invalid UTF-8 %ED%A0%80
    "\udfffz",
    "\x1b[2J\x07",
    "\x7f\x85\x9f",
    "%00",
    "e\u0301",
    "\ufeff",
    "' OR 1=1 --",
    "../../etc/passwd",
    "",
    " ",
    "0001-01-01",
    "9999-12-31",
    "{{7*7}}",
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # digits, to str.isdigit(), but not ASCII
    "\u00b2\u00b3",
    "<script>",
]
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec=None), max_size=20),
    st.integers().map(str),
)
# A path segment matched by the int converter is digits; beyond the bounds is a 404.
hostile_int = st.one_of(
    st.sampled_from(["1", "2", "3", "0", "007", "2147483647", "2147483648", "9" * 30]),
    st.integers(min_value=0).map(str),
)
QUERY_NAMES = [
    "program", "q", "sort", "dir", "page", "status", "language", "kind",
    "cohort", "lang", "next", "from", "to", "ids",
]  # fmt: skip


def _quote(value: str) -> str:
    # surrogatepass: a lone surrogate goes out as bytes no UTF-8 decoder accepts.
    return quote(value, safe="", encoding="utf-8", errors="surrogatepass")


def encode(pairs) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


def all_form_classes() -> set[type]:
    """Every form class of the app, found by walking the subclasses of the base."""
    import intake

    for module in pkgutil.walk_packages(intake.__path__, "intake."):
        if module.name.endswith((".forms", ".views")):
            importlib.import_module(module.name)
    found, todo = set(), [Form]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            # Not decline_form's per-request class, nor a test's own form.
            if "<locals>" not in sub.__qualname__ and sub.__module__.startswith("intake."):
                found.add(sub)
    return found


def form_field_names() -> list[str]:
    names = set()
    for cls in all_form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name)
            if hasattr(unbound, "field_class"):
                names.add(unbound.kwargs.get("name") or name)
    return sorted(names | {"ids", "return_to", "message_1", "rescind-1-reason"})


def is_5xx(response) -> bool:
    return response.status_code >= 500


# The world the walks visit --------------------------------------------------------


@dataclass
class World:
    clients: dict
    tokens: dict
    ids: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)


@pytest.fixture
def world(app, ctx, clock, make_coordinator, login) -> World:
    now = clock()
    add = application_maker(clock)
    waiting = add("Wanda Waiting")
    agency = add(program="king-county-consultation", agency_name="Little Sprouts", seats=2)
    review = add("Rey Review", status="needs_review")
    ineligible = add("Ines Declined", status="ineligible", joined_days_ago=None)
    checkin = add("Cora Checkin")
    checkin.checkin_sent_at = now - timedelta(days=1)
    offered = add("Otto Offered")
    cohort = add_cohort(
        now,
        name="Spring evening",
        facilitator="Mai",
        schedule="First Tuesday, 6-8 pm",
        commit=False,
    )
    offer = make_offer(cohort, offered, now=now)
    participant = add_participant(waiting, cohort, now, commit=False)
    [session] = add_sessions(cohort, now - timedelta(hours=2), count=1, commit=False)
    # An agency that accepted its seats: its director names staff.
    staffing = add(program="king-county-consultation", agency_name="Busy Bees", seats=2)
    agency_cohort = add_cohort(
        now, program="king-county-consultation", name="Agency group", commit=False
    )
    accept(make_offer(agency_cohort, staffing, now=now), now=now)
    staffing_manage = mint_manage_token(staffing.applicant_id, now)
    # Another person of the cohort completed it and has a letter.
    letter = _letter(offered, cohort, now)
    manage = mint_manage_token(waiting.applicant_id, now)
    agency_manage = mint_manage_token(agency.applicant_id, now)
    # A program whose cycle is over: it offers "e-mail me when it opens".
    window = add_window(
        "reflective-practice-group",
        now - timedelta(days=60),
        now - timedelta(days=30),
        commit=False,
    )
    db.session.commit()

    coordinator = make_coordinator()
    admin = make_coordinator(email="admin@example.org", admin=True)
    plain = make_coordinator(email="newbie@example.org", programs=["introductory"])
    clients = {"anonymous": app.test_client()}
    clients["coordinator"] = login(app.test_client(), coordinator)
    clients["admin"] = login(app.test_client(), admin)
    tokens = {}
    for role, client in clients.items():
        page = client.get("/coord/waitlist" if role != "anonymous" else "/screener")
        tokens[role] = csrf_token(page.get_data(as_text=True))
    expires = now + timedelta(days=7)
    return World(
        clients=clients,
        tokens=tokens,
        ids={
            "application": waiting.id,
            "agency": agency.id,
            "review": review.id,
            "ineligible": ineligible.id,
            "cohort": cohort.id,
            "offer": offer.id,
            "letter": letter.id,
            "program": cohort.program_id,
            "coordinator": plain.id,
            "session": session.id,
            "participant": participant.id,
            "window": window.id,
            "window_program": window.program_id,
            "me": {"coordinator": coordinator.id, "admin": admin.id},
        },
        paths={
            "manage": f"/manage/{manage}",
            "agency_manage": f"/manage/{agency_manage}",
            "staffing": f"/manage/{staffing_manage}/staff/{staffing.reference}",
            "reference": waiting.reference,
            "reset": f"/coord/reset/{make_reset_token(plain)}",
            "survey": "/survey/" + sign_survey(participant.id, expires),
            "checkin_yes": "/respond/checkin_yes/"
            + links.sign("checkin_yes", checkin.id, None, expires),
            "offer_decline": "/respond/offer_decline/"
            + links.sign("offer_decline", offered.id, offer.id, expires),
        },
    )


def _letter(application, cohort, now) -> Letter:
    """A participant who completed the cohort, and their letter of hours."""
    participant = add_participant(application, cohort, now, commit=False)
    participant.status = "completed"
    letter = Letter(
        participant_id=participant.id,
        code="HSTL-2345-6789",
        facts={"participant": participant.name, "credited_minutes": 600, "sessions": []},
        locale="en",
        issued_at=now,
    )
    db.session.add(letter)
    db.session.flush()
    return letter


# 1. The examples in the issue --------------------------------------------------------

ISSUE_URLS = [
    "/coord/applications/2147483648",
    "/coord/cohorts/2147483648",
    "/coord/outbox/99999999999999999999",
    "/coord/admin/programs/2147483648/edit",
    "/coord/review?page=99999999999999999999",
    "/coord/outbox?page=99999999999999999999",
    "/coord/waitlist?page=99999999999999999999&cohort=2147483648&program=2147483648",
    "/programs/%00",
    "/manage/%00",
    "/respond/offer_accept/%00",
    "/coord/reset/%00",
    "/screener?program=%00",
    "/apply?program=%00",
    "/coord/cohorts/1?q=%00",
    "/coord/reports?program=%00&from=0001-01-01&to=0001-01-02",
    "/static/%00",
]


@pytest.mark.parametrize("url", ISSUE_URLS)
def test_the_issues_urls_are_not_server_errors(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code in (200, 302, 404, 422), (url, response.status_code)


def test_bulk_ids_beyond_32_bits_are_ignored(coordinator_client):
    token = csrf_token(coordinator_client.get("/coord/review").get_data(as_text=True))
    for path, extra in (
        ("/coord/review/decline", {}),
        ("/coord/review", {"action": "approve", "reason": "Checked"}),
    ):
        response = coordinator_client.post(
            path, data={"ids": ["2147483648", "-1", "x"], "csrf_token": token, **extra}
        )
        assert response.status_code in (303, 422), (path, response.status_code)


def test_a_hidden_token_longer_than_its_column_gets_the_form_back(client, ctx):
    complete_screener(client)
    page = client.get("/apply").get_data(as_text=True)
    data = {**APPLICATION_DETAILS, "csrf_token": csrf_token(page), "form_token": "x" * 500}
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Rosa Example"' in page
    fresh = form_token(page)
    assert fresh != "x" * 500
    again = client.post("/apply", data={**data, "form_token": fresh})
    assert again.status_code == 303


def test_every_int_route_parameter_is_bounded(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, DatabaseIntConverter), (rule.rule, name)
            if isinstance(converter, UnicodeConverter):
                assert isinstance(converter, CleanStringConverter), (rule.rule, name)


# 2. Every route, hostile everywhere ----------------------------------------------------

# Signing out (or deactivating oneself) would end the walk for the signed-in roles.
LEAVES = {"auth.logout", "admin.deactivate_coordinator", "admin.reset_two_step"}


PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted({"GET", "POST"} & rule.methods):
            yield rule, method


def _walk(app, world: World, role: str, data) -> None:
    client = world.clients[role]
    names = form_field_names()
    for rule, method in _rules(app):
        if role != "anonymous" and rule.endpoint in LEAVES:
            continue
        parts = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, DatabaseIntConverter):
                value = data.draw(hostile_int, label=f"{rule.rule} {name}")
                if role != "anonymous" and value in {str(i) for i in world.ids["me"].values()}:
                    value = "2147483648"
            else:
                value = data.draw(hostile, label=f"{rule.rule} {name}")
            parts[name] = _quote(value) or "x"
        path = PLACEHOLDER.sub(lambda m, parts=parts: parts[m.group(1)], rule.rule)
        query = data.draw(
            st.lists(st.tuples(st.sampled_from(QUERY_NAMES), hostile), max_size=3),
            label=f"{method} {rule.rule} query",
        )
        url = path + ("?" + encode(query) if query else "")
        if method == "GET":
            response = client.get(url)
        else:
            body = data.draw(
                st.lists(st.tuples(st.sampled_from(names), hostile), max_size=6),
                label=f"POST {rule.rule} body",
            )
            body.append(("csrf_token", world.tokens[role]))
            response = client.post(
                url, data=encode(body), content_type="application/x-www-form-urlencoded"
            )
        assert not is_5xx(response), (method, url, response.status_code)


@pytest.mark.parametrize("role", ["anonymous", "coordinator", "admin"])
def test_every_route_survives_hostile_input(app, world, role):
    @few_examples(3)
    @given(data=st.data())
    def walk(data):
        _walk(app, world, role, data)

    walk()


# 3. Every form, hostile answers ---------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Where a form is served and answers that pass, to spoil one at a time."""

    role: str
    url: Callable[[World], str]
    answers: Callable[[World], dict]
    # A text field to send a NUL in, and answers expected back on the page.
    poison: str | None = None
    kept: tuple[str, ...] = ()
    prepare: Callable | None = None


def _apply_prepare(client):
    complete_screener(client)
    return {"form_token": form_token(client.get("/apply").get_data(as_text=True))}


def _agency_prepare(client):
    complete_agency_screener(client)
    return {"form_token": form_token(client.get("/apply/agency").get_data(as_text=True))}


def _app_url(part):
    return lambda w: f"/coord/applications/{w.ids['application']}/{part}"


def _review_url(part):
    return lambda w: f"/coord/applications/{w.ids['review']}/{part}"


def _bulk_prepare(client):
    """Everyone agreed to e-mail, so the bulk e-mail form has people to write to."""
    from sqlalchemy import select, update

    from intake.models import Applicant, Cohort

    db.session.execute(update(Applicant).values(consent_contact=True))
    db.session.commit()
    program_id = db.session.scalars(select(Cohort.program_id)).first()
    page = client.get(f"/coord/bulk-email/new?program={program_id}&status=all").get_data(
        as_text=True
    )
    return {"form_token": re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)[1]}


def _bulk_url(w):
    return f"/coord/bulk-email/new?program={w.ids['program']}&status=all"


PROGRAM_ANSWERS = {
    "name": "Introductory groups",
    "audience": "Practitioners new to reflective practice",
    "summary": "Monthly small groups",
    "shape": "Ten sessions online",
    "is_open": "open",
    "offer_window_days": "7",
    "checkin_interval_days": "90",
    "checkin_window_days": "14",
    "auto_offer": "off",
    "position": "10",
    "session_count": "10",
    "session_minutes": "90",
    "session_pattern": "monthly",
    "has_in_person_part": "no",
    "credit_minutes_per_session": "",
    "credit_cap_minutes": "720",
    "completion_percent": "80",
}

SCENARIOS: dict[str, Scenario] = {
    "IndividualScreenerForm": Scenario(
        "anonymous",
        lambda w: "/screener",
        lambda w: {**SCREENER_ANSWERS, "roles": ["home_visitor", "other"], "role_other": "Doula"},
        poison="role_other",
        kept=('value="direct" checked',),
    ),
    "AgencyScreenerForm": Scenario(
        "anonymous",
        lambda w: "/screener/agency",
        lambda w: dict(AGENCY_SCREENER_ANSWERS),
        poison="service_zips",
        kept=('value="yes" checked',),
    ),
    "DirectorReferralForm": Scenario(
        "anonymous",
        lambda w: "/screener/agency/refer",
        lambda w: {"director_email": "director@example.org", "your_name": "Sam Staff"},
        poison="your_name",
        kept=('value="director@example.org"',),
    ),
    "IndividualApplicationForm": Scenario(
        "anonymous",
        lambda w: "/apply",
        lambda w: dict(APPLICATION_DETAILS),
        poison="name",
        kept=('value="rosa@example.org"', 'value="98104"', 'value="weekday_evening" checked'),
        prepare=_apply_prepare,
    ),
    "AgencyApplicationForm": Scenario(
        "anonymous",
        lambda w: "/apply/agency",
        lambda w: dict(AGENCY_DETAILS),
        poison="agency_name",
        kept=('value="100 Example Way"', 'value="Dana Example"', 'value="6"'),
        prepare=_agency_prepare,
    ),
    "IndividualDetailsForm": Scenario(
        "anonymous",
        lambda w: w.paths["manage"] + "/details",
        lambda w: {
            "name": "Wanda W.",
            "phone": "206 555 0100",
            "languages": ["en"],
            "availability": ["weekday_evening"],
        },
        poison="name",
        kept=('value="206 555 0100"',),
    ),
    "AgencyDetailsForm": Scenario(
        "anonymous",
        lambda w: w.paths["agency_manage"] + "/details",
        lambda w: {
            "name": "Dana D.",
            "phone": "206 555 0199",
            "languages": ["en"],
            "availability": ["weekday_evening"],
        },
        poison="name",
        kept=('value="206 555 0199"',),
    ),
    "manage.forms.WithdrawForm": Scenario(
        "anonymous",
        lambda w: f"{w.paths['manage']}/withdraw/{w.paths['reference']}",
        lambda w: {"reason": "Moving away"},
        poison="reason",
    ),
    "DeleteForm": Scenario(
        "anonymous", lambda w: w.paths["manage"] + "/delete", lambda w: {"confirm": ""}
    ),
    "RequestLinkForm": Scenario(
        "anonymous",
        lambda w: "/manage/link",
        lambda w: {"email": "rosa@example.org"},
        poison="email",
    ),
    "ConfirmForm": Scenario("anonymous", lambda w: w.paths["checkin_yes"], lambda w: {}),
    "SurveyForm": Scenario(
        "anonymous",
        lambda w: w.paths["survey"],
        lambda w: {"safe_to_share": "5", "comments": "A good group."},
        poison="comments",
        kept=('value="5" checked',),
    ),
    "respond.forms.DeclineForm": Scenario(
        "anonymous", lambda w: w.paths["offer_decline"], lambda w: {"choice": ""}
    ),
    "LoginForm": Scenario(
        "anonymous",
        lambda w: "/coord/login",
        lambda w: {"email": "nobody@example.org", "password": PASSWORD},
        poison="email",
    ),
    "CodeForm": Scenario(
        "coordinator",
        lambda w: "/coord/account/two-factor",
        lambda w: {"code": "123456"},
        poison="code",
    ),
    "DigestForm": Scenario("coordinator", lambda w: "/coord/account", lambda w: {"digest": "off"}),
    "ForgotPasswordForm": Scenario(
        "anonymous",
        lambda w: "/coord/forgot",
        lambda w: {"email": "nobody@example.org"},
        poison="email",
    ),
    "NewPasswordForm": Scenario(
        "anonymous", lambda w: w.paths["reset"], lambda w: {"password": "", "confirm": ""}
    ),
    "NoteForm": Scenario(
        "coordinator",
        _app_url("notes"),
        lambda w: {"body": "Called them today"},
        poison="body",
    ),
    "PriorityForm": Scenario(
        "coordinator",
        _app_url("priority"),
        lambda w: {"priority": "5", "reason": "Urgent need"},
        poison="reason",
        kept=('value="5"',),
    ),
    "ApproveForm": Scenario(
        "coordinator",
        _review_url("approve"),
        lambda w: {"reason": "Fits well"},
        poison="reason",
    ),
    "OverrideForm": Scenario(
        "coordinator",
        lambda w: f"/coord/applications/{w.ids['ineligible']}/override",
        lambda w: {"reason": "Fits after all", "priority": "3"},
        poison="reason",
        kept=('value="3"',),
    ),
    "EntryForm": Scenario(
        "coordinator",
        lambda w: "/coord/enter",
        lambda w: {
            **SCREENER_ANSWERS,
            **APPLICATION_DETAILS,
            "entered_via": "phone",
            "locale": "es",
            "form_token": "hostile-entry",
        },
        poison="name",
        kept=('value="rosa@example.org"', 'value="es" checked', 'value="phone" checked'),
    ),
    "casefile.forms.DeclineForm": Scenario(
        "coordinator",
        _review_url("decline"),
        lambda w: {"reason": "Not eligible", "message": "We are sorry to say no"},
        poison="reason",
        kept=("We are sorry to say no",),
    ),
    "casefile.forms.WithdrawForm": Scenario(
        "coordinator",
        _app_url("withdraw"),
        lambda w: {"reason": "Asked by phone"},
        poison="reason",
    ),
    "SplitForm": Scenario(
        "coordinator",
        lambda w: f"/coord/applications/{w.ids['agency']}/split",
        lambda w: {"parts": "1, 1", "seats": "2", "reason": "Two groups fit better"},
        poison="parts",
        kept=("Two groups fit better",),
    ),
    "StaffForm": Scenario(
        "anonymous",
        lambda w: w.paths["staffing"],
        lambda w: {
            "name": "Ana Staff",
            "email": "ana@example.org",
            "role": "home_visitor",
            "language": "es",
            "access_needs": ["captions"],
            "access_needs_other": "Large print",
        },
        poison="name",
        kept=('value="ana@example.org"', "Large print"),
    ),
    "DuplicateForm": Scenario(
        "coordinator",
        _app_url("duplicate"),
        lambda w: {"resolution": "keep_both", "reason": "Different people"},
    ),
    "ProgramForm": Scenario(
        "admin",
        lambda w: f"/coord/admin/programs/{w.ids['program']}/edit",
        lambda w: dict(PROGRAM_ANSWERS),
        poison="name",
        kept=("Ten sessions online",),
    ),
    "NewProgramForm": Scenario(
        "admin",
        lambda w: "/coord/admin/programs/new",
        lambda w: {**PROGRAM_ANSWERS, "kind": "individual"},
        poison="summary",
        kept=('value="Introductory groups"',),
    ),
    "CoordinatorForm": Scenario(
        "admin",
        lambda w: f"/coord/admin/coordinators/{w.ids['coordinator']}/edit",
        lambda w: {
            "name": "Newbie Person",
            "role": "coordinator",
            "programs": [str(w.ids["program"])],
        },
        poison="name",
    ),
    "NewCoordinatorForm": Scenario(
        "admin",
        lambda w: "/coord/admin/coordinators/new",
        lambda w: {"name": "Fresh Person", "role": "coordinator", "email": "fresh@example.org"},
        poison="name",
        kept=('value="fresh@example.org"',),
    ),
    "CohortForm": Scenario(
        "admin",
        lambda w: "/coord/admin/cohorts/new",
        lambda w: {
            "program": str(w.ids["program"]),
            "name": "Autumn group",
            "language": "en",
            "facilitator": "Mai",
            "schedule": "Tuesdays 6 pm",
            "time_slot": "weekday_evening",
            "start_date": "2026-09-01",
            "seats": "8",
        },
        poison="name",
        kept=('value="Tuesdays 6 pm"',),
    ),
    "GenerateForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/sessions/new",
        lambda w: {
            "first_date": "2026-09-01",
            "pattern": "monthly",
            "count": "10",
            "start_time": "18:00",
            "minutes": "90",
            "location_kind": "online",
            "meeting_url": "https://meet.example.org/autumn",
            "place": "",
        },
        poison="meeting_url",
        kept=('value="2026-09-01"',),
    ),
    "SessionForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/sessions/{w.ids['session']}",
        lambda w: {
            "day": "2026-09-02",
            "start_time": "17:00",
            "minutes": "60",
            "location_kind": "in_person",
            "meeting_url": "",
            "place": "Room 2, 1 Example St",
            "sequence": "0",
        },
        poison="place",
        kept=('value="2026-09-02"',),
    ),
    "CancelForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/sessions/{w.ids['session']}/cancel",
        lambda w: {"sequence": "0"},
    ),
    "OfferNextForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/offer-next",
        lambda w: {"previewed": ""},
    ),
    "OfferOneForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/offer-one",
        lambda w: {"application": "", "reason": "Out of order"},
    ),
    "RescindForm": Scenario(
        "coordinator",
        lambda w: f"/coord/cohorts/{w.ids['cohort']}/offers/{w.ids['offer']}/rescind",
        lambda w: {f"rescind-{w.ids['offer']}-reason": ""},
    ),
    "QueueActionForm": Scenario(
        "coordinator",
        lambda w: "/coord/review",
        lambda w: {"ids": [str(w.ids["review"])], "action": "approve", "reason": "Checked"},
        poison="reason",
    ),
    "review.forms.DeclineForm": Scenario(
        "coordinator",
        lambda w: "/coord/review/decline",
        lambda w: {
            "ids": [str(w.ids["review"])],
            "reason": "Not eligible",
            f"message_{w.ids['review']}": "Sorry, no place fits",
        },
        poison="reason",
        kept=("Sorry, no place fits",),
    ),
    "ReportFilterForm": Scenario("coordinator", lambda w: "/coord/reports", lambda w: {}),
    "CohortEditForm": Scenario(
        "admin",
        lambda w: f"/coord/admin/cohorts/{w.ids['cohort']}/edit",
        lambda w: {
            "program": str(w.ids["program"]),
            "name": "Spring evening",
            "language": "en",
            "facilitator": "Mai",
            "schedule": "Tuesdays 7 pm",
            "time_slot": "weekday_evening",
            "start_date": "2026-09-01",
            "seats": "8",
            "facilitator_accounts": [],
        },
        poison="name",
        kept=('value="Tuesdays 7 pm"',),
    ),
    "MarkForm": Scenario(
        "coordinator",
        lambda w: f"/coord/sessions/{w.ids['session']}/attendance",
        lambda w: {"participant": str(w.ids["participant"]), "status": "present"},
    ),
    "EveryonePresentForm": Scenario(
        "coordinator",
        lambda w: f"/coord/sessions/{w.ids['session']}/attendance/everyone-present",
        lambda w: {},
    ),
    "BulkMailForm": Scenario(
        "coordinator",
        _bulk_url,
        lambda w: {"subject_en": "News about the groups", "body_en": "A group starts soon."},
        poison="body_en",
        kept=('value="News about the groups"',),
        prepare=_bulk_prepare,
    ),
    "WindowForm": Scenario(
        "admin",
        lambda w: f"/coord/admin/programs/{w.ids['window_program']}/windows/{w.ids['window']}",
        lambda w: {
            "name": "2027 cycle",
            "name_es": "Ciclo 2027",
            "name_zh": "",
            "opens_at": "2027-01-04T09:00",
            "closes_at": "2027-02-01T17:00",
        },
        poison="name",
        kept=('value="2027-02-01T17:00"',),
    ),
    "OpeningNoticeForm": Scenario(
        "anonymous",
        lambda w: "/programs/reflective-practice-group/notify",
        lambda w: {"email": "someone@example.org"},
        poison="email",
    ),
    "VerifyForm": Scenario(
        "anonymous", lambda w: "/verify", lambda w: {"code": "ABCD-EFGH-JKMN"}, poison="code"
    ),
    "ReissueForm": Scenario(
        "coordinator",
        lambda w: f"/coord/letters/{w.ids['letter']}/reissue",
        lambda w: {f"reissue-{w.ids['letter']}-reason": "Name corrected"},
    ),
}

# Forms sent with GET: looking something up changes nothing.
GET_FORMS = {"/coord/reports", "/verify"}


def _key(cls) -> str:
    """A form's key in SCENARIOS: its name, with its feature where names repeat."""
    feature = cls.__module__.removeprefix("intake.")
    names = [c.__name__ for c in all_form_classes()]
    return cls.__name__ if names.count(cls.__name__) == 1 else f"{feature}.{cls.__name__}"


# Bases only ever served through their subclasses.
BASES = {"ApplicationForm", "_WhenWhere"}


def test_every_form_has_a_scenario():
    assert {_key(cls) for cls in all_form_classes()} - BASES == set(SCENARIOS)


def _send(world: World, scenario: Scenario, answers: dict):
    client = world.clients[scenario.role]
    extra = scenario.prepare(client) if scenario.prepare else {}
    url = scenario.url(world)
    pairs = [
        (name, value)
        for name, values in {**answers, **extra}.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    pairs.append(("csrf_token", world.tokens[scenario.role]))
    if url in GET_FORMS:
        return client.get(url + "?" + encode(pairs))
    return client.post(url, data=encode(pairs), content_type="application/x-www-form-urlencoded")


CONTROL_CHARACTERS = "had invisible control characters in it, which we removed"
POISONED = [name for name, s in SCENARIOS.items() if s.poison]


def test_a_nul_in_any_text_answer_comes_back_marked_with_the_rest_kept(world):
    for name in POISONED:
        scenario = SCENARIOS[name]
        answers = scenario.answers(world)
        clean = answers[scenario.poison]
        answers[scenario.poison] = clean[:3] + "\x00" + clean[3:]
        response = _send(world, scenario, answers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (name, response.status_code)
        assert CONTROL_CHARACTERS in page, name
        assert "field-error" in page, name
        # The answer without its NUL, ready to send again, and the others kept.
        assert clean in page, name
        for expected in scenario.kept:
            assert expected in page, (name, expected)


def test_every_form_survives_hostile_answers(world):
    @few_examples(6)
    @given(data=st.data())
    def walk(data):
        for name, scenario in SCENARIOS.items():
            answers = scenario.answers(world)
            names = sorted(answers) or ["x"]
            spoiled = data.draw(
                st.dictionaries(st.sampled_from(names), hostile, min_size=1, max_size=3),
                label=name,
            )
            response = _send(world, scenario, {**answers, **spoiled})
            assert not is_5xx(response), (name, spoiled, response.status_code)

    walk()
