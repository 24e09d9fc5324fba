from flask import render_template

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("admin", __name__, url_prefix="/coord/admin", admin=True)


@bp.route("/programs")
def programs():
    return render_template("admin/programs.html")
