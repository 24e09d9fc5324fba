from flask import Blueprint, abort, render_template
from sqlalchemy import select

from intake.extensions import db
from intake.models import ManageToken
from intake.outbox.delivery import hash_token

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.route("/<token>")
def status(token: str):
    if len(token) > 100:
        abort(404)
    link = db.session.scalar(select(ManageToken).where(ManageToken.token_hash == hash_token(token)))
    if link is None:
        return render_template("manage/invalid.html"), 404
    response = render_template("manage/status.html", applicant=link.applicant)
    # The page is reached by a secret link: keep it out of shared caches and history.
    return response, 200, {"Cache-Control": "no-store"}
