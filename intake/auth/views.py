"""Signing in and out, the second factor, and password resets for coordinators."""

from datetime import datetime, timedelta

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from intake import clock, links, ratelimits
from intake.auth import services
from intake.auth.access import home_url, mark_seen, require_coordinator, safe_next
from intake.auth.forms import (
    CodeForm,
    DigestForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from intake.extensions import db, limiter
from intake.extensions import login as login_manager
from intake.forms import shows_form_again_on_csrf_error
from intake.htmx import form_status, redirect_after_post
from intake.models import Coordinator

bp = Blueprint("auth", __name__, url_prefix="/coord")
# Password links in e-mails (a reset, a new account's welcome) open the reset page below.
links.register_link_kind(bp, links.PasswordLink.kind, ".reset", services.password_link)

login_manager.login_view = "auth.login"
login_manager.login_message = None

PENDING_KEY = "coord_pending_2fa"
SETUP_SECRET_KEY = "coord_totp_setup"  # noqa: S105 - the session key, not a secret
PENDING_MINUTES = 5


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(
    limiter.limit(_login_limit, methods=["POST"]),
    ratelimits.per_email("RATELIMIT_LOGIN_EMAIL", "login", every_post=True),
)
def login():
    form = LoginForm()
    error = None
    if not ratelimits.refused(form) and form.validate_on_submit():
        coordinator = services.authenticate(form.email.data, form.password.data)
        if coordinator is None:
            error = "Those details do not match an active account."
        elif coordinator.has_totp:
            next_url = safe_next(request.args.get("next"))
            session.clear()  # nothing from before the login survives it
            session[PENDING_KEY] = {
                "id": coordinator.id,
                "token": coordinator.session_token,
                "at": clock.now().timestamp(),
                "next": next_url,
            }
            db.session.commit()
            return redirect(url_for("auth.verify"), code=303)
        else:
            return _complete_login(coordinator, safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error), form_status()


@bp.route("/login/code", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@limiter.limit(_login_limit, methods=["POST"])
def verify():
    pending = session.get(PENDING_KEY)
    now = clock.now()
    if not pending or now - datetime.fromtimestamp(pending["at"], now.tzinfo) > timedelta(
        minutes=PENDING_MINUTES
    ):
        session.pop(PENDING_KEY, None)
        flash("Please sign in again.")
        return redirect(url_for("auth.login"))
    coordinator = db.session.get(Coordinator, pending["id"])
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if (
            coordinator is not None
            and coordinator.active
            and coordinator.session_token == pending["token"]
            and services.verify_totp(coordinator, form.code.data, now)
        ):
            return _complete_login(coordinator, pending.get("next"))
        error = "That code did not work. Codes change every 30 seconds; try the newest one."
        db.session.rollback()
    return render_template("auth/code.html", form=form, error=error), form_status()


def _complete_login(coordinator: Coordinator, next_url: str | None):
    now = clock.now()
    session.clear()  # a fresh session at every login
    login_user(coordinator)
    mark_seen(now)
    coordinator.last_login_at = now
    db.session.commit()
    if coordinator.is_admin and not coordinator.has_totp:
        return redirect(url_for("auth.totp_setup"), code=303)
    return redirect(next_url or home_url(coordinator), code=303)


@bp.route("/logout", methods=["POST"])
def logout():
    # Server-side: a new session token makes the cookie worthless, so a copy of it
    # taken before signing out cannot be replayed. This ends the account's other
    # sessions (other browsers) too. logout_user also clears a remember cookie.
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/two-factor", methods=["GET", "POST"])
def totp_setup():
    guard = require_coordinator(enforce_totp=False, facilitators=True)
    if guard is not None:
        return guard
    if current_user.has_totp:
        return render_template("auth/totp_done.html")
    secret = session.get(SETUP_SECRET_KEY) or services.new_totp_secret()
    session[SETUP_SECRET_KEY] = secret
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if services.confirm_totp(current_user, secret, form.code.data, clock.now()):
            session.pop(SETUP_SECRET_KEY, None)
            db.session.commit()
            flash("Two-step sign-in is on. You will be asked for a code each time you sign in.")
            return redirect(home_url(current_user), code=303)
        error = "That code did not work. Check the time on your phone and try the newest code."
    uri = services.totp_uri(current_user, secret)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return (
        render_template(
            "auth/totp_setup.html", form=form, error=error, qr=qr, secret=secret, uri=uri
        ),
        form_status(),
    )


@bp.route("/account", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
def account():
    """The signed-in person's own account: the daily digest on or off, and where to
    change the password and the second factor."""
    guard = require_coordinator(facilitators=True)
    if guard is not None:
        return guard
    user = current_user._get_current_object()
    form = DigestForm(data={"digest": "on" if user.digest_enabled else "off"})
    if form.validate_on_submit():
        services.set_digest(user, form.digest.data == "on")
        db.session.commit()
        flash(
            "The daily digest e-mail is on."
            if user.digest_enabled
            else "The daily digest e-mail is off."
        )
        return redirect_after_post(url_for("auth.account"))
    return render_template("auth/account.html", form=form), form_status()


@bp.route("/forgot", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@ratelimits.form_limits(
    limiter.limit(_login_limit, methods=["POST"]),
    ratelimits.per_email("RATELIMIT_FORGOT_EMAIL", "forgot"),
)
def forgot():
    form = ForgotPasswordForm()
    if not ratelimits.refused(form) and form.validate_on_submit():
        services.request_password_reset(form.email.data, clock.now())
        db.session.commit()
        # The same answer whether or not the address has an account.
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot.html", form=form), form_status()


@bp.route("/reset/<token>", methods=["GET", "POST"])
@shows_form_again_on_csrf_error
@limiter.limit(_login_limit, methods=["POST"])
def reset(token: str):
    coordinator = services.load_reset_token(token)
    if coordinator is None:
        return render_template("auth/reset_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(coordinator, form.password.data)
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your password is changed. Please sign in with it.")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset.html", form=form), form_status()
