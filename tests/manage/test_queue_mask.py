"""applications.match_mask is kept by the database (intake.manage.queue_bits): every
write of languages, slots or applications, through the models or straight into the
tables (bench/seed.py), leaves each application's mask that of its applicant."""

from sqlalchemy import delete, insert, select, update

from intake.extensions import db
from intake.manage import queue_bits
from intake.models import Applicant, ApplicantAvailability, ApplicantLanguage, Application
from tests import helpers
from tests.factories import add_application

# The latest migration that makes the triggers: it keeps a copy of what the app makes.
MIGRATION = "0020_agency_bit.py"


def expected_mask(applicant_id: int) -> int:
    codes = db.session.scalars(
        select(ApplicantLanguage.code).where(ApplicantLanguage.applicant_id == applicant_id)
    )
    slots = db.session.scalars(
        select(ApplicantAvailability.slot).where(ApplicantAvailability.applicant_id == applicant_id)
    )
    agency = db.session.get(Applicant, applicant_id).kind == "agency"
    return (
        sum(queue_bits.LANGUAGE_BITS.get(c, 0) for c in codes)
        + sum(queue_bits.SLOT_BITS.get(s, 0) for s in slots)
        + (queue_bits.AGENCY_BIT if agency else 0)
    )


def masks() -> dict[int, tuple[int, int]]:
    """Each application's stored mask and the one its applicant's rows give."""
    db.session.expire_all()
    return {
        a.id: (a.match_mask, expected_mask(a.applicant_id))
        for a in db.session.scalars(select(Application))
    }


def assert_masks_right() -> None:
    for application_id, (stored, expected) in masks().items():
        assert stored == expected, application_id


def test_the_bits_are_distinct_and_cover_the_choices():
    from intake.choices import AVAILABILITY, LANGUAGES

    assert set(queue_bits.LANGUAGE_BITS) == {code for code, _ in LANGUAGES}
    assert set(queue_bits.SLOT_BITS) == {slot for slot, _ in AVAILABILITY}
    values = [
        *queue_bits.LANGUAGE_BITS.values(),
        *queue_bits.SLOT_BITS.values(),
        queue_bits.AGENCY_BIT,
    ]
    assert len(set(values)) == len(values)
    assert all(v & (v - 1) == 0 for v in values)  # one bit each
    assert queue_bits.cohort_bits("es", "weekend") == 2 | 256
    assert queue_bits.cohort_bits("en", None) == 1
    assert queue_bits.cohort_bits("fr", None) is None
    assert queue_bits.cohort_bits("en", "midnight") is None


def test_the_migration_copies_the_same_values_and_triggers():
    migration = helpers.migration(MIGRATION)
    assert migration.LANGUAGE_BITS == queue_bits.LANGUAGE_BITS
    assert migration.SLOT_BITS == queue_bits.SLOT_BITS
    assert migration.AGENCY_BIT == queue_bits.AGENCY_BIT
    for name in ("POSTGRESQL", "POSTGRESQL_DROP", "SQLITE", "SQLITE_DROP"):
        assert getattr(migration, name) == getattr(queue_bits, name), name


def test_an_application_written_through_the_models_has_its_applicants_mask(ctx, clock):
    now = clock()
    one = add_application(now, 1, languages=("en", "asl"), availability=("weekend",))
    none = add_application(now, 2, languages=(), availability=())
    db.session.expire_all()
    assert one.match_mask == 1 | 8 | 256
    assert none.match_mask == 0


def test_an_agencys_application_has_the_agency_bit_and_follows_its_kind(ctx, clock):
    now = clock()
    agency = add_application(now, 1, agency_name="Kids Place", seats=3, languages=("es",))
    person = add_application(now, 2, languages=("es",))
    db.session.expire_all()
    assert agency.match_mask == 2 | 128 | queue_bits.AGENCY_BIT
    assert person.match_mask == 2 | 128
    # A kind changed by hand (no path of the app does) is followed all the same.
    db.session.execute(
        update(Applicant).where(Applicant.id == person.applicant_id).values(kind="agency")
    )
    db.session.execute(
        update(Applicant).where(Applicant.id == agency.applicant_id).values(kind="individual")
    )
    assert_masks_right()
    assert masks()[person.id][0] & queue_bits.AGENCY_BIT
    assert not masks()[agency.id][0] & queue_bits.AGENCY_BIT


def test_every_change_of_languages_slots_or_applicant_recomputes_it(ctx, clock):
    now = clock()
    first = add_application(now, 1, languages=("en",), availability=("weekday_evening",))
    second = add_application(now, 2, languages=("es",), availability=("weekend",))
    first_id, second_id = first.applicant_id, second.applicant_id
    assert_masks_right()

    db.session.execute(insert(ApplicantLanguage).values(applicant_id=first_id, code="cmn"))
    assert_masks_right()
    db.session.execute(
        update(ApplicantLanguage)
        .where(ApplicantLanguage.applicant_id == first_id, ApplicantLanguage.code == "en")
        .values(code="asl")
    )
    assert_masks_right()
    # A row moved from one applicant to another changes both.
    db.session.execute(
        update(ApplicantAvailability)
        .where(ApplicantAvailability.applicant_id == second_id)
        .values(applicant_id=first_id)
    )
    assert masks()[second.id] == (2, 2)
    assert masks()[first.id] == (4 | 8 | 128 | 256, 4 | 8 | 128 | 256)
    db.session.execute(delete(ApplicantLanguage).where(ApplicantLanguage.applicant_id == first_id))
    assert masks()[first.id] == (128 | 256, 128 | 256)
    # An application given to another applicant takes theirs.
    db.session.execute(
        update(Application).where(Application.id == first.id).values(applicant_id=second_id)
    )
    assert masks()[first.id] == (2, 2)
    # Writing the column by hand does not stick.
    db.session.execute(update(Application).values(match_mask=12345))
    db.session.execute(update(Application).where(Application.id == second.id).values(priority=1))
    db.session.commit()
    stored = {application_id: s for application_id, (s, _) in masks().items()}
    if db.engine.dialect.name == "postgresql":
        assert_masks_right()
    else:
        # SQLite recomputes only on a change of the applicant or their rows: the
        # column is written by the triggers alone (never by the app).
        assert set(stored.values()) == {12345}


def test_bulk_inserts_straight_into_the_tables_get_the_mask(ctx, clock):
    """bench/seed.py's way: applications first or languages first, many rows a
    statement, no model in sight."""
    now = clock()
    template = add_application(now, 1, languages=(), availability=())
    row = {
        column.key: getattr(template, column.key)
        for column in Application.__table__.columns
        if column.key not in ("id", "reference", "match_mask")
    }
    applicant_id = template.applicant_id
    db.session.execute(
        insert(Application),
        [{**row, "reference": f"BULK-{n:04d}"} for n in range(3)],
    )
    db.session.execute(
        insert(ApplicantLanguage),
        [{"applicant_id": applicant_id, "code": c} for c in ("es", "cmn")],
    )
    db.session.execute(
        insert(ApplicantAvailability),
        [{"applicant_id": applicant_id, "slot": s} for s in ("weekday_morning", "weekend")],
    )
    db.session.commit()
    assert_masks_right()
    assert {stored for stored, _ in masks().values()} == {2 | 4 | 16 | 256}
