"""the 10-session groups as their page says them: Illinois, the ILAIMH credential

The seeded "reflective-practice-group" program gets the works-in-Illinois rule and
its texts say "ILAIMH credential" instead of "IECMH Endorsement"; the seeded
programs get the format note their pages state. A text is changed only while it
still holds the value it was seeded with, so nothing an admin wrote is overwritten.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SLUG = "reflective-practice-group"
RULE_KEY = "works_in_illinois"

# field -> (as seeded before, as seeded now). Copied here: a migration must not
# change when intake.programs.defaults does.
TEXTS = {
    "name": (
        "Reflective practice group (10 sessions)",
        "Reflective practice groups in Illinois (10 sessions)",
    ),
    "audience": (
        "Professionals of any discipline working with infants, young children and their "
        "families.",
        "Professionals of any discipline working in Illinois with infants, young children "
        "and their families.",
    ),
    "summary": (
        "Multidisciplinary groups led by experienced, credentialed infant and early "
        "childhood mental health (IECMH) professionals.",
        "Multidisciplinary groups throughout Illinois, run by the Illinois Association for "
        "Infant Mental Health (ILAIMH) and led by experienced, credentialed infant and early "
        "childhood mental health professionals.",
    ),
    "shape": (
        "10 sessions, with up to 12 hours of reflective supervision toward the IECMH "
        "Endorsement.",
        "10 sessions, with up to 12 hours of reflective supervision toward the ILAIMH "
        "credential.",
    ),
}

# How each seeded program's groups meet, as its page says it (the introductory
# program's page does not say: its cohorts do).
FORMAT_NOTES = {
    "bipoc-intensive": "Virtual sessions, plus an in-person retreat.",
    "king-county-consultation": "Groups meet online, for at least one year.",
    SLUG: "Groups meet monthly, for 10 sessions.",
}

programs = sa.table(
    "programs",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("audience", sa.Text),
    sa.column("summary", sa.Text),
    sa.column("shape", sa.Text),
    sa.column("rule_keys", sa.JSON),
    sa.column("format_note", sa.Text),
)


def _rule_keys(bind, change):
    row = bind.execute(
        sa.select(programs.c.id, programs.c.rule_keys).where(programs.c.slug == SLUG)
    ).first()
    if row is None:
        return
    keys = list(row.rule_keys or [])
    changed = change(keys)
    if changed != keys:
        bind.execute(
            programs.update().where(programs.c.id == row.id).values(rule_keys=changed)
        )


def upgrade():
    bind = op.get_bind()
    _rule_keys(bind, lambda keys: keys if RULE_KEY in keys else [*keys, RULE_KEY])
    for field, (old, new) in TEXTS.items():
        column = programs.c[field]
        bind.execute(
            programs.update()
            .where(programs.c.slug == SLUG, column == old)
            .values({field: new})
        )
    for slug, note in FORMAT_NOTES.items():
        bind.execute(
            programs.update()
            .where(programs.c.slug == slug, programs.c.format_note.is_(None))
            .values(format_note=note)
        )


def downgrade():
    bind = op.get_bind()
    _rule_keys(bind, lambda keys: [key for key in keys if key != RULE_KEY])
    for field, (old, new) in TEXTS.items():
        column = programs.c[field]
        bind.execute(
            programs.update()
            .where(programs.c.slug == SLUG, column == new)
            .values({field: old})
        )
    for slug, note in FORMAT_NOTES.items():
        bind.execute(
            programs.update()
            .where(programs.c.slug == slug, programs.c.format_note == note)
            .values(format_note=None)
        )
