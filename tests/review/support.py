"""Reading what the app did, from the test's own session."""

from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage

# The BIPOC intensive program's retreat rule asks for a coordinator when unsure.
REVIEW_SCREENER = {"bipoc": "yes", "retreat": "unsure"}


def reload(obj):
    """The row as the database has it now (the app committed in other sessions)."""
    db.session.rollback()
    return db.session.get(type(obj), obj.id)


def outbox(template: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


def received(smtp, subject_part: str):
    """Messages the SMTP server received whose subject contains ``subject_part``."""
    return [m for m in smtp.messages if subject_part in m["Subject"]]
