"""intake.rows: a guarded UPDATE says whether its guard still held."""

from sqlalchemy import select, update

from intake.extensions import db
from intake.models import Program
from intake.rows import rows_changed, update_guarded


def test_a_guarded_update_wins_once(ctx):
    program = db.session.scalars(select(Program).order_by(Program.id)).first()

    def close():
        return update_guarded(
            update(Program)
            .where(Program.id == program.id, Program.is_open.is_(True))
            .values(is_open=False)
        )

    assert close() is True
    assert close() is False
    db.session.refresh(program)
    assert program.is_open is False


def test_rows_changed_counts_and_expected_is_exact(ctx):
    count = len(db.session.scalars(select(Program.id)).all())
    assert count > 1
    everything = update(Program).values(position=Program.position)
    assert rows_changed(everything) == count
    assert update_guarded(everything) is False
    assert update_guarded(everything, expected=count) is True
