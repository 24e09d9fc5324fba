from flask import render_template

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("casefile", __name__, url_prefix="/coord/applications", admin=False)


@bp.route("/<int:application_id>")
def show(application_id: int):
    return render_template("casefile/show.html")
