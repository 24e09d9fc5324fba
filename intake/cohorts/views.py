from flask import render_template

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("cohorts", __name__, url_prefix="/coord/cohorts", admin=False)


@bp.route("")
def index():
    return render_template("cohorts/index.html")
