"""The two baselines of issue 13's benchmark, served by gunicorn as the app is.

    DATABASE_URL=... HOST=127.0.0.1 PORT=8101 WEB_CONCURRENCY=2 \
        .venv/bin/gunicorn -c gunicorn.conf.py bench.baselines:app

- ``GET /hello``: bare Flask answering "hello".
- ``GET /db``: bare Flask + Flask-SQLAlchemy, one SELECT of a program row from the app's
  own database, rendered with a small Jinja template (the "bare DB page").

The engine gets the app's default options (``intake/config.py``: a pool of SQLAlchemy's
default size, 5 + 10 overflow, with ``pool_pre_ping``), so the ratios compare the app with
the same database set-up, not with a faster one.
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

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(config.SQLALCHEMY_ENGINE_OPTIONS)
app.jinja_loader = DictLoader({"page.html": PAGE})
db = SQLAlchemy(app)

SELECT_PROGRAM = text("SELECT id, slug, name FROM programs ORDER BY id LIMIT 1")


@app.get("/hello")
def hello():
    return "hello"


@app.get("/db")
def bare_db_page():
    program = db.session.execute(SELECT_PROGRAM).one()
    return render_template("page.html", program=program)
