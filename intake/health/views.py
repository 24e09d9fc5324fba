from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from intake.extensions import db
from intake.outbox.services import outbox_counts

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        counts = outbox_counts()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(
        status="ok",
        database="ok",
        outbox={"waiting": counts["queued"], "failed": counts["failed"]},
    )
