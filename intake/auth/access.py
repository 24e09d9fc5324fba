"""Who may see the coordinator workspace: login, roles, second factor, idle timeout.

Every workspace blueprint is made by ``workspace_blueprint``, whose guard runs
before each of its views, so no route can forget to check.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intake import clock
from intake.auth.scope import current_scope
from intake.extensions import db, login
from intake.i18n import gettext as _
from intake.models import Coordinator

SEEN_KEY = "coord_seen"

# Blueprints made by workspace_blueprint, by name (admin only?): the url_map test reads
# this; and those a facilitator may open too.
WORKSPACE_BLUEPRINTS: dict[str, bool] = {}
FACILITATOR_BLUEPRINTS: set[str] = set()


@login.user_loader
def load_coordinator(user_id: str) -> Coordinator | None:
    """The cookie holds "<id>:<session token>": a rotated token ends the session."""
    ident, _, token = user_id.partition(":")
    if not (ident.isascii() and ident.isdigit()) or not token:
        return None
    # With the programs assigned, in the same query: every workspace request needs
    # them (intake.auth.scope).
    coordinator = (
        db.session.scalars(
            select(Coordinator)
            .where(Coordinator.id == int(ident))
            .options(joinedload(Coordinator.programs))
        )
        .unique()
        .one_or_none()
    )
    if coordinator is None or not coordinator.active or coordinator.session_token != token:
        return None
    return coordinator


def safe_next(target: str | None) -> str | None:
    """A ``next`` URL only if it stays on this site (a path, not //host or a scheme)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def mark_seen(now: datetime) -> None:
    session[SEEN_KEY] = now.timestamp()


def _idle_too_long(now: datetime) -> bool:
    seen = session.get(SEEN_KEY)
    limit = timedelta(minutes=current_app.config["COORDINATOR_IDLE_MINUTES"])
    return seen is None or now - datetime.fromtimestamp(seen, now.tzinfo) > limit


def workspace_blueprint(
    name: str, import_name: str, url_prefix: str, admin: bool = False, facilitators: bool = False
):
    """A blueprint whose every view needs a signed-in coordinator (or admin); with
    ``facilitators``, a facilitator may open its pages too (intake.auth.scope)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    WORKSPACE_BLUEPRINTS[name] = admin
    if facilitators:
        FACILITATOR_BLUEPRINTS.add(name)

    @bp.before_request
    def guard():
        return require_coordinator(admin=admin, facilitators=facilitators)

    @bp.context_processor
    def assignment():
        # Every workspace page says so plainly when there is nothing to show.
        return {"not_assigned": current_scope().notice}

    return bp


def home_url(coordinator: Coordinator) -> str:
    """Where an account lands after signing in: a facilitator on their groups."""
    if coordinator.is_facilitator:
        return url_for("attendance.groups")
    return url_for("waitlist.index")


def require_coordinator(admin: bool = False, enforce_totp: bool = True, facilitators: bool = False):
    """None if the current user may go on; otherwise the response that stops them."""
    now = clock.now()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if _idle_too_long(now):
        logout_user()
        session.clear()
        flash(_("You were signed out after a while without activity. Please sign in again."))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    mark_seen(now)
    if enforce_totp and current_user.is_admin and not current_user.has_totp:
        # Admins must set up a second factor before anything else.
        return redirect(url_for("auth.totp_setup"))
    if admin and not current_user.is_admin:
        abort(403)
    if not current_scope().allows_pages(facilitators=facilitators):
        abort(403)
    return None
