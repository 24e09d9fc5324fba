import pytest

from intake.applications.services import agency_key, possible_duplicates
from intake.extensions import db
from intake.models import Application
from intake.references import new_reference
from tests import factories


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Little Sprouts Family Center", "little sprouts family center"),
        ("The Kids' Place, Inc.", "Kids Place"),
        ("Kids Place LLC", "KIDS-PLACE"),
        ("Centro Niños", "centro niños"),
    ],
)
def test_agency_key_matches_the_same_agency(one, other):
    assert agency_key(one) == agency_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Kids Place", "Kids Place North"), ("Sprouts", "Seedlings")],
)
def test_agency_key_tells_different_agencies_apart(one, other):
    assert agency_key(one) != agency_key(other)


def test_possible_duplicates_for_one_program_then_several(ctx, clock):
    """The duplicates query is built once and shared (issue 13): one program, then
    three, then one again, by e-mail and by agency, each gets its own answer."""
    now = clock()
    by_email = factories.add_application(now, 1, program="introductory", email="Ana@Example.org")
    # A second application of the same person: applicant and application ids differ
    # from here on, so a join on the wrong column finds nothing.
    db.session.add(
        Application(
            applicant=by_email.applicant,
            program=factories.program("reflective-practice-group"),
            reference=new_reference(),
            status="waitlisted",
            decision={"outcome": "pass", "rules": []},
            priority=0,
            seats_requested=1,
            created_at=now,
            updated_at=now,
        )
    )
    db.session.commit()
    factories.add_application(
        now, 3, program="bipoc-intensive", email="ana@example.org", status="withdrawn"
    )
    agency = factories.add_application(
        now, 4, program="king-county-consultation", agency_name="Sprouts"
    )
    # The same e-mail again, later: the oldest open application is the one named.
    factories.add_application(now, 5, program="introductory", email="ana@example.org")
    programs = factories.programs()
    intro, bipoc, consult = (
        programs[slug] for slug in ("introductory", "bipoc-intensive", "king-county-consultation")
    )

    assert possible_duplicates([intro], "ana@example.org", None) == {
        intro.id: (by_email.id, "same_email")
    }
    # A withdrawn application is not open: not a duplicate.
    assert possible_duplicates([intro, bipoc, consult], "ana@example.org", None) == {
        intro.id: (by_email.id, "same_email")
    }
    assert possible_duplicates(
        [intro, bipoc, consult], "ana@example.org", ("sprouts", "98104")
    ) == {intro.id: (by_email.id, "same_email"), consult.id: (agency.id, "same_agency")}
    assert possible_duplicates([bipoc], "ana@example.org", ("sprouts", "98104")) == {}
    assert possible_duplicates([consult], "nobody@example.org", ("sprouts", "98105")) == {}
    assert possible_duplicates([bipoc], "ana@example.org", None) == {}
    # Matched both ways, the same e-mail is the reason given.
    assert possible_duplicates([consult], "person0004@example.org", ("sprouts", "98104")) == {
        consult.id: (agency.id, "same_email")
    }
