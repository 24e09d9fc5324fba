"""The app's clock. Views and commands read time here; services take ``now``."""

from datetime import datetime

from flask import current_app


def now() -> datetime:
    return current_app.config["CLOCK"]()
