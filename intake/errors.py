"""Clear pages for every error, never a bare 500 or a stack trace."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from intake.i18n import gettext as _


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return _page(
            400,
            _("Your form could not be sent"),
            _(
                "The page was open for a long time or was sent from somewhere else, so we "
                "could not accept it. Nothing was saved. Please go back, reload the page and "
                "try again."
            ),
        )

    @app.errorhandler(404)
    def not_found(_error):
        return _page(
            404,
            _("Page not found"),
            _("We could not find that page. It may have moved, or the link may be incomplete."),
        )

    @app.errorhandler(413)
    def too_large(_error):
        return _page(
            413,
            _("That was too much to send"),
            _("Your answers were longer than we can accept. Please shorten them and try again."),
        )

    @app.errorhandler(429)
    def too_many(_error):
        return _page(
            429,
            _("Please wait a moment"),
            _("We received many requests from you in a short time. Please try again shortly."),
        )

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        return _page(error.code or 500, error.name, error.description or "")

    @app.errorhandler(500)
    def server_error(_error):
        return _page(
            500,
            _("Something went wrong on our side"),
            _("We are sorry. Something went wrong on our side. Please try again in a minute."),
        )
