"""A WSGI app that answers how many objects its process has frozen out of the garbage
collector's reach (tests/perf/test_gc_freeze.py runs it under the shipped gunicorn.conf.py)."""

import gc


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
