from flask import render_template

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("review", __name__, url_prefix="/coord/review", admin=False)


@bp.route("")
def queue():
    return render_template("review/queue.html")
