import pytest
from sqlalchemy import event

from intake.extensions import db


@pytest.fixture
def statements(app):
    """The SQL statements the app's engine runs while the test goes on."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)
