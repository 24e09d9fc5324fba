from flask import render_template

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("reports", __name__, url_prefix="/coord/reports", admin=False)


@bp.route("")
def index():
    return render_template("reports/index.html")
