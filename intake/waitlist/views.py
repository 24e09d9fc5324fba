"""The waitlist table (filters, search, sort, pages) and its CSV export."""

from flask import redirect, render_template, url_for

from intake.auth.access import workspace_blueprint

bp = workspace_blueprint("waitlist", __name__, url_prefix="/coord")


@bp.route("/")
def home():
    return redirect(url_for("waitlist.index"))


@bp.route("/waitlist")
def index():
    return render_template("waitlist/index.html")
