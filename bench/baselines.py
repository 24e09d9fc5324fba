"""The two baselines of issue 13's benchmark, served by gunicorn as the app is.

    DATABASE_URL=... HOST=127.0.0.1 PORT=8101 WEB_CONCURRENCY=2 \
        .venv/bin/gunicorn -c gunicorn.conf.py bench.baselines:app

- ``GET /hello``: bare Flask answering "hello".
- ``GET /db``: bare Flask + Flask-SQLAlchemy, one SELECT of a program row from the app's
  own database, rendered with a small Jinja template (the "bare DB page").

The engine gets the app's default options (``intake/config.py``, and SQLAlchemy's default
pool of 5 + 10 overflow), so the ratios compare the app with the same database set-up, not
with a faster one. (The app adds a ping of a PostgreSQL connection idle for 10 s,
``intake/dbpool.py``, which a page under load never meets.)

``bench/public_pages.py`` and ``bench/application_post.py`` measure the same bare DB page
in process (``make_app``), so their ratios compare with the same page too.
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import text

from intake import config, database_url

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ program.name }}</title></head>
<body>
<main>
<h1>{{ program.name }}</h1>
<p>Program {{ program.id }}: <a href="/programs/{{ program.slug }}">{{ program.slug }}</a></p>
</main>
</body>
</html>
"""

SELECT_PROGRAM = text("SELECT id, slug, name FROM programs ORDER BY id LIMIT 1")


def make_app(uri: str) -> Flask:
    """The baselines' app on the database at ``uri`` (a URL as DATABASE_URL takes it)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(uri)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(config.SQLALCHEMY_ENGINE_OPTIONS)
    # Compiled once, as the app's templates are: a template made from a string on every
    # request (render_template_string) would make the baseline slower than it is.
    app.jinja_loader = DictLoader({"page.html": PAGE})
    db = SQLAlchemy(app)

    @app.get("/hello")
    def hello():
        return "hello"

    @app.get("/db")
    def bare_db_page():
        program = db.session.execute(SELECT_PROGRAM).one()
        return render_template("page.html", program=program)

    return app


def __getattr__(name: str) -> Flask:
    # gunicorn's ``bench.baselines:app``: made on first use, from DATABASE_URL, so the
    # in-process benches can import this module without it.
    if name == "app":
        if not os.environ.get("DATABASE_URL"):
            # Not a KeyError or an AttributeError: gunicorn reads the latter as "no app".
            raise RuntimeError("bench/baselines.py serves DATABASE_URL's database: set it")
        app = globals()["app"] = make_app(os.environ["DATABASE_URL"])
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
