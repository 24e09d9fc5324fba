"""Seed a database with N fictional applications, fast, for the benchmarks.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/intake_bench \
        .venv/bin/python bench/seed.py --rows 100000

Run it after ``flask db upgrade`` and ``flask seed`` (it needs the default programs). It
adds to what is there, so two runs give twice N. Every name and address is made up
(example.org); none is a real person's.

The rows go in with bulk INSERTs (SQLAlchemy Core, thousands per statement), not through
``submit_application``: a 100,000-row queue takes seconds rather than the half hour the
real path would, and nothing is e-mailed. The spread imitates a busy year:

- programs: 55 % the introductory groups, 15 % each of the BIPOC intensive, the King
  County agency consultation (agency requests for 1–6 seats) and the Illinois groups;
- statuses: 62 % waiting for a seat, 6 % waiting for review, the rest withdrawn, closed,
  paused (inactive), declined, expired or not eligible. Statuses that need offer or
  participant rows (offered, enrolled, completed) are left out: the benchmarks read
  queues and lists, and those rows would only be noise;
- languages: English, Spanish, Mandarin and ASL, some people with two; one to three
  time slots each; 3 % with a priority; joined over the last two years;
- names drawn from a mixed list with accents and Chinese names, so searches such as
  "chen" or "garcía" find a realistic share;
- one status event per application (the reports read them), and each program gets
  upcoming cohorts in several languages and time slots when it has fewer than four.

Same ``--seed``, same data (apart from ids, which follow what is already there).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

# Run as a script from the checkout: make the app importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.extensions import db
from intake.models import (
    AgencyDetails,
    Applicant,
    ApplicantAvailability,
    ApplicantLanguage,
    Application,
    Cohort,
    Program,
    SelfIdentification,
    StatusEvent,
)
from intake.references import ALPHABET

BATCH = 5_000

FIRST_NAMES = (
    "Ana",
    "José",
    "María",
    "Zoë",
    "Renée",
    "Björn",
    "Chloé",
    "Nguyễn Thị",
    "Mai",
    "Wei",
    "Xiu Ying",
    "Jun",
    "Aaliyah",
    "Fatima",
    "Amara",
    "Kwame",
    "Lucía",
    "Sofía",
    "Mateo",
    "Camila",
    "Dmitri",
    "Olga",
    "Siobhán",
    "Seán",
    "Ngọc",
    "Hana",
    "Yuki",
    "Priya",
    "Anjali",
    "Tomás",
    "Inés",
    "Sam",
    "Jordan",
    "Taylor",
    "Alex",
    "Noor",
    "Layla",
    "Élodie",
    "François",
    "Chen",
    "Mei",
    "Lan",
    "Ximena",
    "Guadalupe",
    "Imani",
)
LAST_NAMES = (
    "García",
    "Hernández",
    "López",
    "Martínez",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Nguyen",
    "Trần",
    "Phạm",
    "Kim",
    "Park",
    "Johnson",
    "Williams",
    "Brown",
    "Okafor",
    "Mensah",
    "Haddad",
    "Al-Sayed",
    "O'Connor",
    "Müller",
    "Søren",
    "Dubois",
    "Ibáñez",
    "Núñez",
    "Peña",
    "Castillo",
    "Rossi",
    "Kowalski",
    "Novák",
    "Yılmaz",  # noqa: RUF001 - a Turkish dotless i, on purpose
    "Chenoweth",
    "Hsu",
    "Huang",
    "Lin",
    "Wu",
    "Zhao",
    "Begay",
    "Yazzie",
    "Tsosie",
    "Smith",
    "Lee",
)
AGENCY_WORDS = (
    "Family Center",
    "Early Learning",
    "Home Visiting",
    "Child Care Network",
    "Head Start",
    "Infant Mental Health Services",
    "Community Clinic",
    "Birth to Five",
)
PLACES = (
    "Rainier",
    "Kent",
    "Burien",
    "Auburn",
    "Renton",
    "White Center",
    "Shoreline",
    "Federal Way",
    "Tukwila",
    "Bellevue",
    "Kirkland",
    "Chenango",
)  # fictional mix
KING_COUNTY_ZIPS = ("98104", "98118", "98032", "98146", "98002", "98057", "98155", "98003")
SLOTS = ("weekday_morning", "weekday_midday", "weekday_afternoon", "weekday_evening", "weekend")

# (program slug, share)
PROGRAM_SHARES = (
    ("introductory", 55),
    ("bipoc-intensive", 15),
    ("king-county-consultation", 15),
    ("reflective-practice-group", 15),
)
# (status, share, on the waitlist?)
STATUS_SHARES = (
    ("waitlisted", 62, True),
    ("needs_review", 6, False),
    ("withdrawn", 10, True),
    ("closed", 5, True),
    ("inactive", 5, True),
    ("declined", 3, True),
    ("expired", 2, True),
    ("ineligible", 7, False),
)
ON_WAITLIST = {status: joined for status, _, joined in STATUS_SHARES}
LANGUAGE_SHARES = (("en", 75), ("es", 15), ("cmn", 8), ("asl", 2))
# Upcoming groups per program: (language, time slot, seats).
COHORTS = (
    ("en", "weekday_evening", 10),
    ("en", "weekday_morning", 8),
    ("es", "weekend", 8),
    ("cmn", "weekday_midday", 8),
)


def _weighted(rng: random.Random, shares):
    return rng.choices([s[0] for s in shares], weights=[s[1] for s in shares])[0]


def _references(rng: random.Random, n: int, taken: set[str]) -> Iterator[str]:
    made = 0
    while made < n:
        chars = "".join(rng.choice(ALPHABET) for _ in range(8))
        reference = f"{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            made += 1
            yield reference


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _add_cohorts(programs: dict[str, Program], now: datetime) -> int:
    added = 0
    for slug, program in programs.items():
        have = db.session.scalar(
            select(func.count()).select_from(Cohort).where(Cohort.program_id == program.id)
        )
        for number, (language, slot, seats) in enumerate(COHORTS[have or 0 :], start=1):
            db.session.add(
                Cohort(
                    program=program,
                    name=f"Bench group {number} ({language}, {slot})",
                    language=language,
                    facilitator="Pat Example",
                    schedule="Every other Tuesday, 6–7:30 pm",
                    time_slot=slot,
                    start_date=now.date() + timedelta(days=30 + 14 * number),
                    seats=12 if slug == "king-county-consultation" else seats,
                    created_at=now,
                )
            )
            added += 1
    db.session.flush()
    return added


def seed(rows: int, *, now: datetime, seed: int = 13) -> dict[str, int]:
    """Insert ``rows`` applications (one per applicant) with their applicants and the
    rows that hang off them; commit. Returns how many rows went into each table."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, repeatable by seed
    programs = {p.slug: p for p in db.session.scalars(select(Program))}
    missing = [slug for slug, _ in PROGRAM_SHARES if slug not in programs]
    if missing:
        raise SystemExit(f"Run `flask seed` first: no program {', '.join(missing)}.")
    counts = {"cohorts": _add_cohorts(programs, now)}

    taken = set(db.session.scalars(select(Application.reference)))
    references = _references(rng, rows, taken)
    applicant_id = _next_id(Applicant)
    application_id = _next_id(Application)
    event_id = _next_id(StatusEvent)
    tables: dict[str, list[dict]] = {}

    batches = [0]

    def flush_batch() -> None:
        # Parents before children: the foreign keys are checked row by row.
        for model in (
            Applicant,
            AgencyDetails,
            ApplicantLanguage,
            ApplicantAvailability,
            SelfIdentification,
            Application,
            StatusEvent,
        ):
            batch = tables.pop(model.__tablename__, [])
            if batch:
                db.session.execute(insert(model.__table__), batch)
                counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(batch)
        batches[0] += 1
        if db.engine.dialect.name == "postgresql" and batches[0] & (batches[0] - 1) == 0:
            # The triggers that keep applications' match_mask and sort_name update
            # applications by applicant_id once per language, slot and agency row. A
            # table last analysed nearly empty has them scan every application each
            # time (20,000 rows after 7 took 150 s). Fresh statistics after batches
            # 1, 2, 4, 8, ... (never off by more than twice) keep them on the index.
            # ANALYZE sees this transaction's rows.
            db.session.execute(text(f"ANALYZE {', '.join(counts)}"))  # table names fixed above

    def add(model, **values) -> None:
        tables.setdefault(model.__tablename__, []).append(values)

    for number in range(rows):
        slug = _weighted(rng, PROGRAM_SHARES)
        program = programs[slug]
        status = _weighted(rng, STATUS_SHARES)
        joined = ON_WAITLIST[status]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        email = f"bench{applicant_id}.{rng.randrange(10**6)}@example.org"
        waited = timedelta(days=rng.uniform(0, 730), seconds=rng.randrange(86_400))
        created_at = now - waited
        joined_at = created_at + timedelta(minutes=rng.randrange(5, 4_000)) if joined else None
        if joined_at is not None and joined_at > now:
            joined_at = now
        agency = slug == "king-county-consultation"
        languages = {_weighted(rng, LANGUAGE_SHARES)}
        if rng.random() < 0.12:
            languages.add(_weighted(rng, LANGUAGE_SHARES))
        locale = {"es": "es", "cmn": "zh"}.get(min(languages), "en")
        add(
            Applicant,
            id=applicant_id,
            kind="agency" if agency else "individual",
            name=name,
            email=email,
            email_key=email.lower(),
            phone=f"206-555-{rng.randrange(10_000):04d}" if rng.random() < 0.6 else None,
            organisation=None if agency else f"{rng.choice(PLACES)} {rng.choice(AGENCY_WORDS)}",
            work_zip=rng.choice(KING_COUNTY_ZIPS),
            roles=["home_visitor"],
            role_other=None,
            access_needs=["captions"] if rng.random() < 0.03 else [],
            access_needs_other=None,
            consent_contact=rng.random() < 0.85,
            locale=locale,
            answers={"works_with_young_children": "direct", "king_county": "yes"},
            form_token=f"bench-{seed}-{applicant_id}",
            entered_by_id=None,
            entered_via=None,
            created_at=created_at,
        )
        if agency:
            agency_name = f"{rng.choice(PLACES)} {rng.choice(AGENCY_WORDS)}"
            add(
                AgencyDetails,
                applicant_id=applicant_id,
                agency_name=agency_name,
                agency_key=agency_name.lower(),
                street=f"{rng.randrange(100, 9999)} Example Ave S",
                city="Seattle",
                state="WA",
                zip=rng.choice(KING_COUNTY_ZIPS),
                service_zips=[],
                leader_title="Program Director",
                staff_roles=["home_visitor"],
                heard_about=None,
                heard_about_other=None,
            )
        for code in sorted(languages):
            add(ApplicantLanguage, applicant_id=applicant_id, code=code)
        for slot in rng.sample(SLOTS, rng.randint(1, 3)):
            add(ApplicantAvailability, applicant_id=applicant_id, slot=slot)
        if slug == "bipoc-intensive":
            add(SelfIdentification, applicant_id=applicant_id, bipoc="yes")
        add(
            Application,
            id=application_id,
            applicant_id=applicant_id,
            program_id=program.id,
            reference=next(references),
            status=status,
            decision={"outcome": "review" if status == "needs_review" else "pass", "rules": []},
            priority=1 if rng.random() < 0.03 else 0,
            seats_requested=rng.randint(1, 6) if agency else 1,
            window_id=None,
            split_from_id=None,
            joined_at=joined_at,
            duplicate_of_id=None,
            duplicate_reason=None,
            duplicate_resolution=None,
            duplicate_resolved_at=None,
            confirmed_at=None,
            checkin_sent_at=None,
            created_at=created_at,
            updated_at=joined_at or created_at,
        )
        add(
            StatusEvent,
            id=event_id,
            application_id=application_id,
            from_status=None,
            to_status=status,
            actor="applicant",
            actor_id=None,
            reason=None,
            created_at=joined_at or created_at,
        )
        applicant_id += 1
        application_id += 1
        event_id += 1
        if (number + 1) % BATCH == 0:
            flush_batch()
    flush_batch()
    if db.engine.dialect.name == "postgresql":
        # Explicit ids leave the sequences behind: move them past the new rows.
        for table in ("applicants", "applications", "status_events"):
            setval = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: E501, S608 - names fixed above
            db.session.execute(text(setval))
    db.session.commit()
    refresh_statistics(list(counts))
    return counts


def refresh_statistics(tables: list[str]) -> None:
    """Fresh statistics, so the planner sees the new volume at once; on PostgreSQL also
    the visibility map autovacuum would set in a live database a while after a bulk
    load or update (without it no scan is index-only). Call after committing.

    VACUUM runs outside a transaction. Only ``tables`` (names from our code, never
    input): a whole-database VACUUM also walks the system catalogs, which a test
    database that creates and drops its tables for every test has swollen (minutes of
    CPU per call in the suite on PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="applications to add")
    parser.add_argument("--seed", type=int, default=13, help="random seed")
    args = parser.parse_args(argv)

    from intake import clock, create_app

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        counts = seed(args.rows, now=clock.now(), seed=args.seed)
        took = time.perf_counter() - started
    print(
        f"Seeded {args.rows:,} applications in {took:.1f} s: "
        + ", ".join(f"{table} {n:,}" for table, n in counts.items())
    )


if __name__ == "__main__":
    main()
