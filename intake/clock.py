"""The app's clock. Views and commands read time here; services take ``now``."""

from datetime import date, datetime

from flask import current_app
from flask_babel import to_user_timezone


def now() -> datetime:
    return current_app.config["CLOCK"]()


def today() -> date:
    """Today where the programs run (the app's time zone), from the app's clock."""
    return to_user_timezone(now()).date()
