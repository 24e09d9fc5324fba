"""What the outbox's tests share."""

from __future__ import annotations

from intake.extensions import db
from intake.outbox.services import enqueue


def queue(clock, *addresses: str) -> list[int]:
    ids = []
    for n, address in enumerate(addresses):
        row = enqueue(
            template="application_received",
            to=address,
            dedup_key=f"test:{n}:{address}",
            locale="en",
            now=clock(),
            context={"applicant": {"name": f"Person {n}"}, "applications": []},
        )
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids
